// Everything that depends on where a model came from: metadata keys and
// per-architecture defaults, tensor names, and the conversions that bring a
// file's tensors into the canonical (Hugging Face) layout described in
// engine/model.h. Loaders call these; nothing else knows about file formats.
#pragma once

#include <cstdint>
#include <string>

#include "engine/gguf.h"
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

// Added to every norm weight loaded from a Hugging Face checkpoint of this
// architecture so that the canonical norm multiplies x_hat directly.
float hf_norm_weight_offset(Arch arch);

}  // namespace engine::conventions
