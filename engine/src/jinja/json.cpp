// JSON for the Jinja module: Python json.dumps-compatible output (the tojson
// filter, which must also dump Jinja-only values such as tuples and reject
// undefined/functions) and parse_json, a thin adapter over the engine's json::parse
// so callers can hand messages/tools over as text.
#include "engine/json.h"

#include <algorithm>
#include <cstdio>

#include "engine/jinja_value.h"
#include "jinja/utf8.h"
#include "json/float_repr.h"

namespace engine::jinja {
namespace {

void append_json_string(std::string& out, const std::string& s, bool ensure_ascii) {
    out.push_back('"');
    auto escape_u = [&out](unsigned v) {
        char buf[16];
        std::snprintf(buf, sizeof(buf), "\\u%04x", v);
        out += buf;
    };
    for (char32_t c : utf8_decode(s)) {
        switch (c) {
            case '"':
                out += "\\\"";
                continue;
            case '\\':
                out += "\\\\";
                continue;
            case '\n':
                out += "\\n";
                continue;
            case '\r':
                out += "\\r";
                continue;
            case '\t':
                out += "\\t";
                continue;
            case '\b':
                out += "\\b";
                continue;
            case '\f':
                out += "\\f";
                continue;
            default:
                break;
        }
        if (c < 0x20) {
            escape_u(static_cast<unsigned>(c));
        } else if (ensure_ascii && c >= 0x80) {
            if (c >= 0x10000) {
                const char32_t v = c - 0x10000;
                escape_u(static_cast<unsigned>(0xD800 + (v >> 10)));
                escape_u(static_cast<unsigned>(0xDC00 + (v & 0x3FF)));
            } else {
                escape_u(static_cast<unsigned>(c));
            }
        } else {
            utf8_append(out, c);
        }
    }
    out.push_back('"');
}

struct Dumper {
    const JsonDumpOptions& opt;
    std::string indent_unit;
    std::string item_sep;
    std::string key_sep;
    std::string out;
    int depth = 0;

    Status newline(int level) {
        if (opt.indent < 0 && opt.indent_string.empty()) return {};
        out.push_back('\n');
        for (int i = 0; i < level; ++i) out += indent_unit;
        return {};
    }

    Result<std::string> key_string(const Value& k) {
        switch (k.kind()) {
            case ValueKind::string:
                return k.as_string();
            case ValueKind::integer:
                return std::to_string(k.as_int());
            case ValueKind::floating: {
                std::string text;
                json::append_json_double(text, k.as_double());
                return text;
            }
            case ValueKind::boolean:
                return std::string(k.as_bool() ? "true" : "false");
            case ValueKind::none:
                return std::string("null");
            default:
                return make_error("[jinja.tojson] keys must be str, int, float, bool or None, not " +
                                  k.type_name());
        }
    }

