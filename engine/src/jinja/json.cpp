// JSON for the Jinja module: Python json.dumps-compatible output (the tojson
// filter) and a strict parser so callers can hand messages/tools over as text.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "engine/jinja_value.h"
#include "jinja/utf8.h"

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

std::string json_float(double v) {
    if (std::isnan(v)) return "NaN";
    if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
    return format_float(v);
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
            case ValueKind::floating:
                return json_float(k.as_double());
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
                out += json_float(v.as_double());
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

class Parser {
public:
    explicit Parser(std::string_view text) : s_(text) {}

    Result<Value> parse_document() {
        auto v = parse_value(0);
        if (!v) return v;
        skip_ws();
        if (pos_ != s_.size()) return fail("unexpected trailing data");
        return v;
    }

private:
    Error fail(const std::string& what) const {
        return make_error("[jinja.json] " + what + " at byte offset " + std::to_string(pos_));
    }
    void skip_ws() {
        while (pos_ < s_.size() &&
               (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r'))
            ++pos_;
    }
    bool consume(std::string_view word) {
        if (s_.substr(pos_, word.size()) != word) return false;
        pos_ += word.size();
        return true;
    }

    Result<Value> parse_value(int depth) {
        if (depth > 512) return fail("nesting deeper than 512 levels");
        skip_ws();
        if (pos_ >= s_.size()) return fail("unexpected end of input");
        const char c = s_[pos_];
        if (c == '{') return parse_object(depth);
        if (c == '[') return parse_array(depth);
        if (c == '"') {
            auto str = parse_string();
            if (!str) return str.error();
            return Value(std::move(*str));
        }
        if (consume("true")) return Value(true);
        if (consume("false")) return Value(false);
        if (consume("null")) return Value::none();
        if (c == '-' || (c >= '0' && c <= '9')) return parse_number();
        return fail(std::string("unexpected character '") + c + "'");
    }

    Result<Value> parse_object(int depth) {
        ++pos_;
        Value obj = Value::dict();
        skip_ws();
        if (pos_ < s_.size() && s_[pos_] == '}') {
            ++pos_;
            return obj;
        }
        while (true) {
            skip_ws();
            if (pos_ >= s_.size() || s_[pos_] != '"') return fail("expected a string key");
            auto key = parse_string();
            if (!key) return key.error();
            skip_ws();
            if (pos_ >= s_.size() || s_[pos_] != ':') return fail("expected ':'");
            ++pos_;
            auto v = parse_value(depth + 1);
            if (!v) return v;
            obj.set(Value(std::move(*key)), std::move(*v));  // duplicate keys: last wins, as in Python
            skip_ws();
            if (pos_ < s_.size() && s_[pos_] == ',') {
                ++pos_;
                continue;
            }
            if (pos_ < s_.size() && s_[pos_] == '}') {
                ++pos_;
                return obj;
            }
            return fail("expected ',' or '}'");
        }
    }

    Result<Value> parse_array(int depth) {
        ++pos_;
        Value arr = Value::list();
        skip_ws();
        if (pos_ < s_.size() && s_[pos_] == ']') {
            ++pos_;
            return arr;
        }
        while (true) {
            auto v = parse_value(depth + 1);
            if (!v) return v;
            arr.push_back(std::move(*v));
            skip_ws();
            if (pos_ < s_.size() && s_[pos_] == ',') {
                ++pos_;
                continue;
            }
            if (pos_ < s_.size() && s_[pos_] == ']') {
                ++pos_;
                return arr;
            }
            return fail("expected ',' or ']'");
        }
    }

    Result<unsigned> parse_hex4() {
        if (pos_ + 4 > s_.size()) return fail("truncated \\u escape");
        unsigned v = 0;
        for (int i = 0; i < 4; ++i) {
            const char h = s_[pos_++];
            v <<= 4;
            if (h >= '0' && h <= '9')
                v |= static_cast<unsigned>(h - '0');
            else if (h >= 'a' && h <= 'f')
                v |= static_cast<unsigned>(h - 'a' + 10);
            else if (h >= 'A' && h <= 'F')
                v |= static_cast<unsigned>(h - 'A' + 10);
            else
                return fail("bad hex digit in \\u escape");
        }
        return v;
    }

    Result<std::string> parse_string() {
        ++pos_;  // opening quote
        std::string out;
        while (true) {
            if (pos_ >= s_.size()) return fail("unterminated string");
            const unsigned char c = static_cast<unsigned char>(s_[pos_]);
            if (c == '"') {
                ++pos_;
                return out;
            }
            if (c < 0x20) return fail("control character in string");
            if (c != '\\') {
                out.push_back(static_cast<char>(c));
                ++pos_;
                continue;
            }
            ++pos_;
            if (pos_ >= s_.size()) return fail("unterminated escape");
            const char e = s_[pos_++];
            switch (e) {
                case '"':
                    out.push_back('"');
                    break;
                case '\\':
                    out.push_back('\\');
                    break;
                case '/':
                    out.push_back('/');
                    break;
                case 'b':
                    out.push_back('\b');
                    break;
                case 'f':
                    out.push_back('\f');
                    break;
                case 'n':
                    out.push_back('\n');
                    break;
                case 'r':
                    out.push_back('\r');
                    break;
                case 't':
                    out.push_back('\t');
                    break;
                case 'u': {
                    auto hi = parse_hex4();
                    if (!hi) return hi.error();
                    char32_t cp = *hi;
                    if (cp >= 0xD800 && cp <= 0xDBFF) {
                        if (!consume("\\u")) return fail("unpaired surrogate in \\u escape");
                        auto lo = parse_hex4();
                        if (!lo) return lo.error();
                        if (*lo < 0xDC00 || *lo > 0xDFFF) return fail("unpaired surrogate in \\u escape");
                        cp = 0x10000 + ((cp - 0xD800) << 10) + (*lo - 0xDC00);
                    } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                        return fail("unpaired surrogate in \\u escape");
                    }
                    utf8_append(out, cp);
                    break;
                }
                default:
                    return fail(std::string("invalid escape '\\") + e + "'");
            }
        }
    }

    Result<Value> parse_number() {
        const std::size_t start = pos_;
        if (s_[pos_] == '-') ++pos_;
        auto digits = [this] {
            std::size_t n = 0;
            while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') ++pos_, ++n;
            return n;
        };
        if (pos_ < s_.size() && s_[pos_] == '0') {
            ++pos_;
        } else if (digits() == 0) {
            return fail("invalid number");
        }
        bool is_float = false;
        if (pos_ < s_.size() && s_[pos_] == '.') {
            ++pos_;
            is_float = true;
            if (digits() == 0) return fail("invalid number");
        }
        if (pos_ < s_.size() && (s_[pos_] == 'e' || s_[pos_] == 'E')) {
            ++pos_;
            is_float = true;
            if (pos_ < s_.size() && (s_[pos_] == '+' || s_[pos_] == '-')) ++pos_;
            if (digits() == 0) return fail("invalid number");
        }
        const std::string text(s_.substr(start, pos_ - start));
        if (!is_float) {
            std::int64_t v = 0;
            auto res = std::from_chars(text.data(), text.data() + text.size(), v);
            if (res.ec == std::errc()) return Value(v);
        }
        return Value(std::strtod(text.c_str(), nullptr));
    }

    std::string_view s_;
    std::size_t pos_ = 0;
};

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

Result<Value> parse_json(std::string_view text) { return Parser(text).parse_document(); }

}  // namespace engine::jinja
