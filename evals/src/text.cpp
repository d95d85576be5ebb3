#include "evals/text.h"

#include <cstdint>

namespace evals {

namespace {

constexpr char32_t kReplacement = 0xFFFD;

// Base letters of U+00C0..U+00FF and U+0100..U+017F; '.' keeps the character (ligatures, eth, thorn,
// sharp s, kra, eng and the multiplication / division signs have no single base letter).
constexpr std::string_view kLatin1Base = "AAAAAA.CEEEEIIII.NOOOOO.OUUUUY..aaaaaa.ceeeeiiii.nooooo.ouuuuy.y";
constexpr std::string_view kLatinExtABase =
    "AaAaAaCcCcCcCcDdDdEeEeEeEeEeGgGgGgGgHhHhIiIiIiIiIi..JjKk.LlLlLlLlLlNnNnNn...OoOoOo..RrRrRrSsSsSs"
    "SsTtTtTtUuUuUuUuUuUuWwYyYZzZzZzs";
static_assert(kLatin1Base.size() == 64 && kLatinExtABase.size() == 128);

}  // namespace

std::u32string decode_utf8(std::string_view text) {
    std::u32string out;
    out.reserve(text.size());
    size_t i = 0;
    while (i < text.size()) {
        const auto b0 = static_cast<uint8_t>(text[i]);
        if (b0 < 0x80) {
            out.push_back(b0);
            ++i;
            continue;
        }
        size_t len = 0;
        char32_t cp = 0;
        char32_t min = 0;
        if (b0 >= 0xC2 && b0 <= 0xDF) {
            len = 2, cp = b0 & 0x1F, min = 0x80;
        } else if (b0 >= 0xE0 && b0 <= 0xEF) {
            len = 3, cp = b0 & 0x0F, min = 0x800;
        } else if (b0 >= 0xF0 && b0 <= 0xF4) {
            len = 4, cp = b0 & 0x07, min = 0x10000;
        }
        bool ok = len != 0 && i + len <= text.size();
        for (size_t k = 1; ok && k < len; ++k) {
            const auto b = static_cast<uint8_t>(text[i + k]);
            if ((b & 0xC0) != 0x80) ok = false;
            cp = (cp << 6) | (b & 0x3F);
        }
        if (ok && (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))) ok = false;
        if (!ok) {
            out.push_back(kReplacement);
            ++i;
            continue;
        }
        out.push_back(cp);
        i += len;
    }
    return out;
}

std::string encode_utf8(std::u32string_view text) {
    std::string out;
    out.reserve(text.size());
    for (char32_t c : text) {
        if (c < 0x80) {
            out.push_back(static_cast<char>(c));
        } else if (c < 0x800) {
            out.push_back(static_cast<char>(0xC0 | (c >> 6)));
            out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
        } else if (c < 0x10000) {
            out.push_back(static_cast<char>(0xE0 | (c >> 12)));
            out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
            out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
        } else {
            out.push_back(static_cast<char>(0xF0 | (c >> 18)));
            out.push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
            out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
            out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
        }
    }
    return out;
}

