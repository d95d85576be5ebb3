// LoRA adapters in llama.cpp's GGUF format (what convert_lora_to_gguf.py
// writes and llama_adapter_lora_init reads):
//   general.type = "adapter", adapter.type = "lora", general.architecture = the
//   base model's, adapter.lora.alpha (f32; llama.cpp's scale is alpha / rank);
//   per adapted weight "blk.{i}.attn_q.weight" two tensors
//   "blk.{i}.attn_q.weight.lora_a" (ne {in, r}: PEFT's A [r, in]) and
//   ".lora_b" (ne {r, out}: B [out, r]).
// For llama-arch models the GGUF Q/K weights have permuted rows, so B's rows of
// q_proj/k_proj pairs are permuted the same way on export and back on import.
#pragma once

#include <string>

#include "engine/lora.h"
#include "engine/model.h"
#include "engine/result.h"

namespace finetune {

// Writes an F32 GGUF LoRA for a base model of this configuration. alpha is
// chosen so that llama.cpp's alpha / rank equals the first pair's scale
// exactly; a pair whose scale differs from alpha / its rank (mixed ranks or
// alphas) gets the ratio folded into its B, since the format has one alpha.
engine::Status export_gguf_lora(const std::string& path, const engine::LoraAdapter& adapter,
                                const engine::ModelConfig& model, const std::string& name = "");

struct GgufLora {
    engine::LoraAdapter adapter;
    float alpha = 0.0f;  // adapter.lora.alpha (0: scale 1, as llama.cpp does)
};

// Reads a GGUF LoRA for a model of this configuration: checks the type keys and
// the architecture, every shape, converts any supported tensor type to F32,
// un-permutes llama Q/K B rows, ignores *_norm adapters (as llama.cpp does) and
// rejects what it cannot apply (token_embd/output adapters, aLoRA).
engine::Result<GgufLora> import_gguf_lora(const std::string& path, const engine::ModelConfig& model);

}  // namespace finetune
