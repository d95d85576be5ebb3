#include "engine/lora.h"

#include <algorithm>
#include <string>

#include "engine/model.h"

namespace engine {
namespace {

constexpr std::array<std::string_view, kLoraTargetCount> kNames = {
    "q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"};

TensorView f32_view(const std::vector<float>& data, int64_t cols, int64_t rows) {
    TensorView v;
    v.type = DType::F32;
    v.n_dims = 2;
    v.ne = {cols, rows, 1, 1};
    v.data = reinterpret_cast<const uint8_t*>(data.data());
    return v;
}

}  // namespace

std::string_view lora_target_name(LoraTarget target) { return kNames[static_cast<size_t>(target)]; }

std::optional<LoraTarget> lora_target_from_name(std::string_view name) {
    for (size_t i = 0; i < kNames.size(); ++i)
        if (kNames[i] == name) return static_cast<LoraTarget>(i);
    return std::nullopt;
}

int64_t lora_target_in(const ModelConfig& c, LoraTarget target) {
    switch (target) {
        case LoraTarget::o:
            return c.q_dim();
        case LoraTarget::down:
            return c.n_ff;
        default:
            return c.n_embd;
    }
}

int64_t lora_target_out(const ModelConfig& c, LoraTarget target) {
    switch (target) {
        case LoraTarget::q:
            return c.q_dim();
        case LoraTarget::k:
        case LoraTarget::v:
            return c.kv_dim();
        case LoraTarget::gate:
        case LoraTarget::up:
            return c.n_ff;
        default:
            return c.n_embd;
    }
}

TensorView LoraPair::a_view() const { return f32_view(a, in, rank); }
TensorView LoraPair::b_view() const { return f32_view(b, rank, out); }

Result<LoraAdapter> LoraAdapter::create(const ModelConfig& config, int64_t rank, float scale,
                                        const std::vector<LoraTarget>& targets) {
    if (rank < 1) return make_error("[lora] rank must be at least 1, got " + std::to_string(rank));
    if (targets.empty()) return make_error("[lora] no target layers given");
    LoraAdapter adapter;
    adapter.layers_.resize(static_cast<size_t>(config.n_layer));
    for (int64_t l = 0; l < config.n_layer; ++l)
        for (LoraTarget t : targets) {
            LoraPair p;
            p.rank = rank;
            p.in = lora_target_in(config, t);
            p.out = lora_target_out(config, t);
            p.scale = scale;
            p.a.assign(static_cast<size_t>(rank * p.in), 0.0f);
            p.b.assign(static_cast<size_t>(p.out * rank), 0.0f);
            adapter.layers_[static_cast<size_t>(l)][static_cast<size_t>(t)] = std::move(p);
        }
    return adapter;
}

LoraAdapter LoraAdapter::zeros_like(const LoraAdapter& like) {
    LoraAdapter z = like;
    z.set_zero();
    return z;
}

LoraPair* LoraAdapter::find(int64_t layer, LoraTarget target) {
    if (layer < 0 || layer >= n_layer()) return nullptr;
    auto& slot = layers_[static_cast<size_t>(layer)][static_cast<size_t>(target)];
    return slot ? &*slot : nullptr;
}

const LoraPair* LoraAdapter::find(int64_t layer, LoraTarget target) const {
    if (layer < 0 || layer >= n_layer()) return nullptr;
    const auto& slot = layers_[static_cast<size_t>(layer)][static_cast<size_t>(target)];
    return slot ? &*slot : nullptr;
}

Status LoraAdapter::set(const ModelConfig& config, int64_t layer, LoraTarget target, LoraPair pair) {
    const std::string where =
        "[lora] layer " + std::to_string(layer) + " " + std::string(lora_target_name(target));
    if (layer < 0 || layer >= config.n_layer)
        return make_error(where + ": the model has " + std::to_string(config.n_layer) + " layers");
    const int64_t in = lora_target_in(config, target), out = lora_target_out(config, target);
    if (pair.in != in || pair.out != out)
        return make_error(where + ": adapter shape [" + std::to_string(pair.out) + ", " +
                          std::to_string(pair.in) + "] does not match the weight's [" + std::to_string(out) +
                          ", " + std::to_string(in) + "]");
    if (pair.rank < 1 || pair.a.size() != static_cast<size_t>(pair.rank * in) ||
        pair.b.size() != static_cast<size_t>(out * pair.rank))
        return make_error(where + ": A/B sizes do not match rank " + std::to_string(pair.rank));
    if (layers_.size() < static_cast<size_t>(config.n_layer))
        layers_.resize(static_cast<size_t>(config.n_layer));
    layers_[static_cast<size_t>(layer)][static_cast<size_t>(target)] = std::move(pair);
    return {};
}

int64_t LoraAdapter::n_params() const {
    int64_t n = 0;
    for_each([&](int64_t, LoraTarget, const LoraPair& p) { n += p.n_params(); });
    return n;
}

void LoraAdapter::set_zero() {
    for_each([](int64_t, LoraTarget, LoraPair& p) {
        std::fill(p.a.begin(), p.a.end(), 0.0f);
        std::fill(p.b.begin(), p.b.end(), 0.0f);
    });
}

}  // namespace engine
