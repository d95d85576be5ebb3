// Low-rank adapters (LoRA) on the linear layers of a Model, in the engine's
// canonical (Hugging Face) layout, so that the same numbers serve inference
// (Model::forward with an adapter), training (engine/train.h) and export
// (PEFT tensors are these matrices as they are; GGUF LoRA permutes Q/K rows).
//
// An adapted linear layer computes y = W x + scale * strength * B (A x), with
// W of shape [out, in] frozen in its file type, A of shape [rank, in] and B of
// shape [out, rank] in F32. `scale` is alpha / rank (alpha / sqrt(rank) with
// rsLoRA); `strength` is the user's multiplier at inference time (1 = as trained).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "engine/result.h"
#include "engine/tensor_view.h"

namespace engine {

struct ModelConfig;

// The linear layers an adapter can target, named as in Hugging Face / PEFT.
enum class LoraTarget : int { q, k, v, o, gate, up, down };
inline constexpr int kLoraTargetCount = 7;
std::string_view lora_target_name(LoraTarget target);  // "q_proj", ..., "down_proj"
std::optional<LoraTarget> lora_target_from_name(std::string_view name);
// Input and output widths of a target's weight W [out, in] for this model.
int64_t lora_target_in(const ModelConfig& config, LoraTarget target);
int64_t lora_target_out(const ModelConfig& config, LoraTarget target);

struct LoraPair {
    int64_t rank = 0;
    int64_t in = 0;
    int64_t out = 0;
    float scale = 1.0f;    // alpha / rank (or alpha / sqrt(rank))
    std::vector<float> a;  // [rank, in] row-major (PEFT lora_A.weight)
    std::vector<float> b;  // [out, rank] row-major (PEFT lora_B.weight)

    // F32 views for matmul(): A as ne {in, rank}, B as ne {rank, out}.
    TensorView a_view() const;
    TensorView b_view() const;
    int64_t n_params() const { return rank * (in + out); }
};

class LoraAdapter {
public:
    LoraAdapter() = default;
    // Zero-filled pairs of the given rank on every layer for each target in
    // `targets` (duplicates ignored). rank >= 1; scale as defined above.
    static Result<LoraAdapter> create(const ModelConfig& config, int64_t rank, float scale,
                                      const std::vector<LoraTarget>& targets);
    // Same layers, ranks and scales as `like`, all values zero (e.g. a gradient buffer).
    static LoraAdapter zeros_like(const LoraAdapter& like);

    int64_t n_layer() const { return static_cast<int64_t>(layers_.size()); }
    LoraPair* find(int64_t layer, LoraTarget target);
    const LoraPair* find(int64_t layer, LoraTarget target) const;
    // Adds (or replaces) a pair; its in/out must match the model's shapes.
    Status set(const ModelConfig& config, int64_t layer, LoraTarget target, LoraPair pair);

    // Every pair in a fixed order (layer ascending, then target) - the order
    // optimizers and checkpoints use to flatten parameters.
    template <class F>
    void for_each(F&& fn) {
        for (size_t l = 0; l < layers_.size(); ++l)
            for (int t = 0; t < kLoraTargetCount; ++t)
                if (layers_[l][static_cast<size_t>(t)])
                    fn(static_cast<int64_t>(l), static_cast<LoraTarget>(t),
                       *layers_[l][static_cast<size_t>(t)]);
    }
    template <class F>
    void for_each(F&& fn) const {
        for (size_t l = 0; l < layers_.size(); ++l)
            for (int t = 0; t < kLoraTargetCount; ++t)
                if (layers_[l][static_cast<size_t>(t)])
                    fn(static_cast<int64_t>(l), static_cast<LoraTarget>(t),
                       *layers_[l][static_cast<size_t>(t)]);
    }
    int64_t n_params() const;
    void set_zero();

    float strength = 1.0f;  // inference-time multiplier of every pair's contribution

private:
    std::vector<std::array<std::optional<LoraPair>, kLoraTargetCount>> layers_;  // [n_layer][target]
};

}  // namespace engine
