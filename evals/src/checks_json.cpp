// Checks as JSON definitions (format in checks.h).
#include "checks_internal.h"

namespace evals {

namespace json = engine::json;

namespace {

engine::Error json_error(const std::string& where, const std::string& what) {
    return engine::make_error("[checks] " + where + ": " + what);
}

// Built by append: GCC 12 reports a false -Wrestrict for `"literal" + std::string(...)` at -O3.
std::string quoted(std::string_view key) {
    std::string out;
    out += '"';
    out.append(key);
    out += '"';
    return out;
}

engine::Result<bool> read_bool(const json::Value& o, std::string_view key, bool fallback,
                               const std::string& where) {
    const json::Value* v = o.find(key);
    if (v == nullptr) return fallback;
    if (!v->is_bool()) return json_error(where, quoted(key) + " must be true or false");
    return v->as_bool();
}

engine::Result<std::optional<std::string>> read_optional_text(const json::Value& o, std::string_view key,
                                                              const std::string& where) {
    const json::Value* v = o.find(key);
    if (v == nullptr || v->is_null()) return std::optional<std::string>();
    if (!v->is_string()) return json_error(where, quoted(key) + " must be a string");
    return std::optional<std::string>(v->as_string());
}

engine::Result<std::optional<int64_t>> read_limit(const json::Value& o, std::string_view key,
                                                  const std::string& where) {
    const json::Value* v = o.find(key);
    if (v == nullptr || v->is_null()) return std::optional<int64_t>();
    auto n = v->get_int();
    if (!v->is_number() || !n || *n < 0) {
        return json_error(where, quoted(key) + " must be a non-negative integer");
    }
    return std::optional<int64_t>(*n);
}

engine::Result<Check> parse_node(const json::Value& v, const std::string& where);

engine::Result<std::vector<Check>> parse_list(const json::Value& v, std::string_view key,
                                              const std::string& where) {
    const json::Value& list = v[key];
    if (!list.is_array() || list.size() == 0) {
        return json_error(where, quoted(key) + " must be a non-empty list of checks");
    }
    std::vector<Check> out;
    for (size_t i = 0; i < list.size(); ++i) {
        auto part = parse_node(list[i], where + "." + std::string(key) + "[" + std::to_string(i) + "]");
        if (!part.ok()) return part.error();
        out.push_back(std::move(*part));
    }
    return out;
}

engine::Status parse_leaf_fields(Check& c, const json::Value& v, const std::string& type,
                                 const std::string& where) {
    if (type == "regex") {
        c.kind = CheckKind::regex;
        c.text = v["pattern"].as_string();
        auto negate = read_bool(v, "negate", false, where);
        if (!negate.ok()) return negate.error();
        c.negate = *negate;
    } else if (type == "contains") {
        c.kind = CheckKind::contains;
        c.text = v["text"].as_string();
        auto negate = read_bool(v, "negate", false, where);
        auto sensitive = read_bool(v, "case_sensitive", true, where);
        if (!negate.ok()) return negate.error();
        if (!sensitive.ok()) return sensitive.error();
        c.negate = *negate;
        c.case_sensitive = *sensitive;
    } else if (type == "json_valid") {
        c.kind = CheckKind::json_valid;
    } else if (type == "json_schema") {
        const json::Value* schema = v.find("schema");
        if (schema == nullptr) return json_error(where, "a json_schema check needs \"schema\"");
        auto compiled = JsonSchema::compile(*schema);
        if (!compiled.ok()) return json_error(where, compiled.error().message);
        c.kind = CheckKind::json_schema;
        c.schema = std::move(*compiled);
    } else if (type == "length") {
        c.kind = CheckKind::length;
        const std::string& unit = v["unit"].as_string();
        if (unit == "chars") {
            c.unit = LengthUnit::chars;
        } else if (unit == "words") {
            c.unit = LengthUnit::words;
        } else if (unit == "tokens") {
            c.unit = LengthUnit::tokens;
        } else {
            return json_error(where, "\"unit\" must be chars, words or tokens");
        }
        auto min = read_limit(v, "min", where);
        auto max = read_limit(v, "max", where);
        if (!min.ok()) return min.error();
        if (!max.ok()) return max.error();
        c.min = *min;
        c.max = *max;
    } else if (type == "exact" || type == "normalized" || type == "similarity") {
        c.kind = type == "exact"        ? CheckKind::exact
                 : type == "normalized" ? CheckKind::normalized
                                        : CheckKind::similarity;
        auto expected = read_optional_text(v, "expected", where);
        if (!expected.ok()) return expected.error();
        c.expected = *expected;
        if (c.kind == CheckKind::normalized) {
            NormalizeOptions defaults;
            struct Flag {
                const char* key;
                bool* target;
                bool fallback;
            } flags[] = {
                {"case_fold", &c.normalize.case_fold, defaults.case_fold},
                {"collapse_whitespace", &c.normalize.collapse_whitespace, defaults.collapse_whitespace},
                {"strip_punctuation", &c.normalize.strip_punctuation, defaults.strip_punctuation},
                {"strip_accents", &c.normalize.strip_accents, defaults.strip_accents}};
            for (const Flag& flag : flags) {
                auto value = read_bool(v, flag.key, flag.fallback, where);
                if (!value.ok()) return value.error();
                *flag.target = *value;
            }
        }
        if (c.kind == CheckKind::similarity) {
            auto metric = similarity_metric_from_name(v["metric"].as_string());
            if (!metric) {
                return json_error(
                    where, "\"metric\" must be one of fuzzy_match, bleu, gleu, rouge_1..rouge_5, rouge_l");
            }
            c.metric = *metric;
        }
    } else {
        return json_error(
            where, "unknown check type \"" + type +
                       "\" (known: regex, contains, json_valid, json_schema, length, exact, normalized, "
                       "similarity, weighted, all, any, gate)");
    }
    return detail::finish_leaf(c, "[checks] " + where);
}

engine::Result<Check> parse_node(const json::Value& v, const std::string& where) {
    if (!v.is_object()) return json_error(where, "a check must be a JSON object");
    auto type_value = v["type"].get_string();
    if (!type_value) return json_error(where, "a check needs \"type\"");
    const std::string type(*type_value);
    Check c;
    if (type == "weighted") {
        c.kind = CheckKind::weighted;
        const json::Value& parts = v["parts"];
        if (!parts.is_array() || parts.size() == 0)
            return json_error(where, "\"parts\" must be a non-empty list");
        for (size_t i = 0; i < parts.size(); ++i) {
            const std::string at = where + ".parts[" + std::to_string(i) + "]";
            const json::Value* weight = parts[i].find("weight");
            double w = 1.0;
            if (weight != nullptr) {
                auto d = weight->get_double();
                if (!weight->is_number() || !d || !(*d > 0.0))
                    return json_error(at, "\"weight\" must be a positive number");
                w = *d;
            }
            auto part = parse_node(parts[i]["check"], at + ".check");
            if (!part.ok()) return part.error();
            c.weights.push_back(w);
            c.parts.push_back(std::move(*part));
        }
    } else if (type == "all" || type == "any") {
        c.kind = type == "all" ? CheckKind::all : CheckKind::any;
        auto parts = parse_list(v, "checks", where);
        if (!parts.ok()) return parts.error();
        c.parts = std::move(*parts);
    } else if (type == "gate") {
        c.kind = CheckKind::gate;
        auto gate = parse_node(v["gate"], where + ".gate");
        if (!gate.ok()) return gate.error();
        auto then = parse_node(v["then"], where + ".then");
        if (!then.ok()) return then.error();
        c.parts.push_back(std::move(*gate));
        c.parts.push_back(std::move(*then));
    } else {
        ENGINE_TRY(parse_leaf_fields(c, v, type, where));
    }
    if (const json::Value* t = v.find("pass_threshold"); t != nullptr && !t->is_null()) {
        auto d = t->get_double();
        if (!t->is_number() || !d || *d < 0.0 || *d > 1.0) {
            return json_error(where, "\"pass_threshold\" must be a number within [0, 1]");
        }
        c.pass_threshold = *d;
    }
    return c;
}

}  // namespace

engine::Result<Check> check_from_json(const json::Value& value) { return parse_node(value, "check"); }

json::Value check_to_json(const Check& c) {
    json::Object o;
    switch (c.kind) {
        case CheckKind::regex:
            o.set("type", "regex");
            o.set("pattern", c.text);
            o.set("negate", c.negate);
            break;
        case CheckKind::contains:
            o.set("type", "contains");
            o.set("text", c.text);
            o.set("case_sensitive", c.case_sensitive);
            o.set("negate", c.negate);
            break;
        case CheckKind::json_valid:
            o.set("type", "json_valid");
            break;
        case CheckKind::json_schema:
            o.set("type", "json_schema");
            o.set("schema", c.schema ? c.schema->source() : json::Value(json::Object()));
            break;
        case CheckKind::length:
            o.set("type", "length");
            o.set("unit", c.unit == LengthUnit::chars   ? "chars"
                          : c.unit == LengthUnit::words ? "words"
                                                        : "tokens");
            if (c.min) o.set("min", *c.min);
            if (c.max) o.set("max", *c.max);
            break;
        case CheckKind::exact:
        case CheckKind::normalized:
        case CheckKind::similarity:
            o.set("type", c.kind == CheckKind::exact        ? "exact"
                          : c.kind == CheckKind::normalized ? "normalized"
                                                            : "similarity");
            if (c.kind == CheckKind::similarity)
                o.set("metric", std::string(similarity_metric_name(c.metric)));
            if (c.expected) o.set("expected", *c.expected);
            if (c.kind == CheckKind::normalized) {
                o.set("case_fold", c.normalize.case_fold);
                o.set("collapse_whitespace", c.normalize.collapse_whitespace);
                o.set("strip_punctuation", c.normalize.strip_punctuation);
                o.set("strip_accents", c.normalize.strip_accents);
            }
            break;
        case CheckKind::weighted: {
            o.set("type", "weighted");
            json::Array parts;
            for (size_t i = 0; i < c.parts.size(); ++i) {
                json::Object part;
                part.set("weight", i < c.weights.size() ? c.weights[i] : 1.0);
                part.set("check", check_to_json(c.parts[i]));
                parts.emplace_back(std::move(part));
            }
            o.set("parts", std::move(parts));
            break;
        }
        case CheckKind::all:
        case CheckKind::any: {
            o.set("type", c.kind == CheckKind::all ? "all" : "any");
            json::Array parts;
            for (const Check& part : c.parts) parts.push_back(check_to_json(part));
            o.set("checks", std::move(parts));
            break;
        }
        case CheckKind::gate:
            o.set("type", "gate");
            if (c.parts.size() == 2) {
                o.set("gate", check_to_json(c.parts[0]));
                o.set("then", check_to_json(c.parts[1]));
            }
            break;
    }
    if (c.pass_threshold) o.set("pass_threshold", *c.pass_threshold);
    return o;
}

}  // namespace evals
