// A small JSON Schema validator for the constrained-decoding tests, written
// independently of the grammar compiler: it checks values the recognizer
// produced against the schema they were produced for.
#pragma once

#include <cmath>
#include <string>

#include "engine/json.h"

namespace schema_check {

namespace json = engine::json;

inline int64_t code_points(const std::string& s) {
    int64_t n = 0;
    for (unsigned char c : s) n += (c & 0xC0) != 0x80;
    return n;
}

inline bool has_type(const json::Value& v, const std::string& type) {
    if (type == "object") return v.is_object();
    if (type == "array") return v.is_array();
    if (type == "string") return v.is_string();
    if (type == "boolean") return v.is_bool();
    if (type == "null") return v.is_null();
    if (type == "number") return v.is_number();
    if (type == "integer") return v.is_int() || (v.is_double() && std::floor(v.as_double()) == v.as_double());
    return false;
}

inline const json::Value* resolve(const json::Value& root, const std::string& ref) {
    const json::Value* at = &root;
    size_t pos = 1;  // after '#'
    while (pos < ref.size()) {
        size_t next = ref.find('/', pos + 1);
        std::string token =
            ref.substr(pos + 1, next == std::string::npos ? std::string::npos : next - pos - 1);
        at = at->find(token);
        if (!at) return nullptr;
        pos = next == std::string::npos ? ref.size() : next;
    }
    return at;
}

// "" when `v` validates; otherwise the first reason it does not.
inline std::string validate(const json::Value& v, const json::Value& schema, const json::Value& root) {
    if (schema.is_bool()) return schema.as_bool() ? "" : "false schema";
    if (const json::Value* ref = schema.find("$ref")) {
        const json::Value* target = resolve(root, ref->as_string());
        return target ? validate(v, *target, root) : "bad $ref";
    }
    if (const json::Value* c = schema.find("const"))
        if (!(v == *c)) return "not the const value";
    if (const json::Value* e = schema.find("enum")) {
        bool found = false;
        for (const auto& option : e->as_array()) found = found || v == option;
        if (!found) return "not in enum";
    }
    if (const json::Value* any = schema.find("anyOf")) {
        bool ok = false;
        for (const auto& s : any->as_array()) ok = ok || validate(v, s, root).empty();
        if (!ok) return "no anyOf alternative matches";
    }
    if (const json::Value* one = schema.find("oneOf")) {
        int matches = 0;
        for (const auto& s : one->as_array()) matches += validate(v, s, root).empty();
        if (matches != 1) return "oneOf matches " + std::to_string(matches);
    }
    if (const json::Value* all = schema.find("allOf"))
        for (const auto& s : all->as_array())
            if (auto r = validate(v, s, root); !r.empty()) return r;
    if (const json::Value* type = schema.find("type")) {
        bool ok = false;
        if (type->is_string()) ok = has_type(v, type->as_string());
        for (const auto& t : type->as_array()) ok = ok || has_type(v, t.as_string());
        if (!ok) return "wrong type " + std::string(json::type_name(v.type()));
    }
    if (v.is_string()) {
        const int64_t n = code_points(v.as_string());
        if (auto m = schema["minLength"].get_int(); m && n < *m) return "string too short";
        if (auto m = schema["maxLength"].get_int(); m && n > *m) return "string too long";
    }
    if (v.is_number()) {
        const double x = v.as_double();
        if (auto m = schema["minimum"].get_double(); m && x < *m) return "below minimum";
        if (auto m = schema["maximum"].get_double(); m && x > *m) return "above maximum";
        if (auto m = schema["exclusiveMinimum"].get_double(); m && x <= *m)
            return "not above exclusiveMinimum";
        if (auto m = schema["exclusiveMaximum"].get_double(); m && x >= *m)
            return "not below exclusiveMaximum";
    }
    if (v.is_array()) {
        const auto n = static_cast<int64_t>(v.size());
        if (auto m = schema["minItems"].get_int(); m && n < *m) return "too few items";
        if (auto m = schema["maxItems"].get_int(); m && n > *m) return "too many items";
        if (const json::Value* items = schema.find("items"))
            for (const auto& item : v.as_array())
                if (auto r = validate(item, *items, root); !r.empty()) return "item: " + r;
    }
    if (v.is_object()) {
        const json::Value* properties = schema.find("properties");
        for (const auto& name : schema["required"].as_array())
            if (!v.find(name.as_string())) return "missing required " + name.as_string();
        for (const auto& member : v.as_object()) {
            const json::Value* sub = properties ? properties->find(member.key) : nullptr;
            if (!sub) {
                const json::Value* extra = schema.find("additionalProperties");
                if (extra && extra->is_bool() && !extra->as_bool()) return "extra property " + member.key;
                sub = extra;
            }
            if (sub)
                if (auto r = validate(member.value, *sub, root); !r.empty()) return member.key + ": " + r;
        }
    }
    return "";
}

inline std::string validate(const json::Value& v, const json::Value& schema) {
    return validate(v, schema, schema);
}

}  // namespace schema_check
