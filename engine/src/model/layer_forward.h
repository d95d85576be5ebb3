// One transformer layer's forward pass, shared by inference (Model::forward)
// and training (TrainingPass) so that both run the very same kernels in the
// same order: the logits, and so the log-probabilities, agree bit for bit.
//
// The two callers differ only in where the intermediate activations go:
// inference points several of them at the same scratch buffer, training gives
// each its own buffer because the backward pass reads them.
#pragma once

#include <cstdint>
#include <vector>

#include "engine/lora.h"
#include "engine/model.h"
#include "engine/thread_pool.h"

namespace engine {

// Row-major buffers of n rows each. "may alias" = inference passes the same pointer.
struct LayerActivations {
    float* xn_attn = nullptr;  // [n, n_embd] attn_norm(x)
    float* q_raw = nullptr;    // [n, q_dim] wq xn + bias, before qk-norm (may alias q)
    float* k_raw = nullptr;    // [n, kv_dim] before qk-norm (may alias k)
    float* q = nullptr;        // [n, q_dim] after qk-norm and rope
    float* k = nullptr;        // [n, kv_dim] after qk-norm and rope (also stored in the cache)
    float* v = nullptr;        // [n, kv_dim]
    float* attn = nullptr;     // [n, q_dim] attention output, input of wo
    float* o = nullptr;        // [n, n_embd] wo attn
    float* o_post = nullptr;   // [n, n_embd] post_attn_norm(o) (may alias o)
    float* x_mid = nullptr;    // [n, n_embd] residual after attention; null = not kept
    float* xn_ffn = nullptr;   // [n, n_embd] ffn_norm(x_mid) (may alias xn_attn)
    float* gate = nullptr;     // [n, n_ff] before the activation
    float* up = nullptr;       // [n, n_ff]
    float* act = nullptr;      // [n, n_ff] act(gate) * up (may alias gate)
    float* f = nullptr;        // [n, n_embd] w_down act (may alias o)
    float* f_post = nullptr;   // [n, n_embd] post_ffn_norm(f) (may alias f)
};

// Scratch for the adapters of one call; grown by ensure().
struct LoraScratch {
    std::vector<float> u;    // [n, max rank]  A x
    std::vector<float> tmp;  // [n, max out]   B u
    std::vector<float> xd;   // [n, max in]    dropout(x) during training
    void ensure(const LoraAdapter& adapter, int64_t n, bool dropout);
};

struct LoraRun {
    const LoraAdapter* adapter = nullptr;
    LoraScratch* scratch = nullptr;
    float dropout = 0.0f;  // training only; 0 = off
    uint64_t seed = 0;
    int64_t token0 = 0;  // sequence index of row 0 (keys the dropout mask)
};

struct LayerStep {
    const ModelConfig* config = nullptr;
    const LayerWeights* weights = nullptr;
    int64_t layer = 0;
    LoraRun lora;
    float* k_cache = nullptr;  // [n_head_kv, capacity, head_dim] of this layer
    float* v_cache = nullptr;
    int64_t capacity = 0;
    const float* rope = nullptr;  // [n, head_dim] (cos, sin) pairs for this layer's kind
    // Several sequences decoded together, one row each: row t's keys/values go to
    // k_rows[t]/v_rows[t] (this layer of its own cache, same capacity) at position
    // pos_rows[t], and its query attends to that cache alone. Null: one sequence at pos.
    float* const* k_rows = nullptr;
    float* const* v_rows = nullptr;
    const int64_t* pos_rows = nullptr;
    float* attention_scratch = nullptr;
    ThreadPool* pool = nullptr;
};

// Runs tokens at positions pos .. pos+n-1 through the layer; x [n, n_embd] is
// the residual stream, read and updated in place.
void forward_layer(const LayerStep& step, float* x, const LayerActivations& a, int64_t n, int64_t pos);

// y = W x (+ the adapter's scale * strength * B (A dropout(x)) when `pair` is set).
void linear_forward(const TensorView& w, const LoraPair* pair, const LoraRun& lora, int64_t layer,
                    LoraTarget target, const float* x, int64_t n, float* y, ThreadPool& pool);

// The dropout mask's keep decision and the kept-value multiplier 1 / (1 - p).
bool lora_dropout_keep(uint64_t seed, int64_t layer, LoraTarget target, int64_t token, int64_t i, float p);

}  // namespace engine