    Status dump(const Value& v) {
        if (++depth > 512) return make_error("[jinja.tojson] nesting deeper than 512 levels");
        switch (v.kind()) {
            case ValueKind::none:
                out += "null";
                break;
            case ValueKind::boolean:
                out += v.as_bool() ? "true" : "false";
                break;
            case ValueKind::integer:
                out += std::to_string(v.as_int());
                break;
            case ValueKind::floating:
                json::append_json_double(out, v.as_double());
                break;
            case ValueKind::string:
                append_json_string(out, v.as_string(), opt.ensure_ascii);
                break;
            case ValueKind::list: {
                const auto& items = v.items();
                if (items.empty()) {
                    out += "[]";
                    break;
                }
                out.push_back('[');
                for (std::size_t i = 0; i < items.size(); ++i) {
                    if (i) out += item_sep;
                    ENGINE_TRY(newline(depth));
                    ENGINE_TRY(dump(items[i]));
                }
                ENGINE_TRY(newline(depth - 1));
                out.push_back(']');
                break;
            }
            case ValueKind::dict: {
                if (v.is_namespace())
                    return make_error("[jinja.tojson] Object of type Namespace is not JSON serializable");
                std::vector<std::pair<std::string, const Value*>> entries;
                for (const auto& [k, item] : v.dict_data().items) {
                    auto key = key_string(k);
                    if (!key) return key.error();
                    entries.emplace_back(std::move(*key), &item);
                }
                if (entries.empty()) {
                    out += "{}";
                    break;
                }
                if (opt.sort_keys)
                    std::stable_sort(entries.begin(), entries.end(),
                                     [](const auto& a, const auto& b) { return a.first < b.first; });
                out.push_back('{');
                for (std::size_t i = 0; i < entries.size(); ++i) {
                    if (i) out += item_sep;
                    ENGINE_TRY(newline(depth));
                    append_json_string(out, entries[i].first, opt.ensure_ascii);
                    out += key_sep;
                    ENGINE_TRY(dump(*entries[i].second));
                }
                ENGINE_TRY(newline(depth - 1));
                out.push_back('}');
                break;
            }
            case ValueKind::undefined:
            case ValueKind::function:
                return make_error("[jinja.tojson] Object of type " + v.type_name() +
                                  " is not JSON serializable");
        }
        --depth;
        return {};
    }
};

// json::Value -> jinja::Value. Ints stay ints, doubles stay doubles, object
// members keep their order. Depth is bounded by json::parse's nesting limit.
Value from_json(const json::Value& v) {
    switch (v.type()) {
        case json::Type::null:
            return Value::none();
        case json::Type::boolean:
            return Value(v.as_bool());
        case json::Type::integer:
            return Value(v.as_int());
        case json::Type::real:
            return Value(v.as_double());
        case json::Type::string:
            return Value(v.as_string());
        case json::Type::array: {
            Value list = Value::list();
            for (const json::Value& item : v.as_array()) list.push_back(from_json(item));
            return list;
        }
        case json::Type::object: {
            Value dict = Value::dict();
            for (const json::Member& m : v.as_object()) dict.set(Value(m.key), from_json(m.value));
            return dict;
        }
    }
    return Value::none();
}

// json::parse reports "[json] line L, column C: what" (C in bytes); the Jinja
// API has always named the byte offset, so translate the position back.
Error offset_error(std::string_view text, const std::string& message) {
    std::size_t line = 0;
    std::size_t column = 0;
    std::string what = message;
    if (std::sscanf(message.c_str(), "[json] line %zu, column %zu", &line, &column) == 2) {
        if (const auto colon = message.find(": "); colon != std::string::npos)
            what = message.substr(colon + 2);
        std::size_t offset = 0;
        for (std::size_t l = 1; l < line && offset < text.size(); ++offset)
            if (text[offset] == '\n') ++l;
        offset += column - 1;
        return make_error("[jinja.json] " + what + " at byte offset " + std::to_string(offset));
    }
    return make_error("[jinja.json] " + what);
}

}  // namespace

Result<std::string> to_json(const Value& value, const JsonDumpOptions& options) {
    Dumper d{options, {}, {}, {}, {}, 0};
    const bool pretty = options.indent >= 0 || !options.indent_string.empty();
    d.indent_unit = !options.indent_string.empty()
                        ? options.indent_string
                        : std::string(static_cast<std::size_t>(std::max(0, options.indent)), ' ');
    d.item_sep = !options.item_separator.empty() ? options.item_separator : (pretty ? "," : ", ");
    d.key_sep = !options.key_separator.empty() ? options.key_separator : ": ";
    ENGINE_TRY(d.dump(value));
    return std::move(d.out);
}

Result<Value> parse_json(std::string_view text) {
    json::ParseOptions options;
    options.allow_duplicate_keys = true;  // last one wins, as in Python's json.loads
    auto parsed = json::parse(text, options);
    if (!parsed) return offset_error(text, parsed.error().message);
    return from_json(*parsed);
}

}  // namespace engine::jinja
