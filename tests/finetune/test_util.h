// Shared helpers for the finetune tests: small model configurations, adapters
// with recognisable values, and file helpers.
#pragma once

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "engine/kv_cache.h"
#include "engine/lora.h"
#include "engine/model.h"
#include "engine/thread_pool.h"
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
    c.layer_sliding = std::vector<bool>(static_cast<size_t>(n_layer), false);
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

// Logits of every position, with an optional adapter.
inline std::vector<float> forward_all(const engine::Model& m, const std::vector<int32_t>& tokens,
                                      const engine::LoraAdapter* adapter = nullptr) {
    std::vector<float> logits(tokens.size() * static_cast<size_t>(m.config().n_vocab));
    engine::ThreadPool pool(2);
    auto cache = engine::KvCache::create(m.config(), 64);
    if (!cache.ok()) return {};
    auto st = m.forward(**cache, tokens, 0, engine::LogitsMode::all, logits.data(), pool, adapter);
    if (!st.ok()) return {};
    return logits;
}

// max |a - b| / rms(b).
inline double max_rel_error(const std::vector<float>& a, const std::vector<float>& b) {
    double diff = 0.0, sq = 0.0;
    for (size_t i = 0; i < a.size() && i < b.size(); ++i) {
        diff = std::max(diff, std::abs(double(a[i]) - double(b[i])));
        sq += double(b[i]) * b[i];
    }
    return diff / std::sqrt(sq / double(b.empty() ? 1 : b.size()));
}

inline bool same_values(const engine::LoraAdapter& x, const engine::LoraAdapter& y) {
    std::vector<const engine::LoraPair*> px, py;
    std::vector<std::pair<int64_t, engine::LoraTarget>> kx, ky;
    x.for_each([&](int64_t l, engine::LoraTarget t, const engine::LoraPair& p) {
        px.push_back(&p);
        kx.emplace_back(l, t);
    });
    y.for_each([&](int64_t l, engine::LoraTarget t, const engine::LoraPair& p) {
        py.push_back(&p);
        ky.emplace_back(l, t);
    });
    if (kx != ky) return false;
    for (size_t i = 0; i < px.size(); ++i) {
        const auto &a = *px[i], &b = *py[i];
        if (a.rank != b.rank || a.in != b.in || a.out != b.out || a.scale != b.scale || a.a != b.a ||
            a.b != b.b)
            return false;
    }
    return true;
}

inline std::string golden_dir() { return std::string(CRUCIBLE_TEST_DATA_DIR) + "/golden"; }

}  // namespace fttest
