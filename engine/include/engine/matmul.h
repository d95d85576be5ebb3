// CPU matrix kernels for linear layers: y = x W^T with W stored as a GGUF
// weight (ne = {k, rows}, any type quant_supported() accepts).
//
// Quantized weights are multiplied directly on their blocks: the activations
// are quantized once per call to int8 (32-element blocks with a float scale for
// Q4_0..Q8_0, 256-element super-blocks with 16-element sums for K-quants) and
// the dot products run in integer SIMD. F32/F16/BF16 weights use float SIMD.
//
// Determinism: every output element is computed by one thread with a fixed
// reduction order that depends neither on the thread count nor on n_tokens,
// so a token's outputs are bitwise the same in a batch of 1 or of 64. Results
// do differ (slightly) between instruction-set paths.
#pragma once

#include <cstdint>

#include "engine/tensor_view.h"
#include "engine/thread_pool.h"

namespace engine {

// y[t][r] = sum_k x[t][k] * W[r][k].
// w: ne = {k, rows} (rows = ne[1]*ne[2]*ne[3]), k a multiple of the type's block size.
// x: float [n_tokens, k]; y: float [n_tokens, rows] (must not alias x).
// No heap allocation once the calling thread's scratch has grown to the largest size used.
void matmul(const TensorView& w, const float* x, int64_t n_tokens, float* y, ThreadPool& pool);

// Backward of matmul with respect to its input, for training through frozen
// weights: dx[t][c] += sum_r dy[t][r] * W[r][c] (ACCUMULATES into dx).
// w: any type matmul() accepts (quantized rows are dequantized on the fly, so a
// quantized base model trains QLoRA-style); dy: float [n_tokens, rows];
// dx: float [n_tokens, k]. Each dx element is summed over r in ascending order
// by one thread, so the result does not depend on the thread count.
void matmul_backward_input(const TensorView& w, const float* dy, int64_t n_tokens, float* dx,
                           ThreadPool& pool);

// Weight-gradient product for F32 parameters (LoRA A and B):
// dw[i][j] += sum_t a[t][i] * b[t][j], with a: float [n_tokens, a_cols],
// b: float [n_tokens, b_cols], dw: float [a_cols, b_cols] (ACCUMULATES).
// Summed over t in ascending order per element; independent of the thread count.
void matmul_accumulate_outer(const float* a, int64_t a_cols, const float* b, int64_t b_cols, int64_t n_tokens,
                             float* dw, ThreadPool& pool);

// Embedding lookup: out[i] = dequantized row ids[i] of w (float [n, k]). An id
// outside [0, rows) yields a row of NaN rather than a read out of bounds.
void get_rows(const TensorView& w, const int32_t* ids, int64_t n, float* out);

// Instruction-set paths of the CPU kernels. The best available one is chosen
// once at start-up; tests and benchmarks may force another.
enum class CpuPath {
    scalar,        // portable C++, every platform
    avx2,          // AVX2 + FMA + F16C, int8 dot products with maddubs/madd
    avx_vnni,      // as avx2 with AVX-VNNI dpbusd (VEX encoded; Alder Lake, Sapphire Rapids, Zen 5)
    avx512,        // as avx2 with AVX-512 VNNI dpbusd (on 256-bit registers)
    neon,          // aarch64 Advanced SIMD, int8 products with smull/sadalp
    neon_dotprod,  // as neon with the ARMv8.2 dot product sdot
};

const char* cpu_path_name(CpuPath path);
bool cpu_path_available(CpuPath path);
CpuPath cpu_path_best();
CpuPath cpu_path_active();
// Forces a path for the whole process; returns false (and changes nothing) if this
// CPU or build lacks it. Not for use while a matmul is running.
bool cpu_path_force(CpuPath path);
void cpu_path_reset();  // back to cpu_path_best()

}  // namespace engine
