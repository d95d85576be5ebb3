// Backward of causal (sliding-window, grouped-query) attention over a whole
// sequence, in three parallel passes:
//   0. transpose K, V (per kv head) and Q, dout (per query head) to [head_dim, n_tokens],
//      so that a block of scores is a plain product (see below);
//   A. per (query head, block of queries): recompute scores S = Q K^T, the
//      softmax P (keeping each row's max and 1/sum), dP = dout V^T, delta = rowsum(P * dP),
//      dS = P * (dP - delta) * scale, and dQ = dS K;
//   B. per (kv head, block of keys): recompute P^T and dS^T from the saved
//      row max, 1/sum and delta, then dV = sum over the group's heads of P^T dout and
//      dK = dS^T Q.
// Every output element is written by exactly one work item, and each product
// is a cpu::gemm_accumulate whose per-element sums run in a fixed order, so the
// result does not depend on the thread count or on which thread took which
// item (items are handed out dynamically for balance: causal blocks differ in
// cost). Pass B recomputes the same float operations as pass A on the same
// values (a product's terms are commutative, a*b == b*a), so P and dS agree
// bit for bit between the passes.
//
// Built with -ffp-contract=off, so that both passes round the softmax the same.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "cpu/gemm_accumulate.h"
#include "engine/matmul.h"
#include "ops/ops_backward.h"

