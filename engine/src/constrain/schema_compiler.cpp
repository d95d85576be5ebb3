// JSON Schema (the subset json_schema_constraint.h describes) -> grammar nodes.
#include <array>
#include <charconv>
#include <map>

#include "constrain/compiler.h"
#include "constrain/number.h"
#include "core/utf8.h"

namespace engine::constrain {
namespace {

// Keywords whose meaning this recognizer cannot enforce: an error, never silently ignored.
constexpr std::array<std::string_view, 23> kUnsupported = {"pattern",
                                                           "patternProperties",
                                                           "multipleOf",
                                                           "uniqueItems",
                                                           "contains",
                                                           "minContains",
                                                           "maxContains",
                                                           "prefixItems",
                                                           "additionalItems",
                                                           "not",
                                                           "if",
                                                           "then",
                                                           "else",
                                                           "dependentRequired",
                                                           "dependentSchemas",
                                                           "dependencies",
                                                           "propertyNames",
                                                           "minProperties",
                                                           "maxProperties",
                                                           "unevaluatedProperties",
                                                           "unevaluatedItems",
                                                           "$dynamicRef",
                                                           "$recursiveRef"};

// Keywords that constrain values (as opposed to annotations).
constexpr std::array<std::string_view, 19> kValidation = {"type",
                                                          "enum",
                                                          "const",
                                                          "anyOf",
                                                          "oneOf",
                                                          "allOf",
                                                          "$ref",
                                                          "properties",
                                                          "required",
                                                          "items",
                                                          "additionalProperties",
                                                          "minItems",
                                                          "maxItems",
                                                          "minLength",
                                                          "maxLength",
                                                          "minimum",
                                                          "maximum",
                                                          "exclusiveMinimum",
                                                          "exclusiveMaximum"};

bool is_valid_utf8(std::string_view s) {
    for (size_t i = 0; i < s.size();) {
        const size_t n = utf8::valid_prefix_length(s, i);
        if (n == 0 || n != utf8::sequence_length(static_cast<uint8_t>(s[i]))) return false;
        i += n;
    }
    return true;
}

std::string escape_pointer_token(std::string_view key) {
    std::string out;
    for (char c : key) {
        if (c == '~')
            out += "~0";
        else if (c == '/')
            out += "~1";
        else
            out.push_back(c);
    }
    return out;
}

class SchemaCompiler {
public:
    explicit SchemaCompiler(const json::Value& root) : root_(root) {}

    Result<std::shared_ptr<const Grammar>> run() {
        auto root = compile(root_, "#");
        if (!root) return root.error();
        g_->root = *root;
        ENGINE_TRY(finish_grammar(*g_));
        return std::shared_ptr<const Grammar>(std::move(g_));
    }

private:
    static Error error(const std::string& path, const std::string& what) {
        return make_error("[json_schema] at " + path + ": " + what);
    }

    int32_t add(Node n) {
        g_->nodes.push_back(std::move(n));
        return static_cast<int32_t>(g_->nodes.size() - 1);
    }

    int32_t any() {
        if (any_ < 0) any_ = add_any_value(*g_);
        return any_;
    }

    int32_t plain_string() {
        if (plain_string_ < 0) {
            Node n;
            n.kind = Kind::string;
            n.path = "object key";
            plain_string_ = add(std::move(n));
        }
        return plain_string_;
    }

    Result<int32_t> literal(const std::vector<const json::Value*>& values, const std::string& path) {
        std::vector<std::string> texts;
        json::DumpOptions options;
        options.style = json::DumpOptions::Style::compact;
        for (const json::Value* v : values) {
            std::string text = json::dump(*v, options);
            if (!is_valid_utf8(text)) return error(path, "a value holds invalid UTF-8");
            texts.push_back(std::move(text));
        }
        return add_literal_node(*g_, std::move(texts), path);
    }

    Result<int32_t> compile(const json::Value& schema, const std::string& path) {
        if (++depth_ > 256) return error(path, "the schema is nested too deeply");
        auto result = compile_inner(schema, path);
        --depth_;
        return result;
    }

