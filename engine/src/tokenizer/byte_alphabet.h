// The GPT-2 byte alphabet: byte-level BPE vocabularies spell every byte as one printable code point
// (printable Latin-1 bytes as themselves, the other 68 bytes as U+0100.. in byte order), so token
// strings never contain spaces or control characters.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace engine::byte_alphabet {

uint32_t codepoint_of(uint8_t byte);
// The byte a code point spells, or -1 when it is not in the alphabet.
int byte_of(uint32_t codepoint);

// "Ġthe" -> " the"; code points outside the alphabet are copied as UTF-8.
std::string to_bytes(std::string_view token_text);
// " the" -> "Ġthe"
std::string from_bytes(std::string_view bytes);

}  // namespace engine::byte_alphabet
