// Byte-level matching of a compiled JSON grammar (private): a pushdown
// recognizer whose state is a small explicit stack of frames.
//
// Every byte step() accepts keeps the text a viable prefix: some continuation
// completes it to a value of the language (bounded numbers check that their
// range is still reachable, strings that their length is, objects that their
// required keys can still come). So a walk that only takes accepted bytes never
// reaches a dead end, and min_to_complete() is always finite.
//
// Whitespace policy (kept tight so small models do not wander): none at all,
// except one optional space after ':' and after ',' - the compact and the
// Python json.dumps separators. No whitespace before or after the value.
#pragma once

#include <array>
#include <cstdint>

#include "constrain/grammar.h"

namespace engine::constrain {

// One open value. Fields by kind:
//   object  phase, a = property index (next, or current while in a key/value), b = key trie node
//   array   phase, a = completed items
//   string  phase, a = code points so far, b = \u value, u1 = hex digits, u2 = UTF-8 bytes
//           still expected, u3 = range of the next continuation byte
//   number  phase, a = integer part, b = fraction digits as an integer, u1 = integer digits,
//           u2 = fraction digits, u3 = exponent digits | kNegative
//   literal b = trie node
struct Frame {
    int32_t node = -1;
    uint8_t phase = 0;
    uint8_t u1 = 0;
    uint8_t u2 = 0;
    uint8_t u3 = 0;
    int64_t a = 0;
    int64_t b = 0;
};

inline constexpr uint8_t kNegative = 0x80;

struct State {
    int32_t depth = 0;
    bool started = false;  // the first byte was accepted (depth 0 and started: the value is done)
    std::array<Frame, kMaxDepth> frames;

    // Copies only the frames in use (the rest is garbage by design).
    void copy_from(const State& other) {
        depth = other.depth;
        started = other.started;
        for (int32_t i = 0; i < depth; ++i)
            frames[static_cast<size_t>(i)] = other.frames[static_cast<size_t>(i)];
    }
};

// Advances over one byte; false when the byte cannot continue the text (the
// state is then unspecified: step a copy when the old state matters).
bool step(const Grammar& g, State& s, uint8_t byte);

// The text so far is a full value (it may still continue, e.g. a number).
bool is_complete(const Grammar& g, const State& s);

// A full value after which nothing can follow (a closed value, or a top-level
// number or literal that no byte can extend).
bool must_end(const Grammar& g, const State& s);

// Fewest bytes that complete the value (0 when is_complete).
int64_t min_to_complete(const Grammar& g, const State& s);

// The text is inside a string, between two characters (no escape or UTF-8
// sequence pending). Then any run of plain characters (no '"', '\\', control
// bytes; whole UTF-8 sequences) of n code points is accepted exactly when
// count + n <= max_length, and only the string's own term of min_to_complete
// changes: max(0, min_length - count - n) + 1.
struct PlainStringSpot {
    int64_t count = 0;
    int64_t min_length = 0;
    int64_t max_length = 0;
};
bool plain_string_spot(const Grammar& g, const State& s, PlainStringSpot* spot);

}  // namespace engine::constrain