namespace engine::ops {
namespace {

// Queries per pass-A item, keys per pass-B item: a multiple of the gemm's
// 6-row register tile.
constexpr int64_t kBlock = 48;

// Offsets (in floats) of the scratch regions.
struct Layout {
    int64_t row_max = 0;  // [n_head, n_tokens] max of each query's scaled scores
    int64_t row_inv = 0;  // [n_head, n_tokens] 1 / sum_j exp(scaled score - max)
    int64_t delta = 0;    // [n_head, n_tokens] sum_j P * dP
    // Transposes, in rows of ldt >= n_tokens floats: padded so that the rows of
    // a block, read down a column, do not all fall into the same cache sets.
    int64_t ldt = 0;
    int64_t kt = 0;          // [n_head_kv, head_dim, ldt]
    int64_t vt = 0;          // [n_head_kv, head_dim, ldt]
    int64_t qt = 0;          // [n_head, head_dim, ldt]
    int64_t dot = 0;         // [n_head, head_dim, ldt] dout transposed
    int64_t per_thread = 0;  // from here: per thread, two [kBlock, n_tokens] blocks
    int64_t thread_floats = 0;
};

Layout layout_of(const AttentionShape& sh) {
    const int64_t n = sh.n_tokens, hd = sh.head_dim;
    Layout l;
    l.row_max = 0;
    l.row_inv = l.row_max + sh.n_head * n;
    l.delta = l.row_inv + sh.n_head * n;
    l.ldt = (n + 15) / 16 * 16 + 16;
    l.kt = l.delta + sh.n_head * n;
    l.vt = l.kt + sh.n_head_kv * hd * l.ldt;
    l.qt = l.vt + sh.n_head_kv * hd * l.ldt;
    l.dot = l.qt + sh.n_head * hd * l.ldt;
    l.per_thread = l.dot + sh.n_head * hd * l.ldt;
    l.thread_floats = 2 * kBlock * n;
    return l;
}

// dst[i * ldt + j] = src[j * src_stride + i] for j < n, i < hd; tiled for the cache.
void transpose(const float* src, int64_t src_stride, int64_t n, int64_t hd, float* dst, int64_t ldt) {
    constexpr int64_t kTile = 16;
    for (int64_t j0 = 0; j0 < n; j0 += kTile)
        for (int64_t i0 = 0; i0 < hd; i0 += kTile) {
            const int64_t j1 = std::min(n, j0 + kTile), i1 = std::min(hd, i0 + kTile);
            for (int64_t i = i0; i < i1; ++i)
                for (int64_t j = j0; j < j1; ++j) dst[i * ldt + j] = src[j * src_stride + i];
        }
}

// Sums with a fixed association (16 lane accumulators, then a halving tree),
// which the compiler can vectorize without changing the result.
constexpr int kLanes = 16;

float sum_lanes(const float* x, int64_t n) {
    float acc[kLanes] = {};
    int64_t i = 0;
    for (; i + kLanes <= n; i += kLanes)
        for (int j = 0; j < kLanes; ++j) acc[j] += x[i + j];
    for (; i < n; ++i) acc[i % kLanes] += x[i];
    for (int w = kLanes / 2; w > 0; w /= 2)
        for (int j = 0; j < w; ++j) acc[j] += acc[j + w];
    return acc[0];
}

// The maximum is exact in any order; lanes only let it vectorize. n >= 1.
float max_lanes(const float* x, int64_t n) {
    float acc[kLanes];
    for (int j = 0; j < kLanes; ++j) acc[j] = x[0];
    int64_t i = 0;
    for (; i + kLanes <= n; i += kLanes)
        for (int j = 0; j < kLanes; ++j) acc[j] = acc[j] < x[i + j] ? x[i + j] : acc[j];
    for (; i < n; ++i) acc[0] = acc[0] < x[i] ? x[i] : acc[0];
    for (int j = 1; j < kLanes; ++j) acc[0] = acc[0] < acc[j] ? acc[j] : acc[0];
    return acc[0];
}

float dot_lanes(const float* a, const float* b, int64_t n) {
    float acc[kLanes] = {};
    int64_t i = 0;
    for (; i + kLanes <= n; i += kLanes)
        for (int j = 0; j < kLanes; ++j) acc[j] += a[i + j] * b[i + j];
    for (; i < n; ++i) acc[i % kLanes] += a[i] * b[i];
    for (int w = kLanes / 2; w > 0; w /= 2)
        for (int j = 0; j < w; ++j) acc[j] += acc[j + w];
    return acc[0];
}

#if defined(__x86_64__)
// exp(x) = 2^m e^r with m = round(x / ln 2), r = x - m ln 2 in [-ln2/2, ln2/2]
// (ln 2 in two parts so that m * ln2_hi is exact), e^r by its degree-6 Taylor
// polynomial (relative truncation error < 1.3e-7). Below -87 the result is 0
// (exp would be subnormal); x here is a score minus its row maximum, <= 0.
// The AVX2 and AVX-512 forms do the same IEEE operations lane by lane, and
// tails go through the same code under a mask, so a value's exp does not
// depend on its position in the row: the two passes agree bit for bit.
constexpr float kLog2e = 1.4426950408889634f;
constexpr float kLn2Hi = 0.693145751953125f;
constexpr float kLn2Lo = 1.428606765330187045e-06f;
constexpr float kMinArg = -87.0f;
constexpr float kMaxArg = 88.0f;
constexpr float kTaylor[7] = {1.0f, 1.0f, 1.0f / 2, 1.0f / 6, 1.0f / 24, 1.0f / 120, 1.0f / 720};

__attribute__((target("avx2,fma"))) __m256 exp8(__m256 x) {
    const __m256 keep = _mm256_cmp_ps(x, _mm256_set1_ps(kMinArg), _CMP_GE_OQ);
    x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(kMinArg)), _mm256_set1_ps(kMaxArg));
    const __m256 m = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(kLog2e)),
                                     _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(m, _mm256_set1_ps(kLn2Hi), x);
    r = _mm256_fnmadd_ps(m, _mm256_set1_ps(kLn2Lo), r);
    __m256 p = _mm256_set1_ps(kTaylor[6]);
    for (int i = 5; i >= 0; --i) p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(kTaylor[i]));
    const __m256i bits =
        _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(m), _mm256_set1_epi32(127)), 23);
    return _mm256_and_ps(_mm256_mul_ps(p, _mm256_castsi256_ps(bits)), keep);
}

__attribute__((target("avx2,fma"))) void exp_avx2(float* x, int64_t n) {
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(x + i, exp8(_mm256_loadu_ps(x + i)));
    if (i < n) {
        const __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n - i)),
                                                _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
        _mm256_maskstore_ps(x + i, mask, exp8(_mm256_maskload_ps(x + i, mask)));
    }
}

