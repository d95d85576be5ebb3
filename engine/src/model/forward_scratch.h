// Activation buffers for one forward chunk of up to max_batch tokens, owned by
// the KvCache so that a decode step allocates nothing.
#pragma once

#include <cstdint>
#include <vector>

#include "engine/model.h"
#include "model/layer_forward.h"

namespace engine {

struct ForwardScratch {
    ForwardScratch(const ModelConfig& c, int64_t max_batch);

    std::vector<float> x;                  // [max_batch, n_embd] residual stream
    std::vector<float> xn;                 // [max_batch, n_embd] normalized input of a sub-block
    std::vector<float> proj;               // [max_batch, n_embd] output of attn_output / ffn_down
    std::vector<float> q;                  // [max_batch, q_dim]
    std::vector<float> k;                  // [max_batch, kv_dim]
    std::vector<float> v;                  // [max_batch, kv_dim]
    std::vector<float> attn;               // [max_batch, q_dim] attention output before attn_output
    std::vector<float> gate;               // [max_batch, n_ff]
    std::vector<float> up;                 // [max_batch, n_ff]
    std::vector<float> rope_global;        // [max_batch, head_dim] (cos, sin) pairs per position
    std::vector<float> rope_local;         // [max_batch, head_dim] same, sliding-window layers
    std::vector<float> attention;          // [n_threads, capacity] scores; grown once for a larger pool
    LoraScratch lora;                      // adapter products, sized on first use with an adapter
    std::vector<float*> batch_k, batch_v;  // [max_batch] per-row cache layers (forward_batch)
    std::vector<int64_t> batch_pos;        // [max_batch] per-row positions (forward_batch)
};

}  // namespace engine