bool is_space(char32_t c) {
    return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680 ||
           (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F ||
           c == 0x3000;
}

bool is_punct(char32_t c) {
    if (c < 0x80) {
        return (c >= 0x21 && c <= 0x2F) || (c >= 0x3A && c <= 0x40) || (c >= 0x5B && c <= 0x60) ||
               (c >= 0x7B && c <= 0x7E);
    }
    if (c >= 0xA1 && c <= 0xBF) {
        // Latin-1 punctuation and symbols, minus the letters and digits living there (ª ² ³ µ ¹ º ¼ ½ ¾).
        return c != 0xAA && c != 0xB2 && c != 0xB3 && c != 0xB5 && c != 0xB9 && c != 0xBA &&
               !(c >= 0xBC && c <= 0xBE);
    }
    if (c == 0xD7 || c == 0xF7) return true;
    if ((c >= 0x2010 && c <= 0x2027) || (c >= 0x2030 && c <= 0x205E)) return true;  // General Punctuation
    if (c >= 0x20A0 && c <= 0x20CF) return true;                                    // currency signs
    if (c >= 0x2E00 && c <= 0x2E7F) return true;  // Supplemental Punctuation
    if ((c >= 0x3001 && c <= 0x3003) || (c >= 0x3008 && c <= 0x3011) || (c >= 0x3014 && c <= 0x301F) ||
        c == 0x3030 || c == 0x303D) {
        return true;  // CJK punctuation
    }
    return (c >= 0xFF01 && c <= 0xFF0F) || (c >= 0xFF1A && c <= 0xFF20) || (c >= 0xFF3B && c <= 0xFF40) ||
           (c >= 0xFF5B && c <= 0xFF65);  // full-width forms
}

char32_t fold_case(char32_t c) {
    if (c < 0x80) return (c >= 'A' && c <= 'Z') ? c + 32 : c;
    if (c >= 0xC0 && c <= 0xDE && c != 0xD7) return c + 0x20;
    if (c >= 0x100 && c <= 0x17F) {
        if (c == 0x130) return 'i';
        if (c == 0x178) return 0xFF;
        if (c == 0x17F) return 's';
        const bool odd_upper = (c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E);
        const bool paired =
            c <= 0x12F || (c >= 0x132 && c <= 0x137) || odd_upper || (c >= 0x14A && c <= 0x177);
        if (!paired) return c;
        const bool upper = odd_upper ? (c % 2 == 1) : (c % 2 == 0);
        return upper ? c + 1 : c;
    }
    if (c >= 0x391 && c <= 0x3A9 && c != 0x3A2) return c + 0x20;  // Greek capitals
    if (c == 0x386) return 0x3AC;
    if (c >= 0x388 && c <= 0x38A) return c + 37;
    if (c == 0x38C) return 0x3CC;
    if (c == 0x38E || c == 0x38F) return c + 63;
    if (c == 0x3C2) return 0x3C3;                   // final sigma folds to sigma
    if (c >= 0x410 && c <= 0x42F) return c + 0x20;  // Cyrillic capitals
    if (c >= 0x400 && c <= 0x40F) return c + 0x50;
    if (((c >= 0x460 && c <= 0x481) || (c >= 0x48A && c <= 0x4BF)) && c % 2 == 0) return c + 1;
    return c;
}

char32_t strip_accent(char32_t c) {
    char base = '.';
    if (c >= 0xC0 && c <= 0xFF) base = kLatin1Base[c - 0xC0];
    if (c >= 0x100 && c <= 0x17F) base = kLatinExtABase[c - 0x100];
    return base == '.' ? c : static_cast<char32_t>(base);
}

size_t count_chars(std::string_view text) { return decode_utf8(text).size(); }

size_t count_words(std::string_view text) {
    size_t words = 0;
    bool in_word = false;
    for (char32_t c : decode_utf8(text)) {
        const bool space = is_space(c);
        if (!space && !in_word) ++words;
        in_word = !space;
    }
    return words;
}

std::string normalize_text(std::string_view text, const NormalizeOptions& options) {
    std::u32string out;
    bool pending_space = false;  // collapse mode: a space is emitted only before the next kept character
    for (char32_t c : decode_utf8(text)) {
        if (options.strip_punctuation && is_punct(c)) continue;
        if (options.collapse_whitespace && is_space(c)) {
            pending_space = !out.empty();
            continue;
        }
        if (options.strip_accents) c = strip_accent(c);
        if (options.case_fold) c = fold_case(c);
        if (pending_space) out.push_back(U' ');
        pending_space = false;
        out.push_back(c);
    }
    return encode_utf8(out);
}

std::vector<std::string> word_tokens(std::string_view text) {
    std::vector<std::string> words;
    std::u32string current;
    auto flush = [&] {
        if (!current.empty()) words.push_back(encode_utf8(current));
        current.clear();
    };
    for (char32_t c : decode_utf8(text)) {
        if (is_space(c) || is_punct(c)) {
            flush();
        } else {
            current.push_back(fold_case(c));
        }
    }
    flush();
    return words;
}

}  // namespace evals
