// CPU kernels of the transformer forward pass (everything except the matrix
// products, which live in engine/matmul.h). Activations are row-major float
// [n_rows, n]. Every kernel has a plain double-precision twin in
// ops::reference (reference_ops.cpp) that the tests compare against.
#pragma once

#include <cstdint>

#include "engine/thread_pool.h"

namespace engine::ops {

// y[r] = x[r] / sqrt(mean(x[r]^2) + eps) * w, for each of n_rows rows of n; y may alias x.
void rms_norm(const float* x, const float* w, float* y, int64_t n_rows, int64_t n, float eps);

// Rotary embedding angles for one position: cos_sin[2*i] = cos(a_i), cos_sin[2*i+1] = sin(a_i),
// a_i = pos * freq_scale * theta^(-2i/head_dim) / factors[i] for i < head_dim/2 (factors may be null).
void rope_angles(int64_t pos, int64_t head_dim, float theta, float freq_scale, const float* factors,
                 float* cos_sin);
// Half-split (NEOX / HF rotate_half) rotation of n_heads heads of one token, in place:
// (x[i], x[i + d/2]) -> (x[i] c - x[i+d/2] s, x[i+d/2] c + x[i] s).
void rope_neox(float* x, int64_t n_heads, int64_t head_dim, const float* cos_sin);

// out = act(gate) * up, elementwise over n values; out may alias gate or up.
void swiglu(const float* gate, const float* up, float* out, int64_t n);      // act = x * sigmoid(x)
void geglu_tanh(const float* gate, const float* up, float* out, int64_t n);  // act = GELU, tanh approximation

void add(float* y, const float* x, int64_t n);  // y += x
void scale(float* y, float s, int64_t n);       // y *= s

struct AttentionShape {
    int64_t n_tokens = 0;  // queries, at positions pos0 .. pos0 + n_tokens - 1
    int64_t pos0 = 0;
    int64_t n_head = 0;
    int64_t n_head_kv = 0;  // query head h reads kv head h / (n_head / n_head_kv)
    int64_t head_dim = 0;
    int64_t capacity = 0;  // positions per kv head in the cache layout
    int64_t window = 0;    // keys with pos_q - pos_k >= window are masked; 0 = none
    float scale = 1.0f;    // multiplies q.k
};

// Causal (and optionally sliding-window) softmax attention.
// q, out: [n_tokens, n_head * head_dim]; k, v: [n_head_kv, capacity, head_dim] holding
// positions 0 .. pos0 + n_tokens - 1. scratch: attention_scratch_floats() floats.
// Work is split over (head, query) pairs on the pool.
void attention(const AttentionShape& shape, const float* q, const float* k, const float* v, float* out,
               float* scratch, ThreadPool& pool);
int64_t attention_scratch_floats(int64_t capacity, int n_threads);

namespace reference {

void rms_norm(const float* x, const float* w, float* y, int64_t n_rows, int64_t n, float eps);
void rope_neox(float* x, int64_t n_heads, int64_t head_dim, int64_t pos, float theta, float freq_scale,
               const float* factors);
void swiglu(const float* gate, const float* up, float* out, int64_t n);
void geglu_tanh(const float* gate, const float* up, float* out, int64_t n);
void attention(const AttentionShape& shape, const float* q, const float* k, const float* v, float* out);

}  // namespace reference

}  // namespace engine::ops
