#include "core/utf8.h"

namespace engine::utf8 {
namespace {

// Allowed range of the second byte after a lead (Unicode Table 3-7): excludes overlongs, surrogates
// and code points above U+10FFFF.
void second_byte_range(uint8_t lead, uint8_t& lo, uint8_t& hi) {
    lo = 0x80;
    hi = 0xBF;
    if (lead == 0xE0) lo = 0xA0;
    if (lead == 0xED) hi = 0x9F;
    if (lead == 0xF0) lo = 0x90;
    if (lead == 0xF4) hi = 0x8F;
}

bool valid_lead(uint8_t b) { return b < 0x80 || (b >= 0xC2 && b <= 0xF4); }

}  // namespace

size_t sequence_length(uint8_t lead) {
    if (lead < 0x80) return 1;
    if (lead >= 0xC2 && lead <= 0xDF) return 2;
    if (lead >= 0xE0 && lead <= 0xEF) return 3;
    if (lead >= 0xF0 && lead <= 0xF4) return 4;
    return 1;
}

size_t valid_prefix_length(std::string_view text, size_t pos) {
    const auto* s = reinterpret_cast<const uint8_t*>(text.data());
    const uint8_t lead = s[pos];
    if (!valid_lead(lead)) return 0;
    const size_t n = sequence_length(lead);
    uint8_t lo, hi;
    second_byte_range(lead, lo, hi);
    size_t j = 1;
    for (; j < n && pos + j < text.size(); ++j) {
        const uint8_t b = s[pos + j];
        if (j == 1 ? (b < lo || b > hi) : (b < 0x80 || b > 0xBF)) break;
    }
    return j;
}

uint32_t decode_at(std::string_view text, size_t pos, size_t& length, bool& valid) {
    const auto* s = reinterpret_cast<const uint8_t*>(text.data());
    const uint8_t lead = s[pos];
    length = 1;
    if (lead < 0x80) {
        valid = true;
        return lead;
    }
    const size_t n = sequence_length(lead);
    valid = valid_prefix_length(text, pos) == n && n > 1;
    if (!valid) return lead;
    uint32_t cp = lead & (0xFF >> (n + 1));
    for (size_t j = 1; j < n; ++j) cp = (cp << 6) | (s[pos + j] & 0x3F);
    length = n;
    return cp;
}

void append(std::string& out, uint32_t cp) {
    if (cp < 0x80) {
        out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
        out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
        out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
        out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
}

}  // namespace engine::utf8