    Result<int32_t> compile_inner(const json::Value& schema, const std::string& path) {
        if (schema.is_bool()) {
            if (schema.as_bool()) return any();
            return error(path, "the schema false admits no value");
        }
        if (!schema.is_object()) return error(path, "a schema must be an object or a boolean");
        const json::Object& obj = schema.as_object();
        for (const auto& member : obj) {
            for (std::string_view k : kUnsupported)
                if (member.key == k) return error(path, "unsupported keyword \"" + member.key + "\"");
        }
        auto count_validation = [&](std::string_view except) {
            int n = 0;
            for (const auto& member : obj)
                for (std::string_view k : kValidation)
                    if (member.key == k && member.key != except) ++n;
            return n;
        };
        if (const json::Value* ref = obj.find("$ref")) {
            if (count_validation("$ref") > 0)
                return error(path, "$ref next to other validation keywords is not supported");
            if (!ref->is_string()) return error(path, "$ref must be a string");
            return compile_ref(ref->as_string(), path);
        }
        if (const json::Value* c = obj.find("const")) return literal({c}, path + "/const");
        if (const json::Value* e = obj.find("enum")) {
            if (!e->is_array() || e->as_array().empty()) return error(path, "enum must be a non-empty array");
            std::vector<const json::Value*> values;
            for (const auto& v : e->as_array()) values.push_back(&v);
            return literal(values, path + "/enum");
        }
        for (const char* key : {"anyOf", "oneOf", "allOf"}) {
            const json::Value* list = obj.find(key);
            if (!list) continue;
            const std::string list_path = path + "/" + key;
            if (count_validation(key) > 0)
                return error(path, std::string(key) + " next to other validation keywords is not supported");
            if (!list->is_array() || list->as_array().empty())
                return error(list_path, "must be a non-empty array of schemas");
            if (std::string_view(key) == "allOf") {
                if (list->as_array().size() != 1)
                    return error(list_path, "only allOf with a single schema is supported");
                return compile(list->as_array()[0], list_path + "/0");
            }
            Node alt;
            alt.kind = Kind::alternatives;
            alt.path = list_path;
            const int32_t node = add(std::move(alt));
            std::vector<int32_t> alternatives;
            for (size_t i = 0; i < list->as_array().size(); ++i) {
                auto sub = compile(list->as_array()[i], list_path + "/" + std::to_string(i));
                if (!sub) return sub.error();
                alternatives.push_back(*sub);
            }
            g_->nodes[static_cast<size_t>(node)].alternatives = std::move(alternatives);
            return node;
        }
        const json::Value* type = obj.find("type");
        if (!type) return compile_type(infer_type(obj), obj, path);
        if (type->is_string()) return compile_type(type->as_string(), obj, path);
        if (!type->is_array() || type->as_array().empty())
            return error(path + "/type", "must be a type name or a non-empty array of them");
        Node alt;
        alt.kind = Kind::alternatives;
        alt.path = path + "/type";
        const int32_t node = add(std::move(alt));
        std::vector<int32_t> alternatives;
        for (const auto& t : type->as_array()) {
            if (!t.is_string()) return error(path + "/type", "must list type names");
            auto sub = compile_type(t.as_string(), obj, path);
            if (!sub) return sub.error();
            alternatives.push_back(*sub);
        }
        g_->nodes[static_cast<size_t>(node)].alternatives = std::move(alternatives);
        return node;
    }

    // Without "type", the keywords say which type is meant (JSON Schema would
    // allow any type and apply each keyword to its own; we ask for one).
    static std::string infer_type(const json::Object& obj) {
        std::string found;
        auto family = [&](std::initializer_list<const char*> keys, const char* type) {
            for (const char* k : keys)
                if (obj.contains(k)) {
                    found = found.empty() || found == type ? type : "ambiguous";
                    return;
                }
        };
        family({"properties", "required", "additionalProperties"}, "object");
        family({"items", "minItems", "maxItems"}, "array");
        family({"minLength", "maxLength"}, "string");
        family({"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"}, "number");
        return found.empty() ? "any" : found;
    }