// GCC 12's AVX-512 headers pass _mm512_undefined_ps() as the unused merge
// source, which -Wmaybe-uninitialized reports (a known false positive).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
__attribute__((target("avx512f"))) __m512 exp16(__m512 x) {
    const __mmask16 keep = _mm512_cmp_ps_mask(x, _mm512_set1_ps(kMinArg), _CMP_GE_OQ);
    x = _mm512_min_ps(_mm512_max_ps(x, _mm512_set1_ps(kMinArg)), _mm512_set1_ps(kMaxArg));
    const __m512 m = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(kLog2e)),
                                          _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fnmadd_ps(m, _mm512_set1_ps(kLn2Hi), x);
    r = _mm512_fnmadd_ps(m, _mm512_set1_ps(kLn2Lo), r);
    __m512 p = _mm512_set1_ps(kTaylor[6]);
    for (int i = 5; i >= 0; --i) p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(kTaylor[i]));
    const __m512i bits =
        _mm512_slli_epi32(_mm512_add_epi32(_mm512_cvtps_epi32(m), _mm512_set1_epi32(127)), 23);
    return _mm512_maskz_mul_ps(keep, p, _mm512_castsi512_ps(bits));
}

__attribute__((target("avx512f"))) void exp_avx512(float* x, int64_t n) {
    for (int64_t i = 0; i < n; i += 16) {
        const __mmask16 k = n - i >= 16 ? __mmask16(0xFFFF) : static_cast<__mmask16>((1u << (n - i)) - 1u);
        _mm512_mask_storeu_ps(x + i, k, exp16(_mm512_maskz_loadu_ps(k, x + i)));
    }
}
#pragma GCC diagnostic pop
#endif

void exp_scalar(float* x, int64_t n) {
    for (int64_t i = 0; i < n; ++i) x[i] = std::exp(x[i]);
}

// x[i] = exp(x[i]); the form follows cpu_path_active(), fixed for a whole call.
void exp_inplace(float* x, int64_t n) {
#if defined(__x86_64__)
    switch (cpu_path_active()) {
        case CpuPath::avx512:
            return exp_avx512(x, n);
        case CpuPath::avx2:
        case CpuPath::avx_vnni:
            return exp_avx2(x, n);
        default:
            break;
    }
#endif
    exp_scalar(x, n);
}

// Runs fn(item, ith) for item in [0, n_items) on the pool, handing items out
// in order from a shared counter.
template <class F>
void for_each_item(ThreadPool& pool, int64_t n_items, F&& fn) {
    std::atomic<int64_t> next{0};
    pool.run([&](int ith, int) {
        for (int64_t item = next.fetch_add(1, std::memory_order_relaxed); item < n_items;
             item = next.fetch_add(1, std::memory_order_relaxed))
            fn(item, ith);
    });
}

struct Pass {
    const AttentionShape& sh;
    const float* q;
    const float* k;
    const float* v;
    const float* dout;
    float* dq;
    float* dk;
    float* dv;
    float* scratch;
    Layout l;
    int64_t row, group;

    // First key a query at position t sees.
    int64_t first_key(int64_t t) const { return sh.window > 0 ? std::max<int64_t>(0, t - sh.window + 1) : 0; }

