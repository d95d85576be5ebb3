// Strict recursive-descent JSON parser. Speed matters for multi-megabyte
// tokenizer.json files: strings are scanned for the next quote/backslash and
// copied in runs, numbers go through std::from_chars, and nothing is
// allocated besides the values themselves.
#include <charconv>

#include "core/utf8.h"
#include "engine/json.h"
#include "engine/mapped_file.h"

namespace engine::json {
namespace {

int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

class Parser {
public:
    Parser(std::string_view text, const ParseOptions& options)
        : begin_(text.data()), p_(text.data()), end_(text.data() + text.size()), options_(options) {}

    Result<Value> run() {
        skip_ws();
        Value v;
        if (!parse_value(v, 0)) return error_;
        skip_ws();
        if (p_ != end_) return fail("unexpected data after the JSON value");
        return v;
    }

private:
    // Records the first error (with its position) and returns false so callers unwind.
    bool fail_at(const char* at, const std::string& what) {
        size_t line = 1;
        const char* line_start = begin_;
        for (const char* q = begin_; q < at; ++q)
            if (*q == '\n') {
                ++line;
                line_start = q + 1;
            }
        error_ = make_error("[json] line " + std::to_string(line) + ", column " +
                            std::to_string(at - line_start + 1) + ": " + what);
        return false;
    }
    Error fail(const std::string& what) {
        fail_at(p_, what);
        return error_;
    }
    bool fail_here(const std::string& what) { return fail_at(p_, what); }

    static std::string describe(const char* p, const char* end) {
        if (p >= end) return "end of input";
        unsigned char c = static_cast<unsigned char>(*p);
        if (c >= 0x20 && c < 0x7F) return std::string("'") + static_cast<char>(c) + "'";
        static const char* hex = "0123456789abcdef";
        return std::string("byte 0x") + hex[c >> 4] + hex[c & 15];
    }

    void skip_ws() {
        while (p_ < end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t')) ++p_;
    }

    bool literal(std::string_view word) {
        if (static_cast<size_t>(end_ - p_) < word.size() || std::string_view(p_, word.size()) != word)
            return fail_here("invalid literal (expected '" + std::string(word) + "')");
        p_ += word.size();
        return true;
    }

    bool parse_value(Value& out, int depth) {
        if (p_ >= end_) return fail_here("unexpected end of input (expected a value)");
        switch (*p_) {
            case '{':
                return parse_object(out, depth + 1);
            case '[':
                return parse_array(out, depth + 1);
            case '"': {
                std::string s;
                if (!parse_string(s)) return false;
                out = Value(std::move(s));
                return true;
            }
            case 't':
                if (!literal("true")) return false;
                out = Value(true);
                return true;
            case 'f':
                if (!literal("false")) return false;
                out = Value(false);
                return true;
            case 'n':
                if (!literal("null")) return false;
                out = Value();
                return true;
            default:
                if (*p_ == '-' || is_digit(*p_)) return parse_number(out);
                return fail_here("unexpected " + describe(p_, end_) + " (expected a value)");
        }
    }

    bool enter(int depth) {
        if (depth > options_.max_depth)
            return fail_here("nesting deeper than the limit of " + std::to_string(options_.max_depth));
        return true;
    }

    bool parse_array(Value& out, int depth) {
        if (!enter(depth)) return false;
        ++p_;  // '['
        Array items;
        skip_ws();
        if (p_ < end_ && *p_ == ']') {
            ++p_;
            out = Value(std::move(items));
            return true;
        }
        for (;;) {
            skip_ws();
            items.emplace_back();
            if (!parse_value(items.back(), depth)) return false;
            skip_ws();
            if (p_ < end_ && *p_ == ',') {
                ++p_;
                continue;
            }
            if (p_ < end_ && *p_ == ']') {
                ++p_;
                break;
            }
            return fail_here("unexpected " + describe(p_, end_) + " in array (expected ',' or ']')");
        }
        out = Value(std::move(items));
        return true;
    }

    bool parse_object(Value& out, int depth) {
        if (!enter(depth)) return false;
        ++p_;  // '{'
        Object object;
        skip_ws();
        if (p_ < end_ && *p_ == '}') {
            ++p_;
            out = Value(std::move(object));
            return true;
        }
        for (;;) {
            skip_ws();
            if (p_ >= end_ || *p_ != '"')
                return fail_here("unexpected " + describe(p_, end_) + " in object (expected a string key)");
            const char* key_at = p_;
            std::string key;
            if (!parse_string(key)) return false;
            skip_ws();
            if (p_ >= end_ || *p_ != ':')
                return fail_here("unexpected " + describe(p_, end_) + " after object key (expected ':')");
            ++p_;
            skip_ws();
            Value v;
            if (!parse_value(v, depth)) return false;
            if (options_.allow_duplicate_keys) {
                object.set(std::move(key), std::move(v));
            } else if (Value* existing = object.find(key); existing) {
                return fail_at(key_at, "duplicate object key \"" + key + "\"");
            } else {
                object.insert(std::move(key), std::move(v));
            }
            skip_ws();
            if (p_ < end_ && *p_ == ',') {
                ++p_;
                continue;
            }
            if (p_ < end_ && *p_ == '}') {
                ++p_;
                break;
            }
            return fail_here("unexpected " + describe(p_, end_) + " in object (expected ',' or '}')");
        }
        out = Value(std::move(object));
        return true;
    }

    bool read_hex4(uint32_t& out) {
        if (end_ - p_ < 4) return fail_here("truncated \\u escape");
        out = 0;
        for (int i = 0; i < 4; ++i) {
            int d = hex_digit(p_[i]);
            if (d < 0)
                return fail_at(p_ + i, "invalid hex digit " + describe(p_ + i, end_) + " in \\u escape");
            out = out * 16 + static_cast<uint32_t>(d);
        }
        p_ += 4;
        return true;
    }

    bool parse_string(std::string& out) {
        const char* open = p_;
        ++p_;  // opening quote
        for (;;) {
            const char* run = p_;
            while (p_ < end_ && *p_ != '"' && *p_ != '\\' && static_cast<unsigned char>(*p_) >= 0x20) ++p_;
            out.append(run, static_cast<size_t>(p_ - run));
            if (p_ >= end_) return fail_at(open, "unterminated string");
            char c = *p_;
            if (c == '"') {
                ++p_;
                return true;
            }
            if (c != '\\') return fail_here("control character " + describe(p_, end_) + " in string");
            ++p_;
            if (p_ >= end_) return fail_at(open, "unterminated string");
            char e = *p_++;
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
                    const char* escape_at = p_ - 2;
                    uint32_t cp;
                    if (!read_hex4(cp)) return false;
                    if (cp >= 0xDC00 && cp <= 0xDFFF)
                        return fail_at(escape_at, "unpaired low surrogate in \\u escape");
                    if (cp >= 0xD800 && cp <= 0xDBFF) {
                        if (end_ - p_ < 2 || p_[0] != '\\' || p_[1] != 'u')
                            return fail_at(escape_at, "high surrogate not followed by a \\u low surrogate");
                        p_ += 2;
                        uint32_t low;
                        if (!read_hex4(low)) return false;
                        if (low < 0xDC00 || low > 0xDFFF)
                            return fail_at(escape_at, "high surrogate not followed by a low surrogate");
                        cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
                    }
                    utf8::append(out, cp);
                    break;
                }
                default:
                    return fail_at(p_ - 2, "invalid escape \\" + std::string(1, e));
            }
        }
    }

