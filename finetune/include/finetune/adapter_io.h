// Reading an adapter from whatever the user points at: a training checkpoint
// folder, a PEFT folder, or a llama.cpp GGUF LoRA file.
#pragma once

#include <string>
#include <string_view>

#include "engine/lora.h"
#include "engine/model.h"
#include "engine/result.h"
#include "finetune/peft.h"

namespace finetune {

enum class AdapterSource { checkpoint, peft, gguf };
std::string_view adapter_source_name(AdapterSource source);  // "checkpoint", "PEFT folder", "GGUF LoRA"

struct LoadedAdapter {
    engine::LoraAdapter adapter;
    // For writing it out again as PEFT: the checkpoint's or folder's own options; for a GGUF
    // LoRA, lora_alpha = the first pair's scale * rank (so alpha / r gives its scale back).
    PeftOptions options;
    AdapterSource source = AdapterSource::peft;
};

// A folder with state.json is a checkpoint, a folder with adapter_config.json a
// PEFT adapter, a file a GGUF LoRA; anything else is an error saying so.
engine::Result<LoadedAdapter> read_adapter(const std::string& path, const engine::ModelConfig& model);

}  // namespace finetune
