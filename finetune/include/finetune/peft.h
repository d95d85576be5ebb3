// PEFT LoRA adapters (what peft's save_pretrained writes and from_pretrained
// reads): a folder with adapter_config.json and adapter_model.safetensors.
//
// Tensors are named base_model.model.model.layers.{i}.self_attn.{q,k,v,o}_proj
// .lora_{A,B}.weight and ...mlp.{gate,up,down}_proj..., A of shape [r, in] and
// B of shape [out, r] - exactly engine::LoraPair's canonical layout, so no
// permutation is involved. A layer's scale is lora_alpha / r (lora_alpha /
// sqrt(r) with use_rslora), with per-module overrides in rank_pattern and
// alpha_pattern.
#pragma once

#include <string>

#include "engine/lora.h"
#include "engine/model.h"
#include "engine/result.h"
#include "finetune/lora_config.h"

namespace finetune {

struct PeftOptions {
    std::string base_model_name;  // base_model_name_or_path (a hub id or a path; may be empty)
    double alpha = 32.0;          // lora_alpha
    bool use_rslora = false;
    double dropout = 0.0;  // lora_dropout (recorded for training; inference ignores it)
};

PeftOptions peft_options(const LoraConfig& config, std::string base_model_name);

// "model.layers.{layer}.self_attn.q_proj", "model.layers.{layer}.mlp.up_proj", ...
std::string peft_module_name(int64_t layer, engine::LoraTarget target);

// Writes dir/adapter_config.json and dir/adapter_model.safetensors (F32),
// creating dir. r is the first pair's rank; pairs of another rank go into
// rank_pattern, pairs whose scale is not options.alpha's into alpha_pattern, so
// every pair's scale survives import exactly. target_modules lists the HF names
// when every target covers every layer, else it is a regex of the exact modules.
engine::Status export_peft(const std::string& dir, const engine::LoraAdapter& adapter,
                           const PeftOptions& options);

struct PeftAdapter {
    engine::LoraAdapter adapter;
    PeftOptions options;
    int64_t rank = 0;  // the config's r
};

// Reads a PEFT folder for a model of this configuration: validates every shape
// against the model, converts F16/BF16 tensors to F32, applies rank_pattern and
// alpha_pattern, ignores config keys it does not know, and rejects what it
// cannot apply faithfully (DoRA, biases, fan_in_fan_out, embedding or lm_head
// adapters, modules_to_save, pickle-only adapters) with a message saying so.
engine::Result<PeftAdapter> import_peft(const std::string& dir, const engine::ModelConfig& model);

}  // namespace finetune
