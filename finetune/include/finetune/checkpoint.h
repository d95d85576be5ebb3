// Training checkpoints: everything a run needs to continue exactly where it
// stopped, written so that a crash or a cancel at any moment leaves either the
// previous complete checkpoint or the new complete one, never a mixture.
//
// A checkpoint folder holds
//   adapter_config.json, adapter_model.safetensors   the adapter as a PEFT folder (loadable by peft as is)
//   optimizer.safetensors                           AdamW m and v (F32) and the optimizer step
//   training_config.json, trainer_state.json        the caller's JSON, byte for byte
//   state.json                                      step, RNG words, and each file's size and CRC-32
// It is assembled in "<dir>.tmp-<pid>", every file and the folder are fsync'ed,
// and only then is it renamed to <dir>, so a folder with that name is complete.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/lora.h"
#include "engine/model.h"
#include "engine/result.h"
#include "finetune/optimizer.h"
#include "finetune/peft.h"

namespace finetune {

struct Checkpoint {
    int64_t step = 0;  // optimizer steps completed
    engine::LoraAdapter adapter;
    PeftOptions peft;  // how adapter_config.json describes the adapter (alpha, rsLoRA, base model)
    AdamWState optimizer;
    std::vector<uint64_t> rng_state;  // opaque to the checkpoint (e.g. finetune::Rng::state())
    std::string config_json;          // the run's configuration; must be valid JSON
    std::string trainer_state_json;   // anything else the trainer keeps; valid JSON or empty
};

// "checkpoint-<step>", the folder name trainers use inside a run folder.
std::string checkpoint_name(int64_t step);

// Writes the checkpoint to dir (replacing an existing one there) atomically; see the file comment.
engine::Status write_checkpoint(const std::string& dir, const Checkpoint& checkpoint);

// Reads a checkpoint back, bit for bit, for a model of this configuration.
// Missing, truncated or altered files are errors naming the file.
engine::Result<Checkpoint> read_checkpoint(const std::string& dir, const engine::ModelConfig& model);

// The complete checkpoint with the highest step among run_dir's sub-folders
// (those with a readable state.json; "*.tmp-*" and "*.old-*" leftovers of an
// interrupted write are ignored). nullopt when there is none or run_dir does not exist.
std::optional<std::string> latest_checkpoint(const std::string& run_dir);

}  // namespace finetune
