// JSON numbers in the matcher (private): the digit automaton, and exact range
// checks for bounded integers and numbers.
//
// A bounded number keeps its text a viable prefix: after every byte some
// continuation still lands in [minimum, maximum]. Values live on a decimal
// grid (integers: the value; numbers: value * 10^18, with at most 18 fraction
// digits), so every check is exact integer arithmetic. The digits read so far
// leave a set of reachable values that is a union of half-open grid intervals
// ([n * 10^j, (n + 1) * 10^j) for j more integer digits, [v, v + 10^-k) inside
// the fraction); a byte is allowed when one of them meets the range.
#pragma once

#include <cstdint>

#include "constrain/grammar.h"
#include "constrain/matcher.h"

namespace engine::constrain {

enum NumberPhase : uint8_t {
    kNumSign = 0,  // after '-'
    kNumZero,      // integer part "0"
    kNumInt,       // integer part 1-9 followed by digits
    kNumFrac0,     // after '.'
    kNumFrac,      // in the fraction
    kNumExp0,      // after 'e' / 'E'
    kNumExpSign,   // after the exponent's sign
    kNumExp,       // in the exponent
};

enum class NumberStep { consumed, rejected, ended };  // ended: the number ended before this byte

// Opens a number frame with its first byte; false when it cannot start one.
bool number_start(const Node& node, Frame& f, uint8_t byte);
NumberStep number_step(const Node& node, Frame& f, uint8_t byte);
bool number_complete(const Node& node, const Frame& f);
// Fewest bytes that make the number complete (kInfinite when none).
int64_t number_min_to_complete(const Node& node, const Frame& f);
// Bytes of the shortest number of the node.
int64_t number_min_length(const Node& node);

// Grid scale of a number node: 1 for integers, 10^18 otherwise.
Int128 number_scale(bool integer);
// Magnitudes stay below this on the grid (10^18 * scale).
Int128 number_limit(bool integer);

// A bound as a grid value, rounded up (minimum) or down (maximum) onto the grid
// and clamped to [-limit, limit]. `value` is the shortest decimal text of the
// bound (std::to_chars form: "-1.5e-07", "3", "0.25").
Int128 decimal_to_grid(const char* begin, const char* end, bool integer, bool round_up);

}  // namespace engine::constrain
