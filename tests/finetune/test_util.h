// Shared helpers for the finetune tests: small model configurations, adapters
// with recognisable values, and file helpers.
#pragma once

#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "engine/lora.h"
#include "engine/model.h"
#include "finetune/rng.h"

namespace fttest {

// A llama-shaped configuration (GQA: 4 query heads, 2 key/value heads).
inline engine::ModelConfig small_config(engine::Arch arch = engine::Arch::llama, int64_t n_layer = 2) {
    engine::ModelConfig c;
    c.arch = arch;
    c.n_layer = n_layer;
    c.n_embd = 64;
    c.n_head = 4;
    c.n_head_kv = 2;
    c.head_dim = 16;
    c.n_ff = 128;
    c.n_vocab = 96;
    c.layer_sliding.assign(static_cast<size_t>(n_layer), false);
    return c;
}

// Every A and B value random and nonzero (B included, unlike a fresh adapter).
inline void fill_random(engine::LoraAdapter& adapter, uint64_t seed, float magnitude = 0.1f) {
    finetune::Rng rng(seed);
    adapter.for_each([&](int64_t, engine::LoraTarget, engine::LoraPair& p) {
        for (float& x : p.a) x = magnitude * (2.0f * rng.uniform_float() - 1.0f) + 1e-3f;
        for (float& x : p.b) x = magnitude * (2.0f * rng.uniform_float() - 1.0f) - 1e-3f;
    });
}

// A fresh, empty directory under the system temp directory; removed by the destructor.
class TempDir {
public:
    explicit TempDir(const std::string& stem) {
        static int counter = 0;
        path_ = std::filesystem::temp_directory_path() /
                ("crucible_ft_" + stem + "_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
        std::filesystem::remove_all(path_);
        std::filesystem::create_directories(path_);
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    std::string path() const { return path_.string(); }
    std::string operator/(const std::string& name) const { return (path_ / name).string(); }

private:
    std::filesystem::path path_;
};

inline std::string read_text(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
}

inline void write_text(const std::string& path, const std::string& text) {
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f << text;
}

inline std::string golden_dir() { return std::string(CRUCIBLE_TEST_DATA_DIR) + "/golden"; }

}  // namespace fttest
