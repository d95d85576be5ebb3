// Resolves the MODEL argument of crucible-cli commands.
#pragma once

#include <string>

namespace cli {

// "default" -> the default model in the model cache ($CRUCIBLE_MODEL_DIR or
// ~/.cache/crucible/models); anything else is returned unchanged.
std::string resolve_model_path(const std::string& spec);

// The folder holding downloaded models (scripts/fetch_models.sh fills it).
std::string model_cache_dir();

}  // namespace cli