    void query_block(int64_t h, int64_t t0, float* s, float* dp) const {
        const int64_t n = sh.n_tokens, hd = sh.head_dim;
        const int64_t t1 = std::min(n, t0 + kBlock), mq = t1 - t0;
        const int64_t lo = first_key(t0), nk = t1 - lo;
        const int64_t g = h / group;
        // s, dp: [mq, nk], column c is key lo + c.
        std::fill(s, s + mq * nk, 0.0f);
        std::fill(dp, dp + mq * nk, 0.0f);
        cpu::gemm_accumulate(mq, nk, hd, q + t0 * row + h * hd, row, 1, scratch + l.kt + g * hd * l.ldt + lo,
                             l.ldt, s, nk);
        cpu::gemm_accumulate(mq, nk, hd, dout + t0 * row + h * hd, row, 1,
                             scratch + l.vt + g * hd * l.ldt + lo, l.ldt, dp, nk);
        for (int64_t m = 0; m < mq; ++m) {
            const int64_t t = t0 + m;
            float* sr = s + m * nk;
            const float* dpr = dp + m * nk;
            const int64_t c_lo = first_key(t) - lo, c_end = t - lo + 1;  // visible columns
            // P = exp(s * scale - max) * (1 / sum), the form pass B repeats.
            for (int64_t c = c_lo; c < c_end; ++c) sr[c] *= sh.scale;
            const float max_s = max_lanes(sr + c_lo, c_end - c_lo);
            for (int64_t c = c_lo; c < c_end; ++c) sr[c] -= max_s;
            exp_inplace(sr + c_lo, c_end - c_lo);
            const float inv = 1.0f / sum_lanes(sr + c_lo, c_end - c_lo);
            std::fill(sr, sr + c_lo, 0.0f);
            for (int64_t c = c_lo; c < c_end; ++c) sr[c] *= inv;
            std::fill(sr + c_end, sr + nk, 0.0f);
            const float delta = dot_lanes(sr, dpr, nk);
            for (int64_t c = 0; c < nk; ++c) sr[c] = sr[c] * (dpr[c] - delta) * sh.scale;  // dS
            scratch[l.row_max + h * n + t] = max_s;
            scratch[l.row_inv + h * n + t] = inv;
            scratch[l.delta + h * n + t] = delta;
        }
        float* dqb = dq + t0 * row + h * hd;
        for (int64_t m = 0; m < mq; ++m) std::fill(dqb + m * row, dqb + m * row + hd, 0.0f);
        cpu::gemm_accumulate(mq, hd, nk, s, nk, 1, k + (g * sh.capacity + lo) * hd, hd, dqb, row);
    }

    void key_block(int64_t g, int64_t j0, float* s, float* dp) const {
        const int64_t n = sh.n_tokens, hd = sh.head_dim;
        const int64_t j1 = std::min(n, j0 + kBlock), mk = j1 - j0;
        // Queries that see any of these keys: j0 .. j1 - 1 + window - 1.
        const int64_t t_end = sh.window > 0 ? std::min(n, j1 - 1 + sh.window) : n;
        const int64_t nq = t_end - j0;
        const float* kb = k + (g * sh.capacity + j0) * hd;
        const float* vb = v + (g * sh.capacity + j0) * hd;
        float* dkb = dk + (g * sh.capacity + j0) * hd;
        float* dvb = dv + (g * sh.capacity + j0) * hd;
        std::fill(dkb, dkb + mk * hd, 0.0f);
        std::fill(dvb, dvb + mk * hd, 0.0f);
        for (int64_t h = g * group; h < (g + 1) * group; ++h) {
            // s, dp: [mk, nq], column c is query j0 + c.
            std::fill(s, s + mk * nq, 0.0f);
            std::fill(dp, dp + mk * nq, 0.0f);
            cpu::gemm_accumulate(mk, nq, hd, kb, hd, 1, scratch + l.qt + h * hd * l.ldt + j0, l.ldt, s, nq);
            cpu::gemm_accumulate(mk, nq, hd, vb, hd, 1, scratch + l.dot + h * hd * l.ldt + j0, l.ldt, dp, nq);
            const float* row_max = scratch + l.row_max + h * n + j0;
            const float* row_inv = scratch + l.row_inv + h * n + j0;
            const float* delta = scratch + l.delta + h * n + j0;
            for (int64_t m = 0; m < mk; ++m) {
                float* sr = s + m * nq;
                float* dpr = dp + m * nq;
                // Key j0 + m is seen by queries j0 + m .. j0 + m + window - 1.
                const int64_t c_lo = m, c_end = sh.window > 0 ? std::min(nq, m + sh.window) : nq;
                for (int64_t c = c_lo; c < c_end; ++c) sr[c] = sr[c] * sh.scale - row_max[c];
                exp_inplace(sr + c_lo, c_end - c_lo);
                for (int64_t c = c_lo; c < c_end; ++c) {
                    const float p = sr[c] * row_inv[c];
                    sr[c] = p;
                    dpr[c] = p * (dpr[c] - delta[c]) * sh.scale;  // dS^T
                }
                std::fill(sr, sr + c_lo, 0.0f);
                std::fill(dpr, dpr + c_lo, 0.0f);
                std::fill(sr + c_end, sr + nq, 0.0f);
                std::fill(dpr + c_end, dpr + nq, 0.0f);
            }
            cpu::gemm_accumulate(mk, hd, nq, s, nq, 1, dout + j0 * row + h * hd, row, dvb, hd);
            cpu::gemm_accumulate(mk, hd, nq, dp, nq, 1, q + j0 * row + h * hd, row, dkb, hd);
        }
    }
};

}  // namespace

