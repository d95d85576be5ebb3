// Backward products of the linear layers: the input gradient through a
// (possibly quantized) weight, and the weight gradient of F32 parameters.
//
// Both are accumulating GEMMs on cpu::gemm_accumulate, whose per-element
// arithmetic is one running sum in a fixed order (see gemm_accumulate.h). The
// drivers below only choose tiles and which thread computes which output
// elements, so any split gives the same bits.
#include <algorithm>
#include <bit>
#include <cstring>
#include <limits>
#include <vector>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "cpu/gemm_accumulate.h"
#include "engine/matmul.h"
#include "engine/quant.h"

namespace engine {
namespace {

// Floats of dequantized weights per panel (64 KB: stays in L2 while every
// token tile passes over it).
constexpr int64_t kPanelFloats = 16384;
// Rows of the gemm's register tile on the widest path; token groups are
// multiples of it so that tiles stay full.
constexpr int64_t kTokenTile = 6;

// Grow-only per-thread buffer, so repeated calls allocate nothing.
float* thread_scratch(int64_t n) {
    thread_local std::vector<float> buffer;
    if (buffer.size() < static_cast<size_t>(n)) buffer.resize(static_cast<size_t>(n));
    return buffer.data();
}

#if defined(__x86_64__)
// F16C conversion: exact, as fp16_to_fp32 (which only differs in keeping a
// signalling NaN's payload unquieted).
__attribute__((target("avx2,f16c"))) void f16_to_f32_f16c(const uint16_t* src, float* dst, int64_t n) {
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(dst + i,
                         _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i))));
    for (; i < n; ++i) dst[i] = fp16_to_fp32(src[i]);
}
#endif

// n elements (whole blocks) of a weight row into floats. The plain 16-bit types
// are converted inline (the reference converter is a call per element, which
// would cost as much as the products); the quant types use dequantize_row.
void dequantize_span(DType type, const uint8_t* src, float* dst, int64_t n, CpuPath path) {
    if (type == DType::BF16) {
        const auto* h = reinterpret_cast<const uint16_t*>(src);
        for (int64_t i = 0; i < n; ++i) dst[i] = std::bit_cast<float>(static_cast<uint32_t>(h[i]) << 16);
        return;
    }
#if defined(__x86_64__)
    if (type == DType::F16 && (path == CpuPath::avx2 || path == CpuPath::avx_vnni || path == CpuPath::avx512))
        return f16_to_f32_f16c(reinterpret_cast<const uint16_t*>(src), dst, n);
#else
    (void)path;
#endif
    dequantize_row(type, src, dst, n);
}

}  // namespace

