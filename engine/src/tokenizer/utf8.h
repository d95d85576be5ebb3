// Small UTF-8 helpers shared by the tokenizers (private to the engine).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace engine::utf8 {

// Length of the sequence a lead byte starts (1..4); 1 for a byte that cannot start one, so callers that
// only need to step through text always advance.
size_t sequence_length(uint8_t lead);

void append(std::string& out, uint32_t codepoint);

// Decodes the character at text[pos] (pos < size), setting `length`; invalid bytes decode as themselves
// (length 1) with `valid` false.
uint32_t decode_at(std::string_view text, size_t pos, size_t& length, bool& valid);

// Appends the valid UTF-8 of `in` to `out`, each maximal invalid subpart replaced by U+FFFD. When
// `final` is false an incomplete but possibly valid sequence at the end is left unconsumed.
// Returns the number of bytes of `in` consumed.
size_t sanitize(std::string_view in, bool final, std::string& out);

}  // namespace engine::utf8
