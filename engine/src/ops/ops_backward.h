// Backward (vector-Jacobian) kernels of the ops in ops.h, for training. Each
// takes the forward inputs it needs plus the gradient of the loss with respect
// to the op's output (dy / dout) and produces the gradient with respect to its
// inputs. Shapes and layouts are those of the forward kernel.
//
// Determinism: like the forward kernels, results are bitwise independent of
// the thread count (each output element is reduced by one thread in a fixed
// order), so a training step is reproducible on any machine size.
//
// Every kernel has a double-precision twin in ops::reference, and the tests
// check both against central finite differences of the reference forward.
#pragma once

#include <cstdint>

#include "engine/thread_pool.h"
#include "ops/ops.h"

namespace engine::ops {

// y = rms_norm(x, w): dx = d/dx of sum(dy * y) for each of n_rows rows of n.
// dx is overwritten (it may alias dy). If dw is non-null, the weight gradient
// sum over rows of dy * x_hat is ADDED to dw[n] (norm weights are frozen in
// LoRA training; dw is for tests and future full fine-tuning).
void rms_norm_backward(const float* x, const float* w, const float* dy, float* dx, float* dw, int64_t n_rows,
                       int64_t n, float eps);

// Inverse rotation of rope_neox, in place, for n_heads heads of one token:
// the gradient of a rotation is the rotation by the opposite angle.
void rope_neox_backward(float* dx, int64_t n_heads, int64_t head_dim, const float* cos_sin);

// out = act(gate) * up: dgate = dout * up * act'(gate), dup = dout * act(gate).
// dgate and dup are overwritten; dgate may alias gate, dup may alias up (not dout).
void swiglu_backward(const float* gate, const float* up, const float* dout, float* dgate, float* dup,
                     int64_t n);
void geglu_tanh_backward(const float* gate, const float* up, const float* dout, float* dgate, float* dup,
                         int64_t n);

// Backward of ops::attention for a whole sequence (shape.pos0 == 0): the
// softmax probabilities are recomputed from q and k, so nothing but q, k, v and
// dout needs to be kept from the forward pass.
// q, dout, dq: [n_tokens, n_head * head_dim];
// k, v, dk, dv: [n_head_kv, capacity, head_dim] (positions 0 .. n_tokens - 1 used).
// dq, dk and dv are overwritten (positions >= n_tokens of dk/dv are left untouched).
// scratch: attention_backward_scratch_floats(shape, pool.size()) floats.
// Preconditions (else dq and dk/dv rows 0 .. n_tokens - 1 are set to NaN):
// pos0 == 0, capacity >= n_tokens, n_head a multiple of n_head_kv.
void attention_backward(const AttentionShape& shape, const float* q, const float* k, const float* v,
                        const float* dout, float* dq, float* dk, float* dv, float* scratch, ThreadPool& pool);
int64_t attention_backward_scratch_floats(const AttentionShape& shape, int n_threads);

namespace reference {

void rms_norm_backward(const float* x, const float* w, const float* dy, float* dx, float* dw, int64_t n_rows,
                       int64_t n, float eps);
void rope_neox_backward(float* dx, int64_t n_heads, int64_t head_dim, int64_t pos, float theta,
                        float freq_scale, const float* factors);
void swiglu_backward(const float* gate, const float* up, const float* dout, float* dgate, float* dup,
                     int64_t n);
void geglu_tanh_backward(const float* gate, const float* up, const float* dout, float* dgate, float* dup,
                         int64_t n);
void attention_backward(const AttentionShape& shape, const float* q, const float* k, const float* v,
                        const float* dout, float* dq, float* dk, float* dv);

}  // namespace reference

}  // namespace engine::ops
