// Everything that depends on where a model came from: metadata keys and
// per-architecture defaults, tensor names, and the conversions that bring a
// file's tensors into the canonical (Hugging Face) layout described in
// engine/model.h. Loaders call these; nothing else knows about file formats.
#pragma once

#include <cstdint>
#include <string>

#include "engine/gguf.h"
#include "engine/json.h"
#include "engine/model.h"

namespace engine::conventions {

// Hyper-parameters from GGUF metadata ({arch}.* keys plus per-architecture rules).
Result<ModelConfig> config_from_gguf(const GgufFile& file);

// GGUF tensor names: "token_embd.weight", "blk.<layer>.<base>.weight", ...
std::string gguf_layer_tensor(int64_t layer, const char* base, const char* suffix = "weight");

// True when a GGUF of this architecture stores Q and K rows permuted for
// interleaved ("normal") RoPE and they must be un-permuted at load.
bool gguf_qk_permuted(Arch arch);

// Un-permutes the rows of a GGUF Q or K projection (n_heads heads of head_dim
// rows) into HF order; whole rows move, so any row type works. dst holds src.n_bytes().
void unpermute_qk_rows(const TensorView& src, int64_t n_heads, uint8_t* dst);
// The same for a bias vector (one value per row).
void unpermute_qk_values(const float* src, int64_t n_rows, int64_t n_heads, float* dst);

// Hyper-parameters from a Hugging Face config.json. has_lm_head: the checkpoint
// holds lm_head.weight (otherwise the head is tied to the embeddings).
Result<ModelConfig> config_from_hf(const json::Value& config, bool has_lm_head, const std::string& origin);

// Hugging Face tensor names for the canonical weights. HF calls the pre-FFN
// norm "post_attention_layernorm" in llama/qwen but Gemma uses that name for
// the norm after attention (and "pre_feedforward_layernorm" before the FFN).
struct HfLayerNames {
    std::string attn_norm, wq, wk, wv, wo, bq, bk, bv, q_norm, k_norm, post_attn_norm, ffn_norm, w_gate, w_up,
        w_down, post_ffn_norm;
};
HfLayerNames hf_layer_names(Arch arch, int64_t layer);
inline constexpr const char* kHfEmbedding = "model.embed_tokens.weight";
inline constexpr const char* kHfOutputNorm = "model.norm.weight";
inline constexpr const char* kHfOutput = "lm_head.weight";

// Added to every norm weight loaded from a Hugging Face checkpoint of this
// architecture so that the canonical norm multiplies x_hat directly.
float hf_norm_weight_offset(Arch arch);

}  // namespace engine::conventions
