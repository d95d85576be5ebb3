// The buffers of a TrainingPass, sized once for max_tokens at creation.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "engine/kv_cache.h"
#include "engine/train.h"
#include "model/layer_forward.h"

namespace engine {

// One layer's activations with a buffer of its own for each (what backward reads).
struct LayerTape {
    std::vector<float> xn_attn, q_raw, k_raw, q, v, attn, o, o_post, x_mid, xn_ffn, gate, up, act, f, f_post;
    LayerTape(const ModelConfig& c, int64_t max_tokens);
    // Pointers for forward_layer; k goes to `k_rows` ([n, kv_dim] scratch shared by all layers).
    LayerActivations activations(const ModelConfig& c, float* k_rows);
};

// Gradient buffers of one layer's backward pass.
struct BackwardBuffers {
    std::vector<float> d_a, d_b;      // [T, n_embd] two residual-width temporaries
    std::vector<float> d_xn;          // [T, n_embd]
    std::vector<float> dq;            // [T, q_dim]
    std::vector<float> dk, dv;        // [T, kv_dim]
    std::vector<float> dk_c, dv_c;    // [n_head_kv, T, head_dim] in the cache layout
    std::vector<float> d_attn;        // [T, q_dim]
    std::vector<float> d_gate, d_up;  // [T, n_ff]
    std::vector<float> d_act;         // [T, n_ff]
    std::vector<float> attention;     // attention_backward scratch
    // LoRA: coef * dy, A x, (g B), dropout(x), dx of the adapter path.
    std::vector<float> g, u, du, xd, dx_lora;
    BackwardBuffers(const ModelConfig& c, int64_t max_tokens);
};

struct TrainingPass::State {
    const Model* model = nullptr;
    TrainingPassOptions options;
    int64_t max_tokens = 0;
    std::unique_ptr<KvCache> cache;  // keys/values of every layer (post-RoPE), capacity max_tokens
    std::vector<float> xs;           // [n_layer + 1, T, n_embd] each layer's input, then the final state
    std::vector<float> k_rows;       // [T, kv_dim] keys of the layer being run, before the cache copy
    std::vector<float> rope_global;  // [T, head_dim]
    std::vector<float> rope_local;   // [T, head_dim]
    std::vector<float> attention;    // forward attention scores, [n_threads, T]
    std::vector<LayerTape> tapes;    // one (recompute) or n_layer
    std::unique_ptr<BackwardBuffers> grad;
    LoraScratch lora;
    std::vector<float> logits;   // [logits_chunk, n_vocab]
    std::vector<float> xn_rows;  // [logits_chunk, n_embd]

    // What the last forward() saw, for backward().
    std::vector<int32_t> tokens;
    std::vector<int64_t> targets;
    std::vector<double> norm_max, norm_log_sum;  // per target: the log-softmax normaliser
    ForwardOptions fwd;
    bool backward_ready = false;

    int64_t n() const { return static_cast<int64_t>(tokens.size()); }
    float* x_at(int64_t layer) {
        return xs.data() + static_cast<size_t>(layer * max_tokens * model->config().n_embd);
    }
    LayerStep step(int64_t il, ThreadPool& pool, LayerTape* tape);
};

// src/train/lm_head.cpp: scores (forward) and dL/dx_final (backward) over target chunks.
void score_targets(TrainingPass::State& s, ThreadPool& pool, SequenceScores& out);
void backward_lm_head(TrainingPass::State& s, std::span<const double> dloss_dlogprob, float* dx_final,
                      ThreadPool& pool);

// src/train/layer_backward.cpp: dx (in: dL/d layer output; out: dL/d layer input), LoRA gradients into grads.
void backward_layer(TrainingPass::State& s, int64_t il, LayerTape& tape, float* dx, LoraAdapter& grads,
                    ThreadPool& pool);

}  // namespace engine