    bool parse_number(Value& out) {
        const char* start = p_;
        const char* q = p_;
        if (*q == '-') ++q;
        if (q >= end_ || !is_digit(*q)) return fail_at(q, "invalid number (expected a digit)");
        if (*q == '0' && q + 1 < end_ && is_digit(q[1])) return fail_at(q, "invalid number (leading zero)");
        while (q < end_ && is_digit(*q)) ++q;
        bool integral = true;
        if (q < end_ && *q == '.') {
            integral = false;
            ++q;
            if (q >= end_ || !is_digit(*q)) return fail_at(q, "invalid number (expected a digit after '.')");
            while (q < end_ && is_digit(*q)) ++q;
        }
        if (q < end_ && (*q == 'e' || *q == 'E')) {
            integral = false;
            ++q;
            if (q < end_ && (*q == '+' || *q == '-')) ++q;
            if (q >= end_ || !is_digit(*q)) return fail_at(q, "invalid number (expected an exponent)");
            while (q < end_ && is_digit(*q)) ++q;
        }
        p_ = q;
        if (integral) {
            int64_t i = 0;
            auto r = std::from_chars(start, q, i);
            if (r.ec == std::errc() && r.ptr == q) {
                out = Value(i);
                return true;
            }
            // Out of int64 range: fall through to a double, as it still round-trips approximately.
        }
        double d = 0;
        auto r = std::from_chars(start, q, d);
        if (r.ptr != q) return fail_at(start, "invalid number");
        if (r.ec == std::errc::result_out_of_range) {
            // from_chars leaves d unchanged on range errors; overflow is an error, underflow is 0.
            bool tiny = false;
            for (const char* e = start; e < q; ++e)
                if (*e == 'e' || *e == 'E') tiny = e + 1 < q && e[1] == '-';
            if (!tiny) return fail_at(start, "number " + std::string(start, q) + " is out of range");
            d = *start == '-' ? -0.0 : 0.0;
        }
        out = Value(d);
        return true;
    }

    const char* begin_;
    const char* p_;
    const char* end_;
    const ParseOptions& options_;
    Error error_;
};

}  // namespace

Result<Value> parse(std::string_view text, const ParseOptions& options) {
    return Parser(text, options).run();
}

Result<Value> parse_file(const std::string& path, const ParseOptions& options) {
    auto file = MappedFile::open(path);
    if (!file) return make_error("[json] " + file.error().message);
    std::string_view text(reinterpret_cast<const char*>(file->data()), file->size());
    auto v = parse(text, options);
    if (!v) return make_error("[json] " + path + ": " + v.error().message.substr(7));  // drop "[json] "
    return v;
}

}  // namespace engine::json
