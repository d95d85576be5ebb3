#include "constrain/number.h"

#include <algorithm>
#include <array>

namespace engine::constrain {
namespace {

constexpr std::array<Int128, 39> make_pow10() {
    std::array<Int128, 39> p{};
    p[0] = 1;
    for (size_t i = 1; i < p.size(); ++i) p[i] = p[i - 1] * 10;
    return p;
}
constexpr std::array<Int128, 39> kPow10 = make_pow10();

bool is_digit(uint8_t c) { return c >= '0' && c <= '9'; }

struct Range {
    Int128 lo;
    Int128 hi;
};

// The magnitudes a number of this sign may take: value in [lo, hi] <=> |value| in the range.
Range magnitude_range(const Node& n, bool negative) {
    Range r = negative ? Range{-n.hi, -n.lo} : Range{n.lo, n.hi};
    r.lo = std::max<Int128>(r.lo, 0);
    return r;
}

// The grid points of [a, b) that lie in r, as [*lo, *hi]; false when there are none.
bool meet(Int128 a, Int128 b, Range r, Int128* lo = nullptr, Int128* hi = nullptr) {
    Int128 l = std::max(a, r.lo);
    Int128 h = std::min(b - 1, r.hi);
    if (lo) *lo = l;
    if (hi) *hi = h;
    return l <= h;
}

Int128 ceil_to_multiple(Int128 x, Int128 m) { return (x + m - 1) / m * m; }  // x >= 0

// Fewest fraction digits k in [k_min, 18] that put a point with k digits in [lo, hi]; -1 when none.
int fraction_digits_needed(Int128 lo, Int128 hi, int k_min) {
    for (int k = k_min; k <= kMaxFracDigits; ++k)
        if (ceil_to_multiple(lo, kPow10[static_cast<size_t>(kMaxFracDigits - k)]) <= hi) return k;
    return -1;
}

bool allow_exponent(const Node& n) { return !n.integer && !n.bounded; }

bool feasible(const Node& n, const Frame& f) {
    if (!n.bounded) return true;
    const Range r = magnitude_range(n, f.u3 & kNegative);
    if (r.hi < r.lo) return false;
    const Int128 s = number_scale(n.integer);
    switch (f.phase) {
        case kNumSign:
            return meet(0, number_limit(n.integer), r);
        case kNumZero:
            return meet(0, s, r);
        case kNumInt:
            for (int j = 0; j + f.u1 <= kMaxIntDigits; ++j) {
                const Int128 unit = kPow10[static_cast<size_t>(j)] * s;
                if (meet(f.a * unit, (f.a + 1) * unit, r)) return true;
            }
            return false;
        case kNumFrac0:
            return meet(f.a * s, (f.a + 1) * s, r);
        case kNumFrac: {
            const Int128 unit = kPow10[static_cast<size_t>(kMaxFracDigits - f.u2)];
            const Int128 v = f.a * s + f.b * unit;
            return meet(v, v + unit, r);
        }
        default:
            return true;  // exponents only occur in unbounded numbers
    }
}

// Bytes to finish from an integer-part state whose reachable values are [a, b):
// nothing when an integer lies in range, else '.' and the fewest fraction digits.
int64_t integer_part_cost(const Node& n, Int128 a, Int128 b, Range r) {
    Int128 lo, hi;
    if (!meet(a, b, r, &lo, &hi)) return kInfinite;
    const Int128 s = number_scale(n.integer);
    if (ceil_to_multiple(lo, s) <= hi) return 0;
    int k = fraction_digits_needed(lo, hi, 1);
    return k < 0 ? kInfinite : 1 + k;
}

}  // namespace

Int128 number_scale(bool integer) { return integer ? 1 : kPow10[kMaxFracDigits]; }
Int128 number_limit(bool integer) { return kPow10[kMaxIntDigits] * number_scale(integer); }

bool number_start(const Node& node, Frame& f, uint8_t byte) {
    f.u1 = f.u2 = f.u3 = 0;
    f.a = f.b = 0;
    if (byte == '-') {
        f.phase = kNumSign;
        f.u3 = kNegative;
    } else if (byte == '0') {
        f.phase = kNumZero;
        f.u1 = 1;
    } else if (byte >= '1' && byte <= '9') {
        f.phase = kNumInt;
        f.a = byte - '0';
        f.u1 = 1;
    } else {
        return false;
    }
    return feasible(node, f);
}

NumberStep number_step(const Node& node, Frame& f, uint8_t byte) {
    Frame next = f;
    bool taken = false;
    const uint8_t exp_digits = f.u3 & 0x7F;
    switch (f.phase) {
        case kNumSign:
            if (is_digit(byte)) {
                next.phase = byte == '0' ? kNumZero : kNumInt;
                next.a = byte - '0';
                next.u1 = 1;
                taken = true;
            }
            break;
        case kNumZero:
        case kNumInt:
            if (f.phase == kNumInt && is_digit(byte) && f.u1 < kMaxIntDigits) {
                next.a = f.a * 10 + (byte - '0');
                ++next.u1;
                taken = true;
            } else if (byte == '.' && !node.integer) {
                next.phase = kNumFrac0;
                taken = true;
            } else if ((byte == 'e' || byte == 'E') && allow_exponent(node)) {
                next.phase = kNumExp0;
                taken = true;
            }
            break;
        case kNumFrac0:
        case kNumFrac:
            if (is_digit(byte) && f.u2 < kMaxFracDigits) {
                next.phase = kNumFrac;
                next.b = f.b * 10 + (byte - '0');
                ++next.u2;
                taken = true;
            } else if (f.phase == kNumFrac && (byte == 'e' || byte == 'E') && allow_exponent(node)) {
                next.phase = kNumExp0;
                taken = true;
            }
            break;
        case kNumExp0:
        case kNumExpSign:
        case kNumExp:
            if (f.phase == kNumExp0 && (byte == '+' || byte == '-')) {
                next.phase = kNumExpSign;
                taken = true;
            } else if (is_digit(byte) && exp_digits < kMaxExpDigits) {
                next.phase = kNumExp;
                next.u3 = static_cast<uint8_t>((f.u3 & kNegative) | (exp_digits + 1));
                taken = true;
            }
            break;
        default:
            break;
    }
    if (taken && feasible(node, next)) {
        f = next;
        return NumberStep::consumed;
    }
    return number_complete(node, f) ? NumberStep::ended : NumberStep::rejected;
}

bool number_complete(const Node& node, const Frame& f) {
    if (f.phase != kNumZero && f.phase != kNumInt && f.phase != kNumFrac && f.phase != kNumExp) return false;
    if (!node.bounded) return true;
    const Range r = magnitude_range(node, f.u3 & kNegative);
    const Int128 s = number_scale(node.integer);
    Int128 v = f.a * s;
    if (f.phase == kNumFrac) v += f.b * kPow10[static_cast<size_t>(kMaxFracDigits - f.u2)];
    return v >= r.lo && v <= r.hi;
}

int64_t number_min_to_complete(const Node& node, const Frame& f) {
    if (!node.bounded) {
        switch (f.phase) {
            case kNumSign:
            case kNumFrac0:
            case kNumExp0:
            case kNumExpSign:
                return 1;
            default:
                return 0;
        }
    }
    const Range r = magnitude_range(node, f.u3 & kNegative);
    const Int128 s = number_scale(node.integer);
    switch (f.phase) {
        case kNumSign: {
            int64_t best = kInfinite;
            for (uint8_t d = '0'; d <= '9'; ++d) {
                Frame g = f;
                if (number_step(node, g, d) == NumberStep::consumed)
                    best = std::min(best, add_cost(1, number_min_to_complete(node, g)));
            }
            return best;
        }
        case kNumZero:
            return integer_part_cost(node, 0, s, r);
        case kNumInt: {
            int64_t best = kInfinite;
            for (int j = 0; j + f.u1 <= kMaxIntDigits; ++j) {
                const Int128 unit = kPow10[static_cast<size_t>(j)] * s;
                best = std::min(best, add_cost(j, integer_part_cost(node, f.a * unit, (f.a + 1) * unit, r)));
            }
            return best;
        }
        case kNumFrac0:
        case kNumFrac: {
            const Int128 unit = kPow10[static_cast<size_t>(kMaxFracDigits - f.u2)];
            const Int128 v = f.a * s + f.b * unit;
            Int128 lo, hi;
            if (!meet(v, v + unit, r, &lo, &hi)) return kInfinite;
            int k = fraction_digits_needed(lo, hi, std::max<int>(f.u2, 1));
            return k < 0 ? kInfinite : k - f.u2;
        }
        default:
            return kInfinite;
    }
}

int64_t number_min_length(const Node& node) {
    int64_t best = kInfinite;
    for (uint8_t c : {'-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9'}) {
        Frame f;
        if (number_start(node, f, c)) best = std::min(best, add_cost(1, number_min_to_complete(node, f)));
    }
    return best;
}

Int128 decimal_to_grid(const char* begin, const char* end, bool integer, bool round_up) {
    const Int128 limit = number_limit(integer);
    const char* p = begin;
    const bool negative = p < end && *p == '-';
    if (negative) ++p;
    // value = mantissa * 10^exponent, mantissa from every digit (the point only moves the exponent)
    Int128 mantissa = 0;
    int exponent = 0;
    int digits = 0;
    bool in_fraction = false;
    for (; p < end && *p != 'e' && *p != 'E'; ++p) {
        if (*p == '.') {
            in_fraction = true;
            continue;
        }
        if (digits < 36) {
            mantissa = mantissa * 10 + (*p - '0');
            ++digits;
            if (in_fraction) --exponent;
        } else if (!in_fraction) {
            ++exponent;  // shortest forms never get here; kept exact enough for the clamp
        }
    }
    if (p < end) {
        ++p;
        bool exp_negative = p < end && *p == '-';
        if (p < end && (*p == '-' || *p == '+')) ++p;
        int e = 0;
        for (; p < end && e < 10000; ++p) e = e * 10 + (*p - '0');
        exponent += exp_negative ? -e : e;
    }
    const Int128 signed_limit = negative ? -limit : limit;
    if (mantissa == 0) return 0;
    int shift = exponent + (integer ? 0 : kMaxFracDigits);
    if (shift >= 0) {
        // Too many digits for the grid: beyond the limit either way.
        if (shift + digits > 38) return signed_limit;
        Int128 v = mantissa * kPow10[static_cast<size_t>(shift)];
        return v >= limit ? signed_limit : (negative ? -v : v);
    }
    Int128 quotient = 0;
    bool remainder = true;
    if (-shift <= 38) {
        quotient = mantissa / kPow10[static_cast<size_t>(-shift)];
        remainder = mantissa % kPow10[static_cast<size_t>(-shift)] != 0;
    }
    if (quotient >= limit) return signed_limit;
    // |value| = quotient + (a fraction when remainder): round the signed value.
    if (!negative) return quotient + (round_up && remainder ? 1 : 0);
    return -(quotient + (!round_up && remainder ? 1 : 0));
}

}  // namespace engine::constrain
