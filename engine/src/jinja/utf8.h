// UTF-8 helpers: Python strings index by code point, our strings are UTF-8.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace engine::jinja {

// Decodes UTF-8; invalid bytes decode to themselves (U+0080..U+00FF range is not
// produced for them: they become 0xDC80+byte, Python's surrogateescape), so that
// encoding round-trips any byte string.
std::vector<char32_t> utf8_decode(std::string_view s);
void utf8_append(std::string& out, char32_t cp);
std::string utf8_encode(const std::vector<char32_t>& cps, std::size_t begin, std::size_t end);
inline std::string utf8_encode(const std::vector<char32_t>& cps) { return utf8_encode(cps, 0, cps.size()); }
std::size_t utf8_length(std::string_view s);
inline bool is_ascii(std::string_view s) {
    for (unsigned char c : s)
        if (c >= 0x80) return false;
    return true;
}

// Python str.isspace() for a code point.
bool is_py_space(char32_t c);
// Python's \w for a code point (letters, digits, underscore; non-ASCII treated as word characters).
bool is_word_char(char32_t c);
// Case mapping: ASCII plus Latin-1, Latin Extended-A, Greek and Cyrillic basic ranges.
char32_t to_upper_cp(char32_t c);
char32_t to_lower_cp(char32_t c);
bool is_alpha_cp(char32_t c);
bool is_digit_cp(char32_t c);

}  // namespace engine::jinja
