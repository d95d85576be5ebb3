// Scalar IEEE half and bfloat16 conversions (portable; the SIMD kernels use F16C).
#include <bit>
#include <cstdint>

#include "engine/quant.h"

namespace engine {

float fp16_to_fp32(uint16_t h) {
    uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
    uint32_t exp = (h >> 10) & 0x1Fu;
    uint32_t mant = h & 0x3FFu;
    uint32_t bits;
    if (exp == 0x1F) {
        bits = sign | 0x7F800000u | (mant << 13);  // inf, or NaN with its payload kept
    } else if (exp != 0) {
        bits = sign | ((exp + 112) << 23) | (mant << 13);  // rebias 15 -> 127
    } else if (mant == 0) {
        bits = sign;
    } else {
        // Subnormal half: value = mant * 2^-24, exact in binary32 once normalized.
        int shift = std::countl_zero(mant) - 21;  // leading zeros within the 10-bit field + 1
        mant = (mant << shift) & 0x3FFu;
        bits = sign | (static_cast<uint32_t>(113 - shift) << 23) | (mant << 13);
    }
    return std::bit_cast<float>(bits);
}

uint16_t fp32_to_fp16(float f) {
    uint32_t x = std::bit_cast<uint32_t>(f);
    uint16_t sign = static_cast<uint16_t>((x >> 16) & 0x8000u);
    uint32_t abs = x & 0x7FFFFFFFu;
    if (abs > 0x7F800000u)
        return static_cast<uint16_t>(sign | 0x7E00u | ((abs >> 13) & 0x3FFu));  // quiet NaN
    if (abs >= 0x477FF000u) return static_cast<uint16_t>(sign | 0x7C00u);       // rounds to >= 65536: inf
    int32_t exp = static_cast<int32_t>(abs >> 23) - 127;
    if (exp < -14) {
        // Result is subnormal (or zero): round |f| * 2^24 to an integer, ties to even.
        if (exp < -25) return sign;  // below half the smallest subnormal
        uint32_t mant = (abs & 0x7FFFFFu) | 0x800000u;
        int shift = -exp - 1;  // 24-bit mantissa scaled so the result is mant >> (shift) ; shift in 14..24
        uint32_t q = mant >> shift;
        uint32_t rem = mant & ((1u << shift) - 1);
        uint32_t half = 1u << (shift - 1);
        if (rem > half || (rem == half && (q & 1))) ++q;
        return static_cast<uint16_t>(sign | q);  // q == 0x400 carries into the smallest normal
    }
    // Normal: drop 13 mantissa bits with round-to-nearest-even; a carry may bump the exponent.
    uint32_t h = ((static_cast<uint32_t>(exp + 15)) << 10) | ((abs >> 13) & 0x3FFu);
    uint32_t rem = abs & 0x1FFFu;
    if (rem > 0x1000u || (rem == 0x1000u && (h & 1))) ++h;
    return static_cast<uint16_t>(sign | h);
}

float bf16_to_fp32(uint16_t h) { return std::bit_cast<float>(static_cast<uint32_t>(h) << 16); }

uint16_t fp32_to_bf16(float f) {
    uint32_t x = std::bit_cast<uint32_t>(f);
    if ((x & 0x7FFFFFFFu) > 0x7F800000u) return static_cast<uint16_t>((x >> 16) | 0x40u);  // quiet NaN
    return static_cast<uint16_t>((x + 0x7FFFu + ((x >> 16) & 1u)) >> 16);
}

}  // namespace engine
