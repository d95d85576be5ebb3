// Pieces shared by the crucible-cli commands that run a model.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "args.h"
#include "engine/generator.h"
#include "engine/lora.h"
#include "engine/model_bundle.h"

namespace cli {

// A plain text message.
engine::ChatMessage text_message(std::string role, std::string content);

// Loads MODEL (a path or "default"), printing a clear error on failure.
std::unique_ptr<engine::ModelBundle> load_bundle_or_report(const std::string& spec);

// --temperature, --top-k, --top-p, --min-p, --repeat-penalty, --presence-penalty,
// --frequency-penalty, --seed, --top-logprobs, --max-tokens, --stop (repeatable),
// --threads, --ctx.
void declare_generation_options(Args& args);
std::optional<engine::GenerationOptions> generation_options_from(const Args& args);
std::optional<engine::GeneratorOptions> generator_options_from(const Args& args);
// --adapter PATH / --adapter-strength S (declared with the generation options): the adapter to
// apply, left empty when none was asked for; false after printing an error.
bool load_adapter_option(const Args& args, const engine::ModelConfig& model,
                         std::optional<engine::LoraAdapter>* out);

}  // namespace cli
