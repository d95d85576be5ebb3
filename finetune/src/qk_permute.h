// The row order llama.cpp's converter gives llama-arch Q and K projections
// (for its interleaved RoPE): HF row h*d + s*(d/2) + i becomes GGUF row
// h*d + 2*i + s, for n_heads heads of d rows. The engine undoes this at load
// (engine/src/model/conventions.cpp, unpermute_qk_rows); adapters and merged
// weights written for llama.cpp must apply it to whatever has those rows: the
// B matrix of a q_proj/k_proj LoRA pair, or a merged weight.
#pragma once

#include <cstdint>
#include <cstring>
#include <vector>

#include "engine/lora.h"
#include "engine/model.h"

namespace finetune {

// True when rows of this target must be permuted in a GGUF of this architecture; *n_heads gets the head
// count.
inline bool gguf_permutes_rows(const engine::ModelConfig& c, engine::LoraTarget target, int64_t* n_heads) {
    if (c.arch != engine::Arch::llama) return false;
    if (target == engine::LoraTarget::q)
        *n_heads = c.n_head;
    else if (target == engine::LoraTarget::k)
        *n_heads = c.n_head_kv;
    else
        return false;
    return true;
}

// Moves whole rows of `cols` floats: to_gguf true maps HF order to GGUF order, false the inverse.
inline std::vector<float> permute_qk_rows(const std::vector<float>& src, int64_t cols, int64_t n_heads,
                                          bool to_gguf) {
    const int64_t rows = static_cast<int64_t>(src.size()) / cols, d = rows / n_heads, half = d / 2;
    std::vector<float> dst(src.size());
    for (int64_t h = 0; h < n_heads; ++h)
        for (int64_t i = 0; i < half; ++i)
            for (int64_t s = 0; s < 2; ++s) {
                const int64_t hf = h * d + s * half + i, gguf = h * d + 2 * i + s;
                const int64_t from = to_gguf ? hf : gguf, to = to_gguf ? gguf : hf;
                std::memcpy(&dst[static_cast<size_t>(to * cols)], &src[static_cast<size_t>(from * cols)],
                            static_cast<size_t>(cols) * sizeof(float));
            }
    return dst;
}

// GGUF base tensor name of a target's weight: "blk.{layer}.attn_q.weight", ...
inline std::string gguf_weight_name(int64_t layer, engine::LoraTarget target) {
    static const char* const kBase[engine::kLoraTargetCount] = {
        "attn_q", "attn_k", "attn_v", "attn_output", "ffn_gate", "ffn_up", "ffn_down"};
    return "blk." + std::to_string(layer) + "." + kBase[static_cast<int>(target)] + ".weight";
}

}  // namespace finetune
