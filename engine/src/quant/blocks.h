// Byte layouts of the GGUF quant blocks (ggml-common.h order) and of the int8
// activation blocks our dot-product kernels use. Private to the engine.
#pragma once

#include <cstdint>

namespace engine::quant {

constexpr int kQK = 32;    // elements per block of the 32-element types
constexpr int kQKK = 256;  // elements per K-quant super-block

struct BlockQ4_0 {
    uint16_t d;      // fp16 scale
    uint8_t qs[16];  // element j in low nibble of qs[j], element j+16 in the high nibble
};
struct BlockQ4_1 {
    uint16_t d, m;  // fp16 scale and minimum
    uint8_t qs[16];
};
struct BlockQ5_0 {
    uint16_t d;
    uint8_t qh[4];  // bit j (as a little-endian u32) is the 5th bit of element j
    uint8_t qs[16];
};
struct BlockQ5_1 {
    uint16_t d, m;
    uint8_t qh[4];
    uint8_t qs[16];
};
struct BlockQ8_0 {
    uint16_t d;
    int8_t qs[32];
};
struct BlockQ4_K {
    uint16_t d, dmin;    // super-block scales for the 6-bit sub-block scales and mins
    uint8_t scales[12];  // 8 (scale, min) pairs of 6 bits, see get_scale_min_k4
    uint8_t qs[128];     // per 64 elements: 32 bytes, low nibbles first sub-block, high the second
};
struct BlockQ5_K {
    uint16_t d, dmin;
    uint8_t scales[12];
    uint8_t qh[32];  // bit j of qh[l] is the 5th bit of element 32*j + l
    uint8_t qs[128];
};
struct BlockQ6_K {
    uint8_t ql[128];    // low 4 bits
    uint8_t qh[64];     // high 2 bits
    int8_t scales[16];  // one per 16 elements
    uint16_t d;         // fp16, at the end (unlike Q4_K/Q5_K)
};

static_assert(sizeof(BlockQ4_0) == 18 && sizeof(BlockQ4_1) == 20 && sizeof(BlockQ5_0) == 22);
static_assert(sizeof(BlockQ5_1) == 24 && sizeof(BlockQ8_0) == 34);
static_assert(sizeof(BlockQ4_K) == 144 && sizeof(BlockQ5_K) == 176 && sizeof(BlockQ6_K) == 210);

// Activation block for the 32-element weight types: x[j] ~= d * qs[j], and
// s = d * sum(qs) so offset/minimum terms cost one multiply per block.
struct BlockQ8A {
    float d;
    float s;
    int8_t qs[32];
};
static_assert(sizeof(BlockQ8A) == 40);

// Activation super-block for K-quants: x[j] ~= d * qs[j]; bsums[i] = sum of
// qs[16 i .. 16 i + 15] (for the min / offset terms).
struct BlockQ8K {
    float d;
    int8_t qs[256];
    int16_t bsums[16];
};
static_assert(sizeof(BlockQ8K) == 292);

// The 6-bit (scale, min) pair j (0..7) of a Q4_K/Q5_K super-block.
inline void get_scale_min_k4(int j, const uint8_t* q, uint8_t& d, uint8_t& m) {
    if (j < 4) {
        d = q[j] & 63;
        m = q[j + 4] & 63;
    } else {
        d = static_cast<uint8_t>((q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4));
        m = static_cast<uint8_t>((q[j + 4] >> 4) | ((q[j] >> 6) << 4));
    }
}

}  // namespace engine::quant