    Result<int32_t> compile_ref(const std::string& ref, const std::string& path) {
        if (ref.empty() || ref[0] != '#')
            return error(path, "only local references (\"#...\") are supported, not \"" + ref + "\"");
        auto found = refs_.find(ref);
        if (found != refs_.end()) return found->second;
        // Walk the JSON pointer.
        const json::Value* target = &root_;
        std::string_view rest = std::string_view(ref).substr(1);
        while (!rest.empty()) {
            if (rest[0] != '/') return error(path, "bad JSON pointer \"" + ref + "\"");
            rest.remove_prefix(1);
            size_t slash = rest.find('/');
            std::string token(rest.substr(0, slash));
            rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
            std::string key;
            for (size_t i = 0; i < token.size(); ++i) {
                if (token[i] == '~' && i + 1 < token.size() && (token[i + 1] == '0' || token[i + 1] == '1')) {
                    key.push_back(token[i + 1] == '0' ? '~' : '/');
                    ++i;
                } else {
                    key.push_back(token[i]);
                }
            }
            const json::Value* next = nullptr;
            if (target->is_object()) {
                next = target->find(key);
            } else if (target->is_array()) {
                size_t index = 0;
                auto [end, ec] = std::from_chars(key.data(), key.data() + key.size(), index);
                if (ec == std::errc() && end == key.data() + key.size()) next = target->at(index);
            }
            if (!next) return error(path, "$ref \"" + ref + "\" points at nothing");
            target = next;
        }
        // A placeholder first, so that recursive references find it.
        Node placeholder;
        placeholder.kind = Kind::alternatives;
        placeholder.path = ref;
        const int32_t node = add(std::move(placeholder));
        refs_.emplace(ref, node);
        auto compiled = compile(*target, ref);
        if (!compiled) return compiled.error();
        g_->nodes[static_cast<size_t>(node)].alternatives = {*compiled};
        return node;
    }

    Result<int64_t> count_keyword(const json::Object& obj, const char* key, int64_t fallback,
                                  const std::string& path) {
        const json::Value* v = obj.find(key);
        if (!v) return fallback;
        auto i = v->get_int();
        if (!i || *i < 0) return error(path + "/" + key, "must be a non-negative integer");
        return *i;
    }

    Result<int32_t> compile_type(const std::string& type, const json::Object& obj, const std::string& path) {
        if (type == "any") return any();
        if (type == "boolean") {
            json::Value t(true), f(false);
            return literal({&t, &f}, path);
        }
        if (type == "null") {
            json::Value n;
            return literal({&n}, path);
        }
        if (type == "string") {
            Node n;
            n.kind = Kind::string;
            n.path = path;
            auto min = count_keyword(obj, "minLength", 0, path);
            auto max = count_keyword(obj, "maxLength", INT64_MAX, path);
            if (!min) return min.error();
            if (!max) return max.error();
            if (*min > *max) return error(path, "minLength is greater than maxLength");
            n.min_length = *min;
            n.max_length = *max;
            return add(std::move(n));
        }
        if (type == "integer" || type == "number") return compile_number(type == "integer", obj, path);
        if (type == "array") {
            Node n;
            n.kind = Kind::array;
            n.path = path;
            auto min = count_keyword(obj, "minItems", 0, path);
            auto max = count_keyword(obj, "maxItems", INT64_MAX, path);
            if (!min) return min.error();
            if (!max) return max.error();
            if (*min > *max) return error(path, "minItems is greater than maxItems");
            n.min_items = *min;
            n.max_items = *max;
            if (const json::Value* items = obj.find("items")) {
                if (items->is_array())
                    return error(path + "/items", "tuple items (an array of schemas) are not supported");
                auto item = compile(*items, path + "/items");
                if (!item) return item.error();
                n.value = *item;
            } else {
                n.value = any();
            }
            return add(std::move(n));
        }
        if (type == "object") return compile_object(obj, path);
        return error(path + "/type", "unknown type \"" + type + "\"");
    }

    Result<int32_t> compile_object(const json::Object& obj, const std::string& path) {
        Node n;
        n.kind = Kind::object;
        n.path = path;
        const json::Value* properties = obj.find("properties");
        const json::Value* required = obj.find("required");
        const json::Value* additional = obj.find("additionalProperties");
        if (properties && !properties->is_object()) return error(path + "/properties", "must be an object");
        if (required && !required->is_array()) return error(path + "/required", "must be an array of names");
        std::vector<std::string> required_names;
        if (required)
            for (const auto& r : required->as_array()) {
                if (!r.is_string()) return error(path + "/required", "must be an array of names");
                required_names.push_back(r.as_string());
            }
        auto is_required = [&](const std::string& key) {
            for (const auto& r : required_names)
                if (r == key) return true;
            return false;
        };
        const bool closed = additional && additional->is_bool() && !additional->as_bool();
        if (!properties && required_names.empty()) {
            if (closed) return add(std::move(n));  // {} only
            n.free_form = true;
            n.key = plain_string();
            if (additional && !additional->is_bool()) {
                auto value = compile(*additional, path + "/additionalProperties");
                if (!value) return value.error();
                n.value = *value;
            } else {
                n.value = any();
            }
            return add(std::move(n));
        }
        json::DumpOptions options;
        auto add_property = [&](const std::string& key, int32_t value) -> Status {
            if (!is_valid_utf8(key)) return error(path, "a property name holds invalid UTF-8");
            Property p;
            p.key_text = json::dump(json::Value(key), options);
            p.value = value;
            p.required = is_required(key);
            n.props.push_back(std::move(p));
            return {};
        };
        if (properties) {
            for (const auto& member : properties->as_object()) {
                auto value = compile(member.value, path + "/properties/" + escape_pointer_token(member.key));
                if (!value) return value.error();
                ENGINE_TRY(add_property(member.key, *value));
            }
        }
        // Required names without a property schema: any value, after the declared ones.
        for (const auto& r : required_names) {
            if (properties && properties->find(r)) continue;
            bool seen = false;
            for (const auto& p : n.props) seen = seen || p.key_text == json::dump(json::Value(r), options);
            if (seen) continue;
            if (closed) return error(path, "\"" + r + "\" is required but additionalProperties is false");
            ENGINE_TRY(add_property(r, any()));
        }
        return add(std::move(n));
    }

