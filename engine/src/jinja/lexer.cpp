#include "jinja/lexer.h"

#include <cctype>
#include <cstring>

#include "jinja/utf8.h"

namespace engine::jinja {
namespace {

bool is_ws(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

class Lexer {
public:
    Lexer(std::string source, const LexOptions& options) : src_(std::move(source)), opt_(options) {}

    Result<std::vector<Token>> run() {
        bool line_starting = true;  // the text that follows starts a line (for lstrip_blocks)
        while (pos_ < src_.size()) {
            const std::size_t tag = find_tag(pos_);
            std::string text = src_.substr(pos_, tag - pos_);
            const std::size_t text_pos = pos_;
            if (tag == src_.size()) {
                emit_text(std::move(text), text_pos);
                break;
            }
            const char kind = src_[tag + 1];  // '{', '%' or '#'
            const char modifier = tag + 2 < src_.size() ? src_[tag + 2] : '\0';
            // Whitespace control on the text before the tag.
            if (modifier == '-') {
                while (!text.empty() && is_ws(text.back())) text.pop_back();
            } else if (modifier != '+' && opt_.lstrip_blocks && kind != '{') {
                const std::size_t nl = text.rfind('\n');
                const std::size_t line_begin = nl == std::string::npos ? 0 : nl + 1;
                if (nl != std::string::npos || line_starting) {
                    bool only_blank = true;
                    for (std::size_t i = line_begin; i < text.size(); ++i)
                        if (text[i] != ' ' && text[i] != '\t') only_blank = false;
                    if (only_blank) text.resize(line_begin);
                }
            }
            emit_text(std::move(text), text_pos);
            pos_ = tag + 2;
            if (modifier == '-' || modifier == '+') ++pos_;

            std::string consumed_after;  // what the closing delimiter swallowed
            if (kind == '#') {
                const std::size_t end = src_.find("#}", pos_);
                if (end == std::string::npos) return fail(tag, "unterminated comment");
                const bool strip = end > pos_ && src_[end - 1] == '-';
                const bool keep = end > pos_ && src_[end - 1] == '+';
                pos_ = end + 2;
                consumed_after = after_close(strip, keep, true);
            } else if (kind == '%' && is_raw_start()) {
                auto st = lex_raw(tag);
                if (!st) return st.error();
                consumed_after = *st;
            } else {
                const bool block = kind == '%';
                push(block ? TokKind::block_begin : TokKind::var_begin, "", tag);
                auto st = lex_tag(block, consumed_after);
                if (!st) return st.error();
            }
            line_starting = !consumed_after.empty() && consumed_after.back() == '\n';
        }
        push(TokKind::eof, "", src_.size());
        return std::move(tokens_);
    }

private:
    // Position of the next `{{`, `{%` or `{#`, or the end of the source.
    std::size_t find_tag(std::size_t from) const {
        for (std::size_t i = from; i + 1 < src_.size(); ++i) {
            if (src_[i] == '{' && (src_[i + 1] == '{' || src_[i + 1] == '%' || src_[i + 1] == '#')) return i;
        }
        return src_.size();
    }

    void line_col(std::size_t offset, int& line, int& col) const {
        line = 1;
        col = 1;
        for (std::size_t i = 0; i < offset && i < src_.size(); ++i) {
            if (src_[i] == '\n') {
                ++line;
                col = 1;
            } else {
                ++col;
            }
        }
    }

    Error fail(std::size_t offset, const std::string& what) const {
        int line, col;
        line_col(offset, line, col);
        return make_error("[jinja] syntax error at line " + std::to_string(line) + ", column " +
                          std::to_string(col) + ": " + what);
    }

    void push(TokKind kind, std::string value, std::size_t offset) {
        // Incremental line/column tracking: tokens arrive in source order.
        while (track_pos_ < offset && track_pos_ < src_.size()) {
            if (src_[track_pos_] == '\n') {
                ++track_line_;
                track_col_ = 1;
            } else {
                ++track_col_;
            }
            ++track_pos_;
        }
        tokens_.push_back(Token{kind, std::move(value), track_line_, track_col_});
    }

    void emit_text(std::string text, std::size_t offset) {
        if (!text.empty()) push(TokKind::text, std::move(text), offset);
    }

    // Applies the closing delimiter's whitespace control; returns what it consumed.
    std::string after_close(bool strip, bool keep, bool is_block_or_comment) {
        const std::size_t start = pos_;
        if (strip) {
            while (pos_ < src_.size() && is_ws(src_[pos_])) ++pos_;
        } else if (is_block_or_comment && opt_.trim_blocks && !keep && pos_ < src_.size() &&
                   src_[pos_] == '\n') {
            ++pos_;
        }
        return src_.substr(start, pos_ - start);
    }

    bool is_raw_start() const {
        std::size_t p = pos_;
        while (p < src_.size() && is_ws(src_[p])) ++p;
        if (src_.compare(p, 3, "raw") != 0) return false;
        p += 3;
        while (p < src_.size() && is_ws(src_[p])) ++p;
        return src_.compare(p, 2, "%}") == 0 || src_.compare(p, 3, "-%}") == 0 ||
               src_.compare(p, 3, "+%}") == 0;
    }

    Result<std::string> lex_raw(std::size_t tag) {
        std::size_t p = src_.find("%}", pos_);
        const bool strip_open = src_[p - 1] == '-';
        pos_ = p + 2;
        std::string ignored = after_close(strip_open, src_[p - 1] == '+', true);
        // Find {% endraw %} (with optional modifiers).
        std::size_t search = pos_;
        while (true) {
            const std::size_t open = src_.find("{%", search);
            if (open == std::string::npos) return fail(tag, "missing {% endraw %}");
            std::size_t q = open + 2;
            const char mod = q < src_.size() ? src_[q] : '\0';
            if (mod == '-' || mod == '+') ++q;
            while (q < src_.size() && is_ws(src_[q])) ++q;
            if (src_.compare(q, 6, "endraw") == 0) {
                q += 6;
                while (q < src_.size() && is_ws(src_[q])) ++q;
                bool strip_close = false, keep = false;
                if (q < src_.size() && (src_[q] == '-' || src_[q] == '+')) {
                    strip_close = src_[q] == '-';
                    keep = src_[q] == '+';
                    ++q;
                }
                if (src_.compare(q, 2, "%}") == 0) {
                    std::string body = src_.substr(pos_, open - pos_);
                    if (mod == '-') {
                        while (!body.empty() && is_ws(body.back())) body.pop_back();
                    }
                    emit_text(std::move(body), pos_);
                    pos_ = q + 2;
                    return after_close(strip_close, keep, true);
                }
            }
            search = open + 2;
        }
    }

    Status lex_tag(bool block, std::string& consumed_after) {
        int depth = 0;  // bracket balance: a closing delimiter only counts at depth 0
        while (true) {
            while (pos_ < src_.size() && is_ws(src_[pos_])) ++pos_;
            if (pos_ >= src_.size())
                return fail(pos_, block ? "unterminated block tag" : "unterminated {{ tag");
            const char c = src_[pos_];
            if (depth == 0) {
                const char* close = block ? "%}" : "}}";
                if ((c == '-' || c == '+') && src_.compare(pos_ + 1, 2, close) == 0) {
                    push(block ? TokKind::block_end : TokKind::var_end, "", pos_);
                    pos_ += 3;
                    consumed_after = after_close(c == '-', c == '+', block);
                    return {};
                }
                if (src_.compare(pos_, 2, close) == 0) {
                    push(block ? TokKind::block_end : TokKind::var_end, "", pos_);
                    pos_ += 2;
                    consumed_after = after_close(false, false, block);
                    return {};
                }
            }
            if (c == '\'' || c == '"') {
                auto st = lex_string();
                if (!st) return st;
                continue;
            }
            if (std::isdigit(static_cast<unsigned char>(c))) {
                lex_number();
                continue;
            }
            if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
                const std::size_t start = pos_;
                while (pos_ < src_.size() &&
                       (std::isalnum(static_cast<unsigned char>(src_[pos_])) || src_[pos_] == '_'))
                    ++pos_;
                push(TokKind::name, src_.substr(start, pos_ - start), start);
                continue;
            }
            static const char* const two_char_ops[] = {"//", "**", "==", "!=", "<=", ">="};
            bool matched = false;
            for (const char* op : two_char_ops) {
                if (src_.compare(pos_, 2, op) == 0) {
                    push(TokKind::op, op, pos_);
                    pos_ += 2;
                    matched = true;
                    break;
                }
            }
            if (matched) continue;
            if (std::strchr("+-*/%~()[]{},.:|=<>", c) != nullptr) {
                if (c == '(' || c == '[' || c == '{') ++depth;
                if ((c == ')' || c == ']' || c == '}') && depth > 0) --depth;
                push(TokKind::op, std::string(1, c), pos_);
                ++pos_;
                continue;
            }
            return fail(pos_, std::string("unexpected character '") + c + "'");
        }
    }

    void lex_number() {
        const std::size_t start = pos_;
        auto digits = [this] {
            while (pos_ < src_.size() &&
                   (std::isdigit(static_cast<unsigned char>(src_[pos_])) || src_[pos_] == '_'))
                ++pos_;
        };
        digits();
        bool is_float = false;
        if (pos_ + 1 < src_.size() && src_[pos_] == '.' &&
            std::isdigit(static_cast<unsigned char>(src_[pos_ + 1]))) {
            is_float = true;
            ++pos_;
            digits();
        }
        if (pos_ < src_.size() && (src_[pos_] == 'e' || src_[pos_] == 'E')) {
            std::size_t q = pos_ + 1;
            if (q < src_.size() && (src_[q] == '+' || src_[q] == '-')) ++q;
            if (q < src_.size() && std::isdigit(static_cast<unsigned char>(src_[q]))) {
                is_float = true;
                pos_ = q;
                digits();
            }
        }
        std::string text;
        for (std::size_t i = start; i < pos_; ++i)
            if (src_[i] != '_') text.push_back(src_[i]);
        push(is_float ? TokKind::floating : TokKind::integer, text, start);
    }

    // String literal with Python escapes (Jinja decodes them with unicode-escape).
    Status lex_string() {
        const std::size_t start = pos_;
        const char quote = src_[pos_++];
        std::string out;
        while (true) {
            if (pos_ >= src_.size()) return fail(start, "unterminated string literal");
            const char c = src_[pos_++];
            if (c == quote) break;
            if (c != '\\') {
                out.push_back(c);
                continue;
            }
            if (pos_ >= src_.size()) return fail(start, "unterminated string literal");
            const char e = src_[pos_++];
            auto hex = [&](int n) -> long {
                if (pos_ + static_cast<std::size_t>(n) > src_.size()) return -1;
                long v = 0;
                for (int i = 0; i < n; ++i) {
                    const char h = src_[pos_ + static_cast<std::size_t>(i)];
                    if (!std::isxdigit(static_cast<unsigned char>(h))) return -1;
                    v = v * 16 + (std::isdigit(static_cast<unsigned char>(h)) ? h - '0'
                                                                              : (std::tolower(h) - 'a' + 10));
                }
                pos_ += static_cast<std::size_t>(n);
                return v;
            };
            switch (e) {
                case '\n':
                    break;  // line continuation
                case '\\':
                    out.push_back('\\');
                    break;
                case '\'':
                    out.push_back('\'');
                    break;
                case '"':
                    out.push_back('"');
                    break;
                case 'a':
                    out.push_back('\a');
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
                case 'v':
                    out.push_back('\v');
                    break;
                case 'x':
                case 'u':
                case 'U': {
                    const long v = hex(e == 'x' ? 2 : (e == 'u' ? 4 : 8));
                    if (v < 0 || v > 0x10FFFF)
                        return fail(start, std::string("bad \\") + e + " escape in string literal");
                    utf8_append(out, static_cast<char32_t>(v));
                    break;
                }
                default:
                    if (e >= '0' && e <= '7') {
                        long v = e - '0';
                        for (int i = 0; i < 2 && pos_ < src_.size() && src_[pos_] >= '0' && src_[pos_] <= '7';
                             ++i)
                            v = v * 8 + (src_[pos_++] - '0');
                        utf8_append(out, static_cast<char32_t>(v));
                    } else {
                        out.push_back('\\');  // unknown escapes stay as written
                        out.push_back(e);
                    }
            }
        }
        push(TokKind::string, std::move(out), start);
        return {};
    }

    std::string src_;
    LexOptions opt_;
    std::size_t pos_ = 0;
    std::vector<Token> tokens_;
    std::size_t track_pos_ = 0;
    int track_line_ = 1;
    int track_col_ = 1;
};

}  // namespace

Result<std::vector<Token>> tokenize(std::string_view source, const LexOptions& options) {
    // Jinja normalises newlines to \n and drops one trailing newline.
    std::string src;
    src.reserve(source.size());
    for (std::size_t i = 0; i < source.size(); ++i) {
        if (source[i] == '\r') {
            src.push_back('\n');
            if (i + 1 < source.size() && source[i + 1] == '\n') ++i;
        } else {
            src.push_back(source[i]);
        }
    }
    if (!options.keep_trailing_newline && !src.empty() && src.back() == '\n') src.pop_back();
    return Lexer(std::move(src), options).run();
}

}  // namespace engine::jinja
