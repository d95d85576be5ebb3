#include "model_path.h"

#include <cstdlib>

namespace cli {

std::string model_cache_dir() {
    if (const char* dir = std::getenv("CRUCIBLE_MODEL_DIR"); dir && *dir) return dir;
    if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg)
        return std::string(xdg) + "/crucible/models";
    const char* home = std::getenv("HOME");
    return std::string(home ? home : ".") + "/.cache/crucible/models";
}

std::string resolve_model_path(const std::string& spec) {
    if (spec == "default") return model_cache_dir() + "/SmolLM2-135M-Instruct.Q4_1.gguf";
    return spec;
}

}  // namespace cli
