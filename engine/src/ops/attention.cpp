// Multi-threaded causal attention over the F32 KV cache (two passes per
// query: scores with their maximum, then the softmax-weighted sum of values).
#include <algorithm>
#include <cmath>

#include "ops/ops.h"

namespace engine::ops {
namespace {

float dot(const float* a, const float* b, int64_t n) {
    float s = 0.0f;
    for (int64_t i = 0; i < n; ++i) s += a[i] * b[i];
    return s;
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
    for (int64_t j = lo; j <= pos_q; ++j) {
        const float p = scores[j];
        const float* vj = vh + j * hd;
        for (int64_t i = 0; i < hd; ++i) outv[i] += p * vj[i];
    }
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