    Result<int32_t> compile_number(bool integer, const json::Object& obj, const std::string& path) {
        Node n;
        n.kind = Kind::number;
        n.path = path;
        n.integer = integer;
        const Int128 limit = number_limit(integer);
        n.lo = -(limit - 1);
        n.hi = limit - 1;
        // A bound as a grid value; `up` rounds toward +inf.
        auto grid = [&](const json::Value& v, bool up) {
            std::array<char, 64> buf{};
            std::to_chars_result r;
            if (v.is_int())
                r = std::to_chars(buf.data(), buf.data() + buf.size(), v.as_int());
            else
                r = std::to_chars(buf.data(), buf.data() + buf.size(), v.as_double());
            return decimal_to_grid(buf.data(), r.ptr, integer, up);
        };
        auto bound = [&](const char* key) -> Result<const json::Value*> {
            const json::Value* v = obj.find(key);
            if (v && !v->is_number() && !v->is_bool()) return error(path + "/" + key, "must be a number");
            return v;
        };
        auto minimum = bound("minimum");
        auto maximum = bound("maximum");
        auto ex_minimum = bound("exclusiveMinimum");
        auto ex_maximum = bound("exclusiveMaximum");
        if (!minimum) return minimum.error();
        if (!maximum) return maximum.error();
        if (!ex_minimum) return ex_minimum.error();
        if (!ex_maximum) return ex_maximum.error();
        // Draft 4 spells exclusive bounds as booleans next to minimum / maximum.
        const bool old_ex_min = *ex_minimum && (*ex_minimum)->is_bool() && (*ex_minimum)->as_bool();
        const bool old_ex_max = *ex_maximum && (*ex_maximum)->is_bool() && (*ex_maximum)->as_bool();
        if (*minimum) {
            if ((*minimum)->is_bool()) return error(path + "/minimum", "must be a number");
            n.lo = old_ex_min ? grid(**minimum, false) + 1 : grid(**minimum, true);
            n.bounded = true;
        }
        if (*maximum) {
            if ((*maximum)->is_bool()) return error(path + "/maximum", "must be a number");
            n.hi = old_ex_max ? grid(**maximum, true) - 1 : grid(**maximum, false);
            n.bounded = true;
        }
        if (*ex_minimum && (*ex_minimum)->is_number()) {
            n.lo = std::max(n.lo, grid(**ex_minimum, false) + 1);
            n.bounded = true;
        }
        if (*ex_maximum && (*ex_maximum)->is_number()) {
            n.hi = std::min(n.hi, grid(**ex_maximum, true) - 1);
            n.bounded = true;
        }
        n.lo = std::max(n.lo, -(limit - 1));
        n.hi = std::min(n.hi, limit - 1);
        if (n.lo > n.hi)
            return error(path, std::string("no ") + (integer ? "integer" : "number") +
                                   " lies in the range (numbers have at most 18 integer digits)");
        return add(std::move(n));
    }

    const json::Value& root_;
    std::unique_ptr<Grammar> g_ = std::make_unique<Grammar>();
    std::map<std::string, int32_t> refs_;
    int32_t any_ = -1;
    int32_t plain_string_ = -1;
    int depth_ = 0;
};

}  // namespace

Result<std::shared_ptr<const Grammar>> compile_schema(const json::Value& schema) {
    return SchemaCompiler(schema).run();
}

}  // namespace engine::constrain
