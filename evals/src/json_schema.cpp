#include "evals/json_schema.h"

#include <cmath>
#include <optional>

#include "evals/text.h"
#include "pcre_regex.h"

namespace evals {

namespace json = engine::json;

namespace {

enum TypeBit : uint32_t {
    kNull = 1,
    kBoolean = 2,
    kInteger = 4,
    kNumber = 8,
    kString = 16,
    kArray = 32,
    kObject = 64,
};

constexpr std::pair<std::string_view, uint32_t> kTypeNames[] = {
    {"null", kNull},     {"boolean", kBoolean}, {"integer", kInteger}, {"number", kNumber},
    {"string", kString}, {"array", kArray},     {"object", kObject},
};

constexpr std::string_view kAnnotations[] = {"$schema",     "$id",       "$comment",  "title",
                                             "description", "default",   "examples",  "format",
                                             "readOnly",    "writeOnly", "deprecated"};

std::string_view instance_type(const json::Value& v) {
    switch (v.type()) {
        case json::Type::null:
            return "null";
        case json::Type::boolean:
            return "boolean";
        case json::Type::integer:
            return "integer";
        case json::Type::real:
            return "number";
        case json::Type::string:
            return "string";
        case json::Type::array:
            return "array";
        case json::Type::object:
            return "object";
    }
    return "?";
}

bool matches_type(const json::Value& v, uint32_t bits) {
    switch (v.type()) {
        case json::Type::null:
            return bits & kNull;
        case json::Type::boolean:
            return bits & kBoolean;
        case json::Type::integer:
            return bits & (kInteger | kNumber);
        case json::Type::real: {
            const double d = v.as_double();
            if (bits & kNumber) return true;
            return (bits & kInteger) && std::isfinite(d) && d == std::floor(d);
        }
        case json::Type::string:
            return bits & kString;
        case json::Type::array:
            return bits & kArray;
        case json::Type::object:
            return bits & kObject;
    }
    return false;
}

std::string type_list(uint32_t bits) {
    std::string out;
    for (const auto& [name, bit] : kTypeNames) {
        if (!(bits & bit)) continue;
        if (!out.empty()) out += " or ";
        out += name;
    }
    return out;
}

bool is_identifier(std::string_view key) {
    if (key.empty()) return false;
    for (size_t i = 0; i < key.size(); ++i) {
        const char c = key[i];
        const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
        if (!alpha && !(i > 0 && c >= '0' && c <= '9')) return false;
    }
    return true;
}

std::string child_path(const std::string& path, std::string_view key) {
    if (is_identifier(key)) return path + "." + std::string(key);
    return path + "[" + json::dump(json::Value(key)) + "]";
}

std::string short_json(const json::Value& v) {
    std::string text = json::dump(v, {json::DumpOptions::Style::compact});
    if (text.size() > 60) text = text.substr(0, 57) + "...";
    return text;
}

}  // namespace

struct JsonSchema::Node {
    std::optional<bool> boolean;  // a boolean schema: true accepts everything, false nothing
    uint32_t types = 0;           // 0 = any type
    std::optional<json::Array> enum_values;
    std::optional<json::Value> const_value;
    std::vector<std::pair<std::string, std::shared_ptr<const Node>>> properties;
    std::vector<std::string> required;
    std::shared_ptr<const Node> additional;  // null: additional properties allowed
    std::shared_ptr<const Node> items;
    std::optional<int64_t> min_items, max_items, min_length, max_length;
    std::optional<double> minimum, maximum, exclusive_minimum, exclusive_maximum;
    std::shared_ptr<const detail::Regex> pattern;
    std::vector<std::shared_ptr<const Node>> any_of, all_of;
};

namespace {

using Node = JsonSchema::Node;

engine::Error schema_error(const std::string& where, const std::string& what) {
    return engine::make_error("[json_schema] " + where + ": " + what);
}

engine::Result<int64_t> read_count(const json::Value& v, const std::string& where, std::string_view key) {
    auto n = v.get_int();
    if (!n || *n < 0) return schema_error(where, std::string(key) + " must be a non-negative integer");
    return *n;
}

engine::Result<double> read_number(const json::Value& v, const std::string& where, std::string_view key) {
    auto d = v.get_double();
    if (!v.is_number() || !d) return schema_error(where, std::string(key) + " must be a number");
    return *d;
}

engine::Result<std::shared_ptr<const Node>> compile_node(const json::Value& schema, const std::string& where);

engine::Result<std::vector<std::shared_ptr<const Node>>> compile_list(const json::Value& v,
                                                                      const std::string& where,
                                                                      std::string_view key) {
    if (!v.is_array() || v.size() == 0)
        return schema_error(where, std::string(key) + " must be a non-empty list");
    std::vector<std::shared_ptr<const Node>> out;
    for (size_t i = 0; i < v.size(); ++i) {
        auto node = compile_node(v[i], where + "/" + std::string(key) + "/" + std::to_string(i));
        if (!node.ok()) return node.error();
        out.push_back(std::move(*node));
    }
    return out;
}

engine::Status compile_keyword(Node& node, std::string_view key, const json::Value& v,
                               const std::string& where) {
    if (key == "type") {
        std::vector<const json::Value*> names;
        if (v.is_string()) names.push_back(&v);
        for (const json::Value& n : v.as_array()) names.push_back(&n);
        if (names.empty()) return schema_error(where, "type must be a type name or a non-empty list of them");
        for (const json::Value* n : names) {
            uint32_t bit = 0;
            for (const auto& [name, b] : kTypeNames) {
                if (n->as_string() == name) bit = b;
            }
            if (bit == 0) return schema_error(where, "unknown type " + short_json(*n));
            node.types |= bit;
        }
    } else if (key == "enum") {
        if (!v.is_array() || v.size() == 0) return schema_error(where, "enum must be a non-empty list");
        node.enum_values = v.as_array();
    } else if (key == "const") {
        node.const_value = v;
    } else if (key == "properties") {
        if (!v.is_object()) return schema_error(where, "properties must be an object");
        for (const json::Member& m : v.as_object()) {
            auto child = compile_node(m.value, where + "/properties/" + m.key);
            if (!child.ok()) return child.error();
            node.properties.emplace_back(m.key, std::move(*child));
        }
    } else if (key == "required") {
        if (!v.is_array()) return schema_error(where, "required must be a list of names");
        for (const json::Value& n : v.as_array()) {
            if (!n.is_string()) return schema_error(where, "required must be a list of names");
            node.required.push_back(n.as_string());
        }
    } else if (key == "additionalProperties") {
        if (!v.is_bool() && !v.is_object())
            return schema_error(where, "additionalProperties must be a bool or schema");
        auto child = compile_node(v, where + "/additionalProperties");
        if (!child.ok()) return child.error();
        node.additional = std::move(*child);
    } else if (key == "items") {
        if (v.is_array()) return schema_error(where, "items as a list (tuple validation) is not supported");
        auto child = compile_node(v, where + "/items");
        if (!child.ok()) return child.error();
        node.items = std::move(*child);
    } else if (key == "minItems" || key == "maxItems" || key == "minLength" || key == "maxLength") {
        auto n = read_count(v, where, key);
        if (!n.ok()) return n.error();
        (key == "minItems"    ? node.min_items
         : key == "maxItems"  ? node.max_items
         : key == "minLength" ? node.min_length
                              : node.max_length) = *n;
    } else if (key == "minimum" || key == "maximum") {
        auto d = read_number(v, where, key);
        if (!d.ok()) return d.error();
        (key == "minimum" ? node.minimum : node.maximum) = *d;
    } else if (key == "exclusiveMinimum" || key == "exclusiveMaximum") {
        if (v.is_bool())
            return schema_error(where, std::string(key) + " as a bool (draft 4) is not supported");
        auto d = read_number(v, where, key);
        if (!d.ok()) return d.error();
        (key == "exclusiveMinimum" ? node.exclusive_minimum : node.exclusive_maximum) = *d;
    } else if (key == "pattern") {
        if (!v.is_string()) return schema_error(where, "pattern must be a string");
        auto regex = detail::Regex::compile(v.as_string(), "[json_schema] " + where);
        if (!regex.ok()) return regex.error();
        node.pattern = std::move(*regex);
    } else if (key == "anyOf" || key == "allOf") {
        auto list = compile_list(v, where, key);
        if (!list.ok()) return list.error();
        (key == "anyOf" ? node.any_of : node.all_of) = std::move(*list);
    } else {
        for (std::string_view annotation : kAnnotations) {
            if (key == annotation) return {};
        }
        return schema_error(where, "unsupported keyword \"" + std::string(key) + "\"");
    }
    return {};
}

engine::Result<std::shared_ptr<const Node>> compile_node(const json::Value& schema,
                                                         const std::string& where) {
    auto node = std::make_shared<Node>();
    if (schema.is_bool()) {
        node->boolean = schema.as_bool();
        return std::shared_ptr<const Node>(std::move(node));
    }
    if (!schema.is_object()) return schema_error(where, "a schema must be an object or a bool");
    for (const json::Member& m : schema.as_object()) {
        ENGINE_TRY(compile_keyword(*node, m.key, m.value, where));
    }
    return std::shared_ptr<const Node>(std::move(node));
}

class Validator {
public:
    explicit Validator(size_t max_errors) : max_(max_errors) {}

