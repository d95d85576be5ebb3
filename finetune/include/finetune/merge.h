// Merging an adapter into its base model: a new GGUF whose linear weights are
// W + strength * scale * B A, so that any GGUF runtime (ours, llama.cpp) runs
// the adapted model without adapter support.
#pragma once

#include <string>

#include "engine/dtype.h"
#include "engine/lora.h"
#include "engine/model.h"
#include "engine/result.h"
#include "engine/thread_pool.h"

namespace finetune {

struct MergeOptions {
    float strength = 1.0f;  // multiplies every pair's scale (LoraAdapter::strength is not used)
    engine::DType type = engine::DType::F16;  // F16, BF16 or Q8_0
};

// model must have been loaded from a GGUF file (its metadata - tokenizer, chat
// template, hyper-parameters - is copied unchanged, apart from
// general.file_type). Every 2-D weight (the seven projections, token_embd and
// output) is dequantized, merged in float where the adapter has a pair, and
// re-encoded in options.type (rows whose length Q8_0 cannot hold fall back to
// F16); llama Q/K weights stay in the file's permuted row order, the update
// permuted to match. Norms, biases and rope tables are copied as they are.
// The file is written to a temporary name and renamed into place.
engine::Status merge_to_gguf(const std::string& out_path, const engine::Model& model,
                             const engine::LoraAdapter& adapter, const MergeOptions& options,
                             engine::ThreadPool& pool);

}  // namespace finetune
