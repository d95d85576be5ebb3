// UTF-8 code point primitives shared by the JSON, Jinja and tokenizer modules
// (private to the engine). Decoding is strict (Unicode Table 3-7: no overlongs,
// no surrogates, nothing above U+10FFFF); what a module does with invalid bytes
// (U+FFFD, surrogateescape, pass-through) stays with that module.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace engine::utf8 {

// Length of the sequence a lead byte starts (1..4); 1 for a byte that cannot start one, so callers that
// only need to step through text always advance.
size_t sequence_length(uint8_t lead);

// How many bytes from text[pos] (pos < size) form a well-formed sequence or a prefix of one: the full
// sequence_length() when complete, fewer for a truncated or broken sequence (its maximal subpart), 0
// when text[pos] cannot start a sequence at all.
size_t valid_prefix_length(std::string_view text, size_t pos);

// Decodes the character at text[pos] (pos < size), setting `length`; invalid bytes decode as themselves
// (length 1) with `valid` false.
uint32_t decode_at(std::string_view text, size_t pos, size_t& length, bool& valid);

// Appends the UTF-8 encoding of a code point (<= U+10FFFF; surrogates are encoded as-is).
void append(std::string& out, uint32_t codepoint);

}  // namespace engine::utf8
