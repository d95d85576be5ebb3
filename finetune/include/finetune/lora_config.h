// LoRA hyper-parameters and the initial adapter they describe.
//
// Initialisation follows PEFT's default (kaiming_uniform with a = sqrt(5)):
// A ~ U(-1/sqrt(in), 1/sqrt(in)), B = 0, so the adapter starts as a no-op.
// A comes from finetune::Rng with one sub-stream per (layer, target), so the
// same seed gives the same numbers on every platform, and a pair's values do not
// depend on which other targets are enabled.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/json.h"
#include "engine/lora.h"
#include "engine/model.h"
#include "engine/result.h"

namespace finetune {

// All seven projections (attention q, k, v, o and MLP gate, up, down).
std::vector<engine::LoraTarget> all_lora_targets();

// "all-linear" (or "all") for every projection, else a comma-separated list of
// Hugging Face names ("q_proj,v_proj"); spaces are ignored, duplicates dropped,
// the result is in LoraTarget order. Unknown names are errors.
engine::Result<std::vector<engine::LoraTarget>> parse_lora_targets(std::string_view spec);
// The inverse: HF names joined by commas, in LoraTarget order.
std::string format_lora_targets(const std::vector<engine::LoraTarget>& targets);

// alpha / rank, or alpha / sqrt(rank) with rsLoRA; computed in double and
// rounded once, as PEFT's Python float times an fp32 tensor does.
float lora_scale(double alpha, int64_t rank, bool use_rslora);

struct LoraConfig {
    int64_t rank = 16;
    float alpha = 32.0f;
    bool use_rslora = false;
    float dropout = 0.0f;  // on each adapter's input during training; [0, 1)
    std::vector<engine::LoraTarget> targets = all_lora_targets();
    uint64_t seed = 0;

    float scale() const { return lora_scale(alpha, rank, use_rslora); }
};

// Rank >= 1, alpha finite and positive, dropout in [0, 1), at least one target.
engine::Status validate_lora_config(const LoraConfig& config);

// A fresh adapter for `model` (see the file comment for the initialisation).
engine::Result<engine::LoraAdapter> make_adapter(const LoraConfig& config, const engine::ModelConfig& model);

// {"rank": 16, "alpha": 32.0, "use_rslora": false, "dropout": 0.0,
//  "targets": ["q_proj", ...], "seed": "0"} (the seed as a decimal string:
// JSON integers stop at int64). from_json starts from the defaults, so absent
// keys keep them; present keys of the wrong type are errors.
engine::json::Value lora_config_to_json(const LoraConfig& config);
engine::Result<LoraConfig> lora_config_from_json(const engine::json::Value& value);

}  // namespace finetune
