// JSON serializer matching Python's json.dumps output byte for byte for the
// options we expose (chat templates call `tojson`, whose output the model saw
// during training, so spacing and number spelling matter).
#include <algorithm>
#include <charconv>
#include <cmath>

#include "core/utf8.h"
#include "engine/json.h"
#include "json/float_repr.h"

namespace engine::json {
namespace {

constexpr char kHex[] = "0123456789abcdef";

void append_u_escape(std::string& out, uint32_t unit) {
    out += "\\u";
    out.push_back(kHex[(unit >> 12) & 15]);
    out.push_back(kHex[(unit >> 8) & 15]);
    out.push_back(kHex[(unit >> 4) & 15]);
    out.push_back(kHex[unit & 15]);
}

void dump_string(std::string& out, std::string_view s, bool ensure_ascii) {
    out.push_back('"');
    size_t i = 0;
    while (i < s.size()) {
        // Copy runs that need no escaping in one go.
        size_t run = i;
        while (run < s.size()) {
            auto c = static_cast<unsigned char>(s[run]);
            if (c < 0x20 || c == '"' || c == '\\' || (ensure_ascii && c >= 0x7F)) break;
            ++run;
        }
        out.append(s.data() + i, run - i);
        i = run;
        if (i >= s.size()) break;
        auto c = static_cast<unsigned char>(s[i]);
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            case '\b':
                out += "\\b";
                break;
            case '\f':
                out += "\\f";
                break;
            default:
                if (c < 0x80) {
                    append_u_escape(out, c);  // other control characters, and DEL under ensure_ascii
                } else {
                    size_t n = 1;
                    bool valid = false;
                    uint32_t cp = utf8::decode_at(s, i, n, valid);
                    if (!valid) cp = 0xFFFD;  // malformed byte (n == 1): Python strings cannot hold it either
                    if (cp >= 0x10000) {
                        cp -= 0x10000;
                        append_u_escape(out, 0xD800 + (cp >> 10));
                        append_u_escape(out, 0xDC00 + (cp & 0x3FF));
                    } else {
                        append_u_escape(out, cp);
                    }
                    i += n;
                    continue;
                }
        }
        ++i;
    }
    out.push_back('"');
}

// Finite values only. Python repr(float): shortest round-trip digits; fixed notation when the
// decimal exponent is in [-4, 16), else d.ddde+XX with at least two exponent digits.
void append_finite_repr(std::string& out, double d) {
    if (std::signbit(d)) out.push_back('-');
    d = std::fabs(d);
    char buf[64];
    auto r = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific);
    std::string_view sci(buf, static_cast<size_t>(r.ptr - buf));  // "1.2345e+02"
    size_t e_pos = sci.find('e');
    std::string digits;
    for (char c : sci.substr(0, e_pos))
        if (c != '.') digits.push_back(c);
    int exponent = 0;
    std::string_view exp_text = sci.substr(e_pos + 1);
    if (!exp_text.empty() && exp_text[0] == '+') exp_text.remove_prefix(1);
    std::from_chars(exp_text.data(), exp_text.data() + exp_text.size(), exponent);
    int decpt = exponent + 1;  // digits[0..decpt) are the integer part
    auto n_digits = static_cast<int>(digits.size());
    if (decpt > -4 && decpt <= 16) {
        if (decpt <= 0) {
            out += "0.";
            out.append(static_cast<size_t>(-decpt), '0');
            out += digits;
        } else if (decpt < n_digits) {
            out.append(digits, 0, static_cast<size_t>(decpt));
            out.push_back('.');
            out.append(digits, static_cast<size_t>(decpt));
        } else {
            out += digits;
            out.append(static_cast<size_t>(decpt - n_digits), '0');
            out += ".0";
        }
        return;
    }
    out.push_back(digits[0]);
    if (n_digits > 1) {
        out.push_back('.');
        out.append(digits, 1);
    }
    out.push_back('e');
    out.push_back(exponent < 0 ? '-' : '+');
    int a = std::abs(exponent);
    if (a < 10) out.push_back('0');
    out += std::to_string(a);
}

class Dumper {
public:
    explicit Dumper(const DumpOptions& options) : o_(options) {
        bool compact = o_.style == DumpOptions::Style::compact;
        item_sep_ = (compact || o_.indent >= 0) ? "," : ", ";
        key_sep_ = compact ? ":" : ": ";
    }

    void value(std::string& out, const Value& v, int level) {
        switch (v.type()) {
            case Type::null:
                out += "null";
                break;
            case Type::boolean:
                out += v.as_bool() ? "true" : "false";
                break;
            case Type::integer:
                out += std::to_string(v.as_int());
                break;
            case Type::real:
                append_json_double(out, v.as_double());
                break;
            case Type::string:
                dump_string(out, v.as_string(), o_.ensure_ascii);
                break;
            case Type::array: {
                const Array& a = v.as_array();
                if (a.empty()) {
                    out += "[]";
                    break;
                }
                out.push_back('[');
                for (size_t i = 0; i < a.size(); ++i) {
                    if (i) out += item_sep_;
                    newline(out, level + 1);
                    value(out, a[i], level + 1);
                }
                newline(out, level);
                out.push_back(']');
                break;
            }
            case Type::object: {
                const Object& obj = v.as_object();
                if (obj.empty()) {
                    out += "{}";
                    break;
                }
                std::vector<const Member*> members;
                members.reserve(obj.size());
                for (const Member& m : obj) members.push_back(&m);
                if (o_.sort_keys)
                    std::stable_sort(members.begin(), members.end(),
                                     [](const Member* a, const Member* b) { return a->key < b->key; });
                out.push_back('{');
                for (size_t i = 0; i < members.size(); ++i) {
                    if (i) out += item_sep_;
                    newline(out, level + 1);
                    dump_string(out, members[i]->key, o_.ensure_ascii);
                    out += key_sep_;
                    value(out, members[i]->value, level + 1);
                }
                newline(out, level);
                out.push_back('}');
                break;
            }
        }
    }

private:
    void newline(std::string& out, int level) {
        if (o_.indent < 0) return;
        out.push_back('\n');
        out.append(static_cast<size_t>(o_.indent) * static_cast<size_t>(level), ' ');
    }

    const DumpOptions& o_;
    const char* item_sep_;
    const char* key_sep_;
};

}  // namespace

std::string dump(const Value& value, const DumpOptions& options) {
    std::string out;
    Dumper(options).value(out, value, 0);
    return out;
}

std::string python_float_repr(double d) {
    if (std::isnan(d)) return "nan";
    if (std::isinf(d)) return d < 0 ? "-inf" : "inf";
    std::string out;
    append_finite_repr(out, d);
    return out;
}

void append_json_double(std::string& out, double d) {
    if (std::isnan(d)) {
        out += "NaN";
    } else if (std::isinf(d)) {
        out += d < 0 ? "-Infinity" : "Infinity";
    } else {
        append_finite_repr(out, d);
    }
}

}  // namespace engine::json
