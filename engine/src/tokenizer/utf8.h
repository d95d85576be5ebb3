// UTF-8 helpers for the tokenizers (private to the engine). The code point
// primitives (sequence_length, decode_at, append) live in core/utf8.h.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "core/utf8.h"

namespace engine::utf8 {

// Appends the valid UTF-8 of `in` to `out`, each maximal invalid subpart replaced by U+FFFD. When
// `final` is false an incomplete but possibly valid sequence at the end is left unconsumed.
// Returns the number of bytes of `in` consumed.
size_t sanitize(std::string_view in, bool final, std::string& out);

}  // namespace engine::utf8
