// Multi-threaded causal attention over the F32 KV cache (two passes per
// query: scores with their maximum, then the softmax-weighted sum of values).
#include <algorithm>
#include <cmath>

#include "ops/ops.h"

namespace engine::ops {
namespace {

// The vector loops below have a fixed association (lane l of a 16-lane
// accumulator sums the products of elements l, l + 16, ..., then a fixed
// halving tree), so every clone and every thread count computes bitwise the
// same value; only the instruction width differs between the clones.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define ENGINE_VECTOR_CLONES __attribute__((target_clones("default", "arch=x86-64-v3", "arch=x86-64-v4")))
#else
#define ENGINE_VECTOR_CLONES
#endif

constexpr int kLanes = 16;

ENGINE_VECTOR_CLONES float dot(const float* a, const float* b, int64_t n) {
    float acc[kLanes] = {};
    int64_t i = 0;
    for (; i + kLanes <= n; i += kLanes)
        for (int l = 0; l < kLanes; ++l) acc[l] += a[i + l] * b[i + l];
    for (int w = kLanes / 2; w > 0; w /= 2)
        for (int l = 0; l < w; ++l) acc[l] += acc[l + w];
    float s = acc[0];
    for (; i < n; ++i) s += a[i] * b[i];
    return s;
}

// y += p * x over n values (lane-wise, so already independent of the width).
ENGINE_VECTOR_CLONES void axpy(float* y, float p, const float* x, int64_t n) {
    for (int64_t i = 0; i < n; ++i) y[i] += p * x[i];
}

// One query row of one head; scores: at least pos_q + 1 floats.
void attend_one(const AttentionShape& sh, const float* qv, const float* kh, const float* vh, int64_t pos_q,
                float* scores, float* outv) {
    const int64_t hd = sh.head_dim;
    const int64_t lo = sh.window > 0 ? std::max<int64_t>(0, pos_q - sh.window + 1) : 0;
    float max_s = -INFINITY;
    for (int64_t j = lo; j <= pos_q; ++j) {
        float s = dot(qv, kh + j * hd, hd) * sh.scale;
        scores[j] = s;
        max_s = std::max(max_s, s);
    }
    float sum = 0.0f;
    for (int64_t j = lo; j <= pos_q; ++j) {
        float p = std::exp(scores[j] - max_s);
        scores[j] = p;
        sum += p;
    }
    std::fill(outv, outv + hd, 0.0f);
    for (int64_t j = lo; j <= pos_q; ++j) axpy(outv, scores[j], vh + j * hd, hd);
    const float inv = 1.0f / sum;
    for (int64_t i = 0; i < hd; ++i) outv[i] *= inv;
}

}  // namespace

int64_t attention_scratch_floats(int64_t capacity, int n_threads) { return capacity * n_threads; }

void attention(const AttentionShape& sh, const float* q, const float* k, const float* v, float* out,
               float* scratch, ThreadPool& pool) {
    const int64_t row = sh.n_head * sh.head_dim;
    const int64_t group = sh.n_head / sh.n_head_kv;
    const int64_t n_items = sh.n_head * sh.n_tokens;
    // Items are head-major, so each thread's contiguous range walks few kv heads
    // and reuses their keys from cache across consecutive queries.
    pool.run([&](int ith, int nth) {
        const int64_t begin = n_items * ith / nth, end = n_items * (ith + 1) / nth;
        float* scores = scratch + static_cast<int64_t>(ith) * sh.capacity;
        for (int64_t item = begin; item < end; ++item) {
            const int64_t h = item / sh.n_tokens, t = item % sh.n_tokens;
            const int64_t kvh = h / group;
            const float* kh = k + kvh * sh.capacity * sh.head_dim;
            const float* vh = v + kvh * sh.capacity * sh.head_dim;
            attend_one(sh, q + t * row + h * sh.head_dim, kh, vh, sh.pos0 + t, scores,
                       out + t * row + h * sh.head_dim);
        }
    });
}

}  // namespace engine::ops
