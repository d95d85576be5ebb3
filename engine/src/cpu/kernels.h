// Per-instruction-set kernel tables for matmul (private).
//
// A dot kernel computes one weight row against nt (1..kMaxTile) activation
// rows: out[t * out_stride] = dot(w_row, act + t * act_stride) for t < nt. The
// weight block is unpacked once and reused for every token of the tile, and
// each token's accumulation runs the same operation sequence whatever nt is,
// so outputs do not depend on how tokens are grouped.
#pragma once

#include <cstddef>
#include <cstdint>

#include "engine/dtype.h"
#include "quant/blocks.h"

namespace engine::cpu {

constexpr int kMaxTile = 8;  // most tokens per weight-row pass (KernelSet::tile may be less)

// act points at float rows (F32/F16/BF16 weights), BlockQ8A rows (32-element
// types) or BlockQ8K rows (K-quants); act_stride is in bytes.
using DotFn = void (*)(int64_t k, const uint8_t* w_row, const uint8_t* act, size_t act_stride, int nt,
                       float* out, size_t out_stride);

struct KernelSet {
    const char* name;
    // Activation quantizers; every path produces bit-identical blocks (the same
    // scale arithmetic, round-to-nearest-even), so paths differ only in how
    // they sum floats.
    void (*quantize_q8a)(const float* x, quant::BlockQ8A* y, int64_t k);
    void (*quantize_q8k)(const float* x, quant::BlockQ8K* y, int64_t k);
    DotFn f32, f16, bf16, q8_0, q4_0, q4_1, q5_0, q5_1, q4_k, q5_k, q6_k;
    // Tokens per weight-row pass (1..kMaxTile): as many as the registers hold.
    // Per-token arithmetic does not depend on it.
    int tile;
};

enum class ActFormat { f32, q8a, q8k };

ActFormat act_format(DType type);
DotFn dot_for(const KernelSet& ks, DType type);

const KernelSet& kernels_scalar();
// nullptr when the build has no such path (non-x86 targets).
const KernelSet* kernels_avx2();
const KernelSet* kernels_avx_vnni();
const KernelSet* kernels_avx512();
// nullptr when the build has no such path (non-aarch64 targets).
const KernelSet* kernels_neon();
const KernelSet* kernels_neon_dotprod();

}  // namespace engine::cpu
