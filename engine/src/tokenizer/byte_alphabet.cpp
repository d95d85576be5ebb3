#include "tokenizer/byte_alphabet.h"

#include <array>

#include "tokenizer/utf8.h"

namespace engine::byte_alphabet {

namespace {

struct Tables {
    std::array<uint32_t, 256> to_cp{};
    std::array<int16_t, 324> to_byte{};  // code points 0..323 cover the whole alphabet

    Tables() {
        to_byte.fill(-1);
        uint32_t next_extra = 256;
        for (int b = 0; b < 256; ++b) {
            const bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE);
            to_cp[b] = printable ? static_cast<uint32_t>(b) : next_extra++;
            to_byte[to_cp[b]] = static_cast<int16_t>(b);
        }
    }
};

const Tables& tables() {
    static const Tables t;
    return t;
}

}  // namespace

uint32_t codepoint_of(uint8_t byte) { return tables().to_cp[byte]; }

int byte_of(uint32_t cp) { return cp < tables().to_byte.size() ? tables().to_byte[cp] : -1; }

std::string to_bytes(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (size_t i = 0; i < text.size();) {
        size_t len;
        bool valid;
        const uint32_t cp = utf8::decode_at(text, i, len, valid);
        const int b = valid ? byte_of(cp) : -1;
        if (b >= 0) {
            out.push_back(static_cast<char>(b));
        } else {
            out.append(text.substr(i, len));
        }
        i += len;
    }
    return out;
}

std::string from_bytes(std::string_view bytes) {
    std::string out;
    out.reserve(bytes.size() * 2);
    for (char c : bytes) utf8::append(out, codepoint_of(static_cast<uint8_t>(c)));
    return out;
}

}  // namespace engine::byte_alphabet
