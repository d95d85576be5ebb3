// Portable kernels: the reference the SIMD paths are tested against, and the
// path on CPUs without them. Integer sums per block are exact; only the float
// accumulation order differs from the SIMD paths.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "cpu/kernels.h"
#include "engine/quant.h"

namespace engine::cpu {
namespace {

using namespace quant;

void quantize_q8a(const float* x, BlockQ8A* y, int64_t k) {
    for (int64_t b = 0; b < k / kQK; ++b, x += kQK) {
        float amax = 0.0f;
        for (int j = 0; j < kQK; ++j) amax = std::max(amax, std::fabs(x[j]));
        const float d = amax / 127.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        int sum = 0;
        for (int j = 0; j < kQK; ++j) {
            const int q = static_cast<int>(std::nearbyint(x[j] * id));  // ties to even, as cvtps2dq
            y[b].qs[j] = static_cast<int8_t>(q);
            sum += q;
        }
        y[b].d = d;
        y[b].s = d * static_cast<float>(sum);
    }
}

void quantize_q8k(const float* x, BlockQ8K* y, int64_t k) {
    for (int64_t b = 0; b < k / kQKK; ++b, x += kQKK) {
        float amax = 0.0f;
        for (int j = 0; j < kQKK; ++j) amax = std::max(amax, std::fabs(x[j]));
        const float d = amax / 127.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        for (int g = 0; g < 16; ++g) {
            int sum = 0;
            for (int j = 16 * g; j < 16 * g + 16; ++j) {
                const int q = static_cast<int>(std::nearbyint(x[j] * id));
                y[b].qs[j] = static_cast<int8_t>(q);
                sum += q;
            }
            y[b].bsums[g] = static_cast<int16_t>(sum);
        }
        y[b].d = d;
    }
}

// Runs body(t, act_row) for every token of the tile and stores the result.
template <class Body>
void for_tokens(const uint8_t* act, size_t act_stride, int nt, float* out, size_t out_stride, Body body) {
    for (int t = 0; t < nt; ++t) out[static_cast<size_t>(t) * out_stride] = body(act + t * act_stride);
}

void dot_f32(int64_t k, const uint8_t* w_row, const uint8_t* act, size_t as, int nt, float* out, size_t os) {
    const auto* w = reinterpret_cast<const float*>(w_row);
    for_tokens(act, as, nt, out, os, [&](const uint8_t* a) {
        const auto* x = reinterpret_cast<const float*>(a);
        float sum = 0.0f;
        for (int64_t i = 0; i < k; ++i) sum += w[i] * x[i];
        return sum;
    });
}

void dot_f16(int64_t k, const uint8_t* w_row, const uint8_t* act, size_t as, int nt, float* out, size_t os) {
    const auto* w = reinterpret_cast<const uint16_t*>(w_row);
    for_tokens(act, as, nt, out, os, [&](const uint8_t* a) {
        const auto* x = reinterpret_cast<const float*>(a);
        float sum = 0.0f;
        for (int64_t i = 0; i < k; ++i) sum += fp16_to_fp32(w[i]) * x[i];
        return sum;
    });
}

void dot_bf16(int64_t k, const uint8_t* w_row, const uint8_t* act, size_t as, int nt, float* out, size_t os) {
    const auto* w = reinterpret_cast<const uint16_t*>(w_row);
    for_tokens(act, as, nt, out, os, [&](const uint8_t* a) {
        const auto* x = reinterpret_cast<const float*>(a);
        float sum = 0.0f;
        for (int64_t i = 0; i < k; ++i) sum += bf16_to_fp32(w[i]) * x[i];
        return sum;
    });
}

void dot_q8_0(int64_t k, const uint8_t* w_row, const uint8_t* act, size_t as, int nt, float* out, size_t os) {
    const auto* w = reinterpret_cast<const BlockQ8_0*>(w_row);
    for_tokens(act, as, nt, out, os, [&](const uint8_t* a_row) {
        const auto* a = reinterpret_cast<const BlockQ8A*>(a_row);
        float sum = 0.0f;
        for (int64_t b = 0; b < k / kQK; ++b) {
            int isum = 0;
            for (int j = 0; j < kQK; ++j) isum += w[b].qs[j] * a[b].qs[j];
            sum += fp16_to_fp32(w[b].d) * a[b].d * static_cast<float>(isum);
        }
        return sum;
    });
}

// Q4_0 / Q5_0: weight = d * (q - offset); sum = d * (d_a * sum(q * q_a) - offset * s_a).
template <class Block, int kOffset>
float dot_sym_block(const Block& w, const BlockQ8A& a, const int* q) {
    int isum = 0;
    for (int j = 0; j < kQK; ++j) isum += q[j] * a.qs[j];
    return fp16_to_fp32(w.d) * (a.d * static_cast<float>(isum) - static_cast<float>(kOffset) * a.s);
}

// Q4_1 / Q5_1: weight = d * q + m; sum = d * d_a * sum(q * q_a) + m * s_a.
template <class Block>
float dot_asym_block(const Block& w, const BlockQ8A& a, const int* q) {
    int isum = 0;
    for (int j = 0; j < kQK; ++j) isum += q[j] * a.qs[j];
    return fp16_to_fp32(w.d) * a.d * static_cast<float>(isum) + fp16_to_fp32(w.m) * a.s;
}

template <class Block>
void unpack_nibbles(const Block& w, int* q) {
    for (int j = 0; j < 16; ++j) {
        q[j] = w.qs[j] & 0xF;
        q[j + 16] = w.qs[j] >> 4;
    }
}

template <class Block>
void unpack_q5(const Block& w, int* q) {
    uint32_t qh;
    std::memcpy(&qh, w.qh, 4);
    for (int j = 0; j < 16; ++j) {
        q[j] = (w.qs[j] & 0xF) | static_cast<int>(((qh >> j) & 1u) << 4);
        q[j + 16] = (w.qs[j] >> 4) | static_cast<int>(((qh >> (j + 16)) & 1u) << 4);
    }
}

template <class Block, bool kFiveBit, int kOffset, bool kAsym>
void dot_32(int64_t k, const uint8_t* w_row, const uint8_t* act, size_t as, int nt, float* out, size_t os) {
    const auto* w = reinterpret_cast<const Block*>(w_row);
    for_tokens(act, as, nt, out, os, [&](const uint8_t* a_row) {
        const auto* a = reinterpret_cast<const BlockQ8A*>(a_row);
        float sum = 0.0f;
        for (int64_t b = 0; b < k / kQK; ++b) {
            int q[kQK];
            if constexpr (kFiveBit)
                unpack_q5(w[b], q);
            else
                unpack_nibbles(w[b], q);
            if constexpr (kAsym)
                sum += dot_asym_block(w[b], a[b], q);
            else
                sum += dot_sym_block<Block, kOffset>(w[b], a[b], q);
        }
        return sum;
    });
}

// Q4_K / Q5_K: weight = d*sc_j*q - dmin*m_j per 32-element sub-block j.
template <bool kFiveBit>
float dot_k_asym_block(const uint8_t* scales, float d, float dmin, const uint8_t* qs, const uint8_t* qh,
                       const BlockQ8K& a) {
    int isum = 0, msum = 0;
    for (int j = 0; j < 8; ++j) {
        uint8_t sc, m;
        get_scale_min_k4(j, scales, sc, m);
        const uint8_t* q = qs + 32 * (j / 2);
        const int shift = 4 * (j % 2);
        int s = 0;
        for (int l = 0; l < 32; ++l) {
            int v = (q[l] >> shift) & 0xF;
            if constexpr (kFiveBit) v |= ((qh[l] >> j) & 1) << 4;
            s += v * a.qs[32 * j + l];
        }
        isum += sc * s;
        msum += m * (a.bsums[2 * j] + a.bsums[2 * j + 1]);
    }
    return d * a.d * static_cast<float>(isum) - dmin * a.d * static_cast<float>(msum);
}

void dot_q4_k(int64_t k, const uint8_t* w_row, const uint8_t* act, size_t as, int nt, float* out, size_t os) {
    const auto* w = reinterpret_cast<const BlockQ4_K*>(w_row);
    for_tokens(act, as, nt, out, os, [&](const uint8_t* a_row) {
        const auto* a = reinterpret_cast<const BlockQ8K*>(a_row);
        float sum = 0.0f;
        for (int64_t b = 0; b < k / kQKK; ++b)
            sum += dot_k_asym_block<false>(w[b].scales, fp16_to_fp32(w[b].d), fp16_to_fp32(w[b].dmin),
                                           w[b].qs, nullptr, a[b]);
        return sum;
    });
}

void dot_q5_k(int64_t k, const uint8_t* w_row, const uint8_t* act, size_t as, int nt, float* out, size_t os) {
    const auto* w = reinterpret_cast<const BlockQ5_K*>(w_row);
    for_tokens(act, as, nt, out, os, [&](const uint8_t* a_row) {
        const auto* a = reinterpret_cast<const BlockQ8K*>(a_row);
        float sum = 0.0f;
        for (int64_t b = 0; b < k / kQKK; ++b)
            sum += dot_k_asym_block<true>(w[b].scales, fp16_to_fp32(w[b].d), fp16_to_fp32(w[b].dmin), w[b].qs,
                                          w[b].qh, a[b]);
        return sum;
    });
}

void dot_q6_k(int64_t k, const uint8_t* w_row, const uint8_t* act, size_t as, int nt, float* out, size_t os) {
    const auto* w = reinterpret_cast<const BlockQ6_K*>(w_row);
    for_tokens(act, as, nt, out, os, [&](const uint8_t* a_row) {
        const auto* a = reinterpret_cast<const BlockQ8K*>(a_row);
        float sum = 0.0f;
        for (int64_t b = 0; b < k / kQKK; ++b) {
            int isum = 0;
            for (int h = 0; h < 2; ++h) {
                const uint8_t* ql = w[b].ql + 64 * h;
                const uint8_t* qh = w[b].qh + 32 * h;
                const int8_t* aq = a[b].qs + 128 * h;
                for (int g = 0; g < 8; ++g) {  // 16-element sub-block 8h + g
                    const int part = g / 2;    // which of the four 32-element groups
                    int s = 0;
                    for (int l16 = 0; l16 < 16; ++l16) {
                        const int l = 16 * (g % 2) + l16;
                        const int lo = part % 2 == 0 ? ql[l] : ql[l + 32];
                        const int v =
                            ((part < 2 ? lo & 0xF : lo >> 4) | (((qh[l] >> (2 * part)) & 3) << 4)) - 32;
                        s += v * aq[32 * part + l];
                    }
                    isum += w[b].scales[8 * h + g] * s;
                }
            }
            sum += fp16_to_fp32(w[b].d) * a[b].d * static_cast<float>(isum);
        }
        return sum;
    });
}

}  // namespace

const KernelSet& kernels_scalar() {
    static const KernelSet ks = {
        "scalar",
        quantize_q8a,
        quantize_q8k,
        dot_f32,
        dot_f16,
        dot_bf16,
        dot_q8_0,
        dot_32<BlockQ4_0, false, 8, false>,
        dot_32<BlockQ4_1, false, 0, true>,
        dot_32<BlockQ5_0, true, 16, false>,
        dot_32<BlockQ5_1, true, 0, true>,
        dot_q4_k,
        dot_q5_k,
        dot_q6_k,
        kMaxTile,
    };
    return ks;
}

}  // namespace engine::cpu
