// A Hugging Face model folder (what `save_pretrained` writes):
//   config.json                          model hyper-parameters (required)
//   tokenizer.json                       fast-tokenizer definition
//   tokenizer_config.json                special tokens, chat_template (string, or list of {name, template})
//   chat_template.jinja                  newer transformers keep the default template here instead
//   additional_chat_templates/<n>.jinja  further named templates
//   generation_config.json               sampling defaults, eos ids (optional)
//   model.safetensors | model.safetensors.index.json + shards
// The JSON files are exposed as json::Value; mapping config keys onto model
// hyper-parameters is the model loader's job, not this module's.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "engine/json.h"
#include "engine/result.h"
#include "engine/safetensors.h"

namespace engine {

struct HfChatTemplate {
    std::string name;    // "default" for the unnamed / default template
    std::string source;  // Jinja text
};

struct HfFolder {
    std::string path;
    json::Value config;                          // config.json (an object)
    json::Value tokenizer;                       // tokenizer.json; null when absent and not required
    json::Value tokenizer_config;                // tokenizer_config.json; null when absent
    json::Value generation_config;               // generation_config.json; null when absent
    std::vector<HfChatTemplate> chat_templates;  // "default" first when there is one
    SafetensorsCheckpoint weights;               // empty when options.load_weights is false

    // nullptr when the folder has no template of that name.
    const HfChatTemplate* chat_template(std::string_view name = "default") const;
    // config["architectures"][0] (e.g. "LlamaForCausalLM"), else "".
    std::string_view architecture() const;
    // config["model_type"] (e.g. "llama", "gemma3_text"), else "".
    std::string_view model_type() const;
};

struct HfFolderOptions {
    bool require_tokenizer = true;  // a missing tokenizer.json is an error
    bool load_weights = true;       // false: configs only (e.g. to inspect a download)
};

// Errors start with "[hf] <folder>:" and say which file is missing or broken.
Result<HfFolder> open_hf_folder(const std::string& path, const HfFolderOptions& options = {});

}  // namespace engine
