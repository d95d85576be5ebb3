// GGUF LoRA writer and reader. See finetune/gguf_lora.h.
#include "finetune/gguf_lora.h"

#include <cmath>
#include <map>

#include "engine/gguf.h"
#include "qk_permute.h"
#include "tensor_f32.h"

namespace finetune {

using engine::LoraPair;
using engine::LoraTarget;
using engine::make_error;

namespace {

// llama.cpp's scale: alpha / rank in float (alpha 0 means 1).
float llama_cpp_scale(float alpha, int64_t rank) {
    return alpha != 0.0f ? alpha / static_cast<float>(rank) : 1.0f;
}

// The float alpha whose llama.cpp scale at this rank is exactly `scale`, when
// the product rounds to a neighbour of one.
float alpha_for(float scale, int64_t rank) {
    const float guess = static_cast<float>(static_cast<double>(scale) * static_cast<double>(rank));
    for (float a : {guess, std::nextafter(guess, 0.0f), std::nextafter(guess, 2.0f * guess + 1.0f)})
        if (llama_cpp_scale(a, rank) == scale) return a;
    return guess;
}

}  // namespace

engine::Status export_gguf_lora(const std::string& path, const engine::LoraAdapter& adapter,
                                const engine::ModelConfig& model, const std::string& name) {
    if (adapter.n_params() == 0) return make_error("[gguf lora export] the adapter has no layers");
    if (adapter.n_layer() != model.n_layer)
        return make_error("[gguf lora export] the adapter has " + std::to_string(adapter.n_layer()) +
                          " layers, the model " + std::to_string(model.n_layer));
    float alpha = 0.0f;
    adapter.for_each([&](int64_t, LoraTarget, const LoraPair& p) {
        if (alpha == 0.0f) alpha = alpha_for(p.scale, p.rank);
    });
    if (!(alpha > 0.0f) || !std::isfinite(alpha))
        return make_error("[gguf lora export] the adapter's scale must be positive, got alpha " +
                          std::to_string(alpha));

    engine::GgufWriter g;
    g.set_string("general.architecture", std::string(engine::arch_name(model.arch)));
    g.set_string("general.type", "adapter");
    if (!name.empty()) g.set_string("general.name", name);
    g.set_string("adapter.type", "lora");
    g.set_f32("adapter.lora.alpha", alpha);
    engine::Status status;
    adapter.for_each([&](int64_t layer, LoraTarget t, const LoraPair& p) {
        if (!status.ok()) return;
        if (p.in != engine::lora_target_in(model, t) || p.out != engine::lora_target_out(model, t)) {
            status =
                make_error("[gguf lora export] layer " + std::to_string(layer) + " " +
                           std::string(engine::lora_target_name(t)) + " does not fit the model's weight");
            return;
        }
        std::vector<float> b = p.b;
        const float exported = llama_cpp_scale(alpha, p.rank);
        if (exported != p.scale)
            for (float& x : b) x *= p.scale / exported;
        int64_t n_heads = 0;
        if (gguf_permutes_rows(model, t, &n_heads)) b = permute_qk_rows(b, p.rank, n_heads, true);
        const std::string base = gguf_weight_name(layer, t);
        status = g.add_tensor(base + ".lora_a", engine::DType::F32, {p.in, p.rank}, f32_bytes(p.a));
        if (status.ok())
            status = g.add_tensor(base + ".lora_b", engine::DType::F32, {p.rank, p.out}, f32_bytes(b));
    });
    ENGINE_TRY(status);
    return g.write(path);
}

engine::Result<GgufLora> import_gguf_lora(const std::string& path, const engine::ModelConfig& model) {
    const std::string where = "[gguf lora import] " + path;
    auto file = engine::GgufFile::open(path);
    if (!file.ok()) return engine::Error{file.error()};
    const auto type = file->get_string("general.type");
    if (type != "adapter")
        return make_error(where + ": general.type is '" + std::string(type.value_or("")) +
                          "', expected 'adapter' (is this a model rather than a LoRA?)");
    const auto adapter_type = file->get_string("adapter.type");
    if (adapter_type != "lora")
        return make_error(where + ": adapter.type is '" + std::string(adapter_type.value_or("")) +
                          "', expected 'lora'");
    const auto arch = file->get_string("general.architecture");
    if (arch != engine::arch_name(model.arch))
        return make_error(where + ": the adapter is for architecture '" + std::string(arch.value_or("")) +
                          "' but the model is '" + std::string(engine::arch_name(model.arch)) + "'");
    if (file->find("adapter.alora.invocation_tokens"))
        return make_error(where + ": activated LoRA (adapter.alora.invocation_tokens) is not supported");
    GgufLora out;
    out.alpha = static_cast<float>(file->get_float("adapter.lora.alpha").value_or(0.0));
    if (!std::isfinite(out.alpha) || out.alpha < 0.0f)
        return make_error(where + ": adapter.lora.alpha must be a non-negative number");

    // Base weight name -> (lora_a, lora_b).
    std::map<std::string, std::pair<const engine::GgufTensor*, const engine::GgufTensor*>> halves;
    for (const auto& t : file->tensors()) {
        const std::string name(t.name);
        const bool is_a = name.ends_with(".lora_a"), is_b = name.ends_with(".lora_b");
        if (!is_a && !is_b)
            return make_error(where + ": tensor '" + name + "' is neither a .lora_a nor a .lora_b");
        const std::string base = name.substr(0, name.size() - 7);
        if (base.ends_with("_norm.weight")) continue;  // mergekit extracts these; llama.cpp ignores them too
        auto& slot = is_a ? halves[base].first : halves[base].second;
        if (slot) return make_error(where + ": tensor '" + name + "' appears twice");
        slot = &t;
    }
    // Which (layer, target) a base name is.
    std::map<std::string, std::pair<int64_t, LoraTarget>> known;
    for (int64_t l = 0; l < model.n_layer; ++l)
        for (int t = 0; t < engine::kLoraTargetCount; ++t)
            known[gguf_weight_name(l, static_cast<LoraTarget>(t))] = {l, static_cast<LoraTarget>(t)};
    for (const auto& [base, ab] : halves) {
        auto it = known.find(base);
        if (it == known.end())
            return make_error(
                where + ": adapter for '" + base +
                "', which is not an attention or MLP projection of this model (embedding and output "
                "adapters are not supported)");
        if (!ab.first || !ab.second)
            return make_error(where + ": '" + base + "' has only " + (ab.first ? "lora_a" : "lora_b"));
        const auto [layer, target] = it->second;
        const engine::TensorView& a = ab.first->view;
        const engine::TensorView& b = ab.second->view;
        const int64_t in = engine::lora_target_in(model, target),
                      out_dim = engine::lora_target_out(model, target);
        const int64_t rank = a.ne[1];
        if (a.ne[0] != in || b.ne[1] != out_dim || b.ne[0] != rank || a.ne[2] * a.ne[3] != 1 ||
            b.ne[2] * b.ne[3] != 1)
            return make_error(where + ": '" + base + "' lora_a {" + std::to_string(a.ne[0]) + ", " +
                              std::to_string(a.ne[1]) + "} and lora_b {" + std::to_string(b.ne[0]) + ", " +
                              std::to_string(b.ne[1]) + "} do not fit the weight {" + std::to_string(in) +
                              ", " + std::to_string(out_dim) + "}");
        for (const auto* v : {&a, &b})
            if (!engine::quant_supported(v->type) || v->ne[0] % engine::dtype_info(v->type).block_size != 0)
                return make_error(where + ": '" + base + "' has tensors of unsupported type " +
                                  std::string(engine::dtype_name(v->type)));
        LoraPair pair;
        pair.rank = rank;
        pair.in = in;
        pair.out = out_dim;
        pair.scale = llama_cpp_scale(out.alpha, rank);
        pair.a = to_f32(a);
        pair.b = to_f32(b);
        int64_t n_heads = 0;
        if (gguf_permutes_rows(model, target, &n_heads))
            pair.b = permute_qk_rows(pair.b, rank, n_heads, false);
        ENGINE_TRY(out.adapter.set(model, layer, target, std::move(pair)));
    }
    if (out.adapter.n_params() == 0) return make_error(where + ": the file holds no LoRA tensors");
    return out;
}

}  // namespace finetune
