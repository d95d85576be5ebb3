// A small float GEMM that accumulates into its output, for the training
// kernels (matmul backward, the attention backward's block products).
// Single-threaded: callers tile the output and hand tiles to their threads.
#pragma once

#include <cstdint>

namespace engine::cpu {

// C[m][n] += sum_{r < R} A(m, r) * B[r * ldb + n] for m < M, n < N, where
// A(m, r) = a[m * sam + r * sar] (any strides, so A may be read transposed).
//
// Every C element is updated one term at a time, r ascending, starting from
// the value stored in C: c = c + a*b (one fused multiply-add on the AVX2 and
// AVX-512 paths, which therefore agree bit for bit; multiply then add on the
// portable path). An element's result thus depends only on its own inputs and
// the r order: not on M, N, the tiling, or how callers split C, or R into
// consecutive chunks, across threads. The path follows cpu_path_active().
void gemm_accumulate(int64_t M, int64_t N, int64_t R, const float* a, int64_t sam, int64_t sar,
                     const float* b, int64_t ldb, float* c, int64_t ldc);

}  // namespace engine::cpu