void matmul_backward_input(const TensorView& w, const float* dy, int64_t n_tokens, float* dx,
                           ThreadPool& pool) {
    const int64_t k = w.ne[0];
    const int64_t rows = w.n_rows();
    if (n_tokens <= 0 || k <= 0) return;
    const int64_t bs = quant_supported(w.type) ? dtype_info(w.type).block_size : 0;
    if (bs == 0 || k % bs != 0) {
        // Callers validate types and shapes when loading; never read past the data here.
        std::fill(dx, dx + n_tokens * k, std::numeric_limits<float>::quiet_NaN());
        return;
    }
    if (rows <= 0) return;

    // dx[t][c] += sum_r dy[t][r] * W[r][c] is C += A B with A = dy [n_tokens, rows]
    // and B = W [rows, k]. Work items are (column chunk, token group): a chunk is
    // whole quant blocks, dequantized panel by panel (rows ascending) into a
    // per-thread buffer; F32 weights are read in place.
    const int64_t chunk = bs >= 256 ? 256 : 128;  // columns per item
    const int64_t panel_rows = kPanelFloats / chunk;
    const int64_t n_chunks = (k + chunk - 1) / chunk;
    const int64_t n_tiles = (n_tokens + kTokenTile - 1) / kTokenTile;
    // Few column chunks (small k, e.g. a LoRA B's rank) or many threads: also
    // split the tokens, into groups of at least 4 tiles so that the repeated
    // dequantization of a chunk stays a small cost.
    int64_t n_groups = 1;
    if (pool.size() > 1) {
        const int64_t want = (4 * static_cast<int64_t>(pool.size()) + n_chunks - 1) / n_chunks;
        n_groups = std::clamp<int64_t>(want, 1, std::max<int64_t>(1, n_tiles / 4));
    }
    auto group_start = [&](int64_t g) { return std::min(n_tokens, n_tiles * g / n_groups * kTokenTile); };

    const int64_t n_items = n_chunks * n_groups;
    const bool in_place = w.type == DType::F32;
    const CpuPath path = cpu_path_active();
    const size_t block_bytes = static_cast<size_t>(dtype_info(w.type).block_bytes);
    pool.run([&](int ith, int nth) {
        const int64_t begin = n_items * ith / nth, end = n_items * (ith + 1) / nth;
        // [panel_rows, ldp]: rows padded by a cache line so that a column of
        // the panel does not fall into a few cache sets.
        const int64_t ldp = chunk + 16;
        float* panel = in_place ? nullptr : thread_scratch(panel_rows * ldp);
        for (int64_t item = begin; item < end;) {
            // This thread's consecutive groups of one chunk form one token range.
            const int64_t ci = item / n_groups;
            const int64_t last = std::min(end, (ci + 1) * n_groups);
            const int64_t t0 = group_start(item - ci * n_groups), t1 = group_start(last - ci * n_groups);
            item = last;
            if (t0 >= t1) continue;
            const int64_t c0 = ci * chunk, nc = std::min(chunk, k - c0);
            const size_t src_offset = static_cast<size_t>(c0 / bs) * block_bytes;
            for (int64_t r0 = 0; r0 < rows; r0 += panel_rows) {
                const int64_t nr = std::min(panel_rows, rows - r0);
                const float* b = nullptr;
                int64_t ldb = 0;
                if (in_place) {
                    b = reinterpret_cast<const float*>(w.row(r0)) + c0;
                    ldb = k;
                } else {
                    for (int64_t r = 0; r < nr; ++r)
                        dequantize_span(w.type, w.row(r0 + r) + src_offset, panel + r * ldp, nc, path);
                    b = panel;
                    ldb = ldp;
                }
                cpu::gemm_accumulate(t1 - t0, nc, nr, dy + t0 * rows + r0, rows, 1, b, ldb, dx + t0 * k + c0,
                                     k);
            }
        }
    });
}

void matmul_accumulate_outer(const float* a, int64_t a_cols, const float* b, int64_t b_cols, int64_t n_tokens,
                             float* dw, ThreadPool& pool) {
    if (a_cols <= 0 || b_cols <= 0 || n_tokens <= 0) return;
    // dw[i][j] += sum_t a[t][i] b[t][j] is C += A^T B. Items are tiles of dw
    // (kItemRows x kItemCols); tokens run in chunks, ascending, so each item's
    // slice of b stays in cache across its row tiles.
    constexpr int64_t kItemRows = 4 * kTokenTile;
    constexpr int64_t kItemCols = 64;
    constexpr int64_t kTokenChunk = 256;
    const int64_t n_row_tiles = (a_cols + kItemRows - 1) / kItemRows;
    const int64_t n_col_tiles = (b_cols + kItemCols - 1) / kItemCols;
    const int64_t n_items = n_row_tiles * n_col_tiles;
    pool.run([&](int ith, int nth) {
        const int64_t begin = n_items * ith / nth, end = n_items * (ith + 1) / nth;
        for (int64_t item = begin; item < end; ++item) {
            const int64_t i0 = item / n_col_tiles * kItemRows, j0 = item % n_col_tiles * kItemCols;
            const int64_t ni = std::min(kItemRows, a_cols - i0), nj = std::min(kItemCols, b_cols - j0);
            for (int64_t t0 = 0; t0 < n_tokens; t0 += kTokenChunk) {
                const int64_t nt = std::min(kTokenChunk, n_tokens - t0);
                cpu::gemm_accumulate(ni, nj, nt, a + t0 * a_cols + i0, 1, a_cols, b + t0 * b_cols + j0,
                                     b_cols, dw + i0 * b_cols + j0, b_cols);
            }
        }
    });
}

}  // namespace engine