int64_t attention_backward_scratch_floats(const AttentionShape& shape, int n_threads) {
    const Layout l = layout_of(shape);
    return l.per_thread + std::max(1, n_threads) * l.thread_floats;
}

void attention_backward(const AttentionShape& sh, const float* q, const float* k, const float* v,
                        const float* dout, float* dq, float* dk, float* dv, float* scratch,
                        ThreadPool& pool) {
    const int64_t n = sh.n_tokens, hd = sh.head_dim;
    if (n <= 0 || hd <= 0 || sh.n_head <= 0) return;
    const int64_t row = sh.n_head * hd;
    if (sh.pos0 != 0 || sh.n_head_kv <= 0 || sh.n_head % sh.n_head_kv != 0 || sh.capacity < n) {
        // Not a shape this kernel handles (callers check): poison what it would write.
        const float nan = std::numeric_limits<float>::quiet_NaN();
        std::fill(dq, dq + n * row, nan);
        for (int64_t g = 0; g < sh.n_head_kv; ++g)
            for (int64_t j = 0; j < std::min(n, sh.capacity); ++j) {
                std::fill(dk + (g * sh.capacity + j) * hd, dk + (g * sh.capacity + j + 1) * hd, nan);
                std::fill(dv + (g * sh.capacity + j) * hd, dv + (g * sh.capacity + j + 1) * hd, nan);
            }
        return;
    }
    const Pass pass{sh, q, k, v, dout, dq, dk, dv, scratch, layout_of(sh), row, sh.n_head / sh.n_head_kv};
    const Layout& l = pass.l;

    // Pass 0: the transposes, one (tensor, head) per item.
    const int64_t n_kv = sh.n_head_kv, n_h = sh.n_head;
    for_each_item(pool, 2 * (n_kv + n_h), [&](int64_t item, int) {
        if (item < n_kv)
            transpose(k + item * sh.capacity * hd, hd, n, hd, scratch + l.kt + item * hd * l.ldt, l.ldt);
        else if (item < 2 * n_kv)
            transpose(v + (item - n_kv) * sh.capacity * hd, hd, n, hd,
                      scratch + l.vt + (item - n_kv) * hd * l.ldt, l.ldt);
        else if (item < 2 * n_kv + n_h)
            transpose(q + (item - 2 * n_kv) * hd, row, n, hd, scratch + l.qt + (item - 2 * n_kv) * hd * l.ldt,
                      l.ldt);
        else
            transpose(dout + (item - 2 * n_kv - n_h) * hd, row, n, hd,
                      scratch + l.dot + (item - 2 * n_kv - n_h) * hd * l.ldt, l.ldt);
    });

    // Pass A: (query block, head) items, the last (most expensive) blocks first.
    const int64_t n_blocks = (n + kBlock - 1) / kBlock;
    for_each_item(pool, n_blocks * n_h, [&](int64_t item, int ith) {
        float* buf = scratch + l.per_thread + ith * l.thread_floats;
        const int64_t b = n_blocks - 1 - item / n_h, h = item % n_h;
        pass.query_block(h, b * kBlock, buf, buf + kBlock * n);
    });

    // Pass B: (key block, kv head) items, the first (most expensive) blocks first.
    for_each_item(pool, n_blocks * n_kv, [&](int64_t item, int ith) {
        float* buf = scratch + l.per_thread + ith * l.thread_floats;
        pass.key_block(item % n_kv, item / n_kv * kBlock, buf, buf + kBlock * n);
    });
}

}  // namespace engine::ops