    void validate(const Node& node, const json::Value& v, const std::string& path);
    std::vector<std::string> take() { return std::move(errors_); }

private:
    bool full() const { return errors_.size() >= max_; }
    void fail(const std::string& path, const std::string& what) {
        if (!full()) errors_.push_back(path + ": " + what);
    }
    void validate_object(const Node& node, const json::Object& o, const std::string& path);
    void validate_number(const Node& node, double d, const std::string& path);

    size_t max_;
    std::vector<std::string> errors_;
};

void Validator::validate(const Node& node, const json::Value& v, const std::string& path) {
    if (full()) return;
    if (node.boolean) {
        if (!*node.boolean) fail(path, "no value is allowed here");
        return;
    }
    if (node.types != 0 && !matches_type(v, node.types)) {
        fail(path, "expected " + type_list(node.types) + ", got " + std::string(instance_type(v)));
        return;  // the remaining keywords would only repeat the mismatch
    }
    if (node.const_value && !(v == *node.const_value)) {
        fail(path, "expected " + short_json(*node.const_value) + ", got " + short_json(v));
    }
    if (node.enum_values) {
        bool found = false;
        for (const json::Value& e : *node.enum_values) found = found || v == e;
        if (!found)
            fail(path, short_json(v) + " is not one of " + short_json(json::Value(*node.enum_values)));
    }
    if (v.is_string()) {
        const size_t n = count_chars(v.as_string());
        if (node.min_length && n < static_cast<size_t>(*node.min_length)) {
            fail(path, "string of " + std::to_string(n) + " characters, minLength is " +
                           std::to_string(*node.min_length));
        }
        if (node.max_length && n > static_cast<size_t>(*node.max_length)) {
            fail(path, "string of " + std::to_string(n) + " characters, maxLength is " +
                           std::to_string(*node.max_length));
        }
        if (node.pattern && !node.pattern->search(v.as_string())) {
            fail(path, short_json(v) + " does not match pattern '" + node.pattern->pattern() + "'");
        }
    }
    if (v.is_number()) validate_number(node, v.as_double(), path);
    if (v.is_array()) {
        const auto& a = v.as_array();
        if (node.min_items && a.size() < static_cast<size_t>(*node.min_items)) {
            fail(path, std::to_string(a.size()) + " items, minItems is " + std::to_string(*node.min_items));
        }
        if (node.max_items && a.size() > static_cast<size_t>(*node.max_items)) {
            fail(path, std::to_string(a.size()) + " items, maxItems is " + std::to_string(*node.max_items));
        }
        if (node.items) {
            for (size_t i = 0; i < a.size(); ++i)
                validate(*node.items, a[i], path + "[" + std::to_string(i) + "]");
        }
    }
    if (v.is_object()) validate_object(node, v.as_object(), path);
    for (const auto& part : node.all_of) validate(*part, v, path);
    if (!node.any_of.empty()) {
        std::string first_reason;
        bool matched = false;
        for (const auto& alternative : node.any_of) {
            Validator inner(1);
            inner.validate(*alternative, v, path);
            auto errors = inner.take();
            if (errors.empty()) {
                matched = true;
                break;
            }
            if (first_reason.empty()) first_reason = errors.front();
        }
        if (!matched) fail(path, "matches none of the anyOf alternatives (first: " + first_reason + ")");
    }
}

void Validator::validate_number(const Node& node, double d, const std::string& path) {
    auto num = [](double x) { return json::dump(json::Value(x)); };
    if (node.minimum && d < *node.minimum)
        fail(path, num(d) + " is less than the minimum " + num(*node.minimum));
    if (node.maximum && d > *node.maximum)
        fail(path, num(d) + " is more than the maximum " + num(*node.maximum));
    if (node.exclusive_minimum && d <= *node.exclusive_minimum) {
        fail(path, num(d) + " is not more than the exclusiveMinimum " + num(*node.exclusive_minimum));
    }
    if (node.exclusive_maximum && d >= *node.exclusive_maximum) {
        fail(path, num(d) + " is not less than the exclusiveMaximum " + num(*node.exclusive_maximum));
    }
}

void Validator::validate_object(const Node& node, const json::Object& o, const std::string& path) {
    for (const std::string& name : node.required) {
        if (!o.contains(name)) fail(path, "missing required property \"" + name + "\"");
    }
    for (const json::Member& m : o) {
        const Node* schema = nullptr;
        for (const auto& [name, child] : node.properties) {
            if (name == m.key) schema = child.get();
        }
        if (schema == nullptr && node.additional) {
            if (node.additional->boolean && !*node.additional->boolean) {
                fail(path, "property \"" + m.key + "\" is not allowed");
                continue;
            }
            schema = node.additional.get();
        }
        if (schema != nullptr) validate(*schema, m.value, child_path(path, m.key));
    }
}

}  // namespace

engine::Result<JsonSchema> JsonSchema::compile(const json::Value& schema) {
    auto root = compile_node(schema, "#");
    if (!root.ok()) return root.error();
    JsonSchema s;
    s.source_ = schema;
    s.root_ = std::move(*root);
    return s;
}

std::vector<std::string> JsonSchema::violations(const json::Value& instance, size_t max_errors) const {
    if (!root_) return {"$: the schema was never compiled"};
    Validator validator(max_errors == 0 ? 1 : max_errors);
    validator.validate(*root_, instance, "$");
    return validator.take();
}

}  // namespace evals
