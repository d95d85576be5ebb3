// PEFT folder writer. See finetune/peft.h.
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "engine/json.h"
#include "engine/safetensors.h"
#include "finetune/peft.h"
#include "tensor_f32.h"

namespace finetune {

using engine::LoraPair;
using engine::LoraTarget;
using engine::make_error;
namespace json = engine::json;

PeftOptions peft_options(const LoraConfig& config, std::string base_model_name) {
    PeftOptions o;
    o.base_model_name = std::move(base_model_name);
    o.alpha = config.alpha;
    o.use_rslora = config.use_rslora;
    o.dropout = config.dropout;
    return o;
}

std::string peft_module_name(int64_t layer, LoraTarget target) {
    const bool attention = target == LoraTarget::q || target == LoraTarget::k || target == LoraTarget::v ||
                           target == LoraTarget::o;
    return "model.layers." + std::to_string(layer) + (attention ? ".self_attn." : ".mlp.") +
           std::string(engine::lora_target_name(target));
}

namespace {

// A whole number as a JSON integer (PEFT configs say "lora_alpha": 32), anything else as a float.
json::Value number(double x) {
    if (std::nearbyint(x) == x && std::fabs(x) < 1e15) return static_cast<int64_t>(x);
    return x;
}

std::string regex_escape(const std::string& s) {
    std::string out;
    for (char c : s) {
        if (c == '.') out += '\\';
        out += c;
    }
    return out;
}

}  // namespace

engine::Status export_peft(const std::string& dir, const engine::LoraAdapter& adapter,
                           const PeftOptions& options) {
    if (adapter.n_params() == 0) return make_error("[peft export] the adapter has no layers");
    if (!std::isfinite(options.alpha) || options.alpha <= 0.0)
        return make_error("[peft export] lora_alpha must be positive, got " + std::to_string(options.alpha));
    int64_t r = 0;
    std::map<LoraTarget, std::set<int64_t>> layers_of;
    std::set<int64_t> all_layers;
    adapter.for_each([&](int64_t layer, LoraTarget t, const LoraPair& p) {
        if (r == 0) r = p.rank;
        layers_of[t].insert(layer);
        all_layers.insert(layer);
    });

    engine::SafetensorsWriter st;
    st.set_metadata("format", "pt");
    json::Object rank_pattern, alpha_pattern;
    engine::Status status;
    adapter.for_each([&](int64_t layer, LoraTarget t, const LoraPair& p) {
        if (!status.ok()) return;
        const std::string module = peft_module_name(layer, t);
        // Pattern keys without the leading "model.": PEFT matches them as a suffix after a dot,
        // which older releases (".*\.KEY$") and newer ones ("(.*\.)?KEY$") agree on.
        const std::string key = module.substr(std::string("model.").size());
        if (p.rank != r) rank_pattern.set(key, p.rank);
        if (p.scale != lora_scale(options.alpha, p.rank, options.use_rslora)) {
            // The alpha that gives this pair's scale back (exactly, see lora_scale).
            const double rank = static_cast<double>(p.rank);
            alpha_pattern.set(
                key, number(static_cast<double>(p.scale) * (options.use_rslora ? std::sqrt(rank) : rank)));
        }
        const std::string prefix = "base_model.model." + module;
        status = st.add_tensor(prefix + ".lora_A.weight", engine::DType::F32, {p.rank, p.in}, f32_bytes(p.a));
        if (status.ok())
            status =
                st.add_tensor(prefix + ".lora_B.weight", engine::DType::F32, {p.out, p.rank}, f32_bytes(p.b));
    });
    ENGINE_TRY(status);

    // target_modules: the HF names when each covers every adapted layer, else the exact modules.
    bool uniform = true;
    for (const auto& [t, layers] : layers_of) uniform = uniform && layers == all_layers;
    uniform = uniform && static_cast<int64_t>(all_layers.size()) == adapter.n_layer();
    json::Value target_modules;
    if (uniform) {
        json::Array names;
        for (const auto& [t, layers] : layers_of) names.emplace_back(engine::lora_target_name(t));
        target_modules = std::move(names);
    } else {
        // PEFT full-matches a string target_modules against each module name.
        std::string alternatives = "(";
        adapter.for_each([&](int64_t layer, LoraTarget t, const LoraPair&) {
            if (alternatives.size() > 1) alternatives += '|';
            alternatives += regex_escape(peft_module_name(layer, t));
        });
        alternatives += ')';
        target_modules = std::move(alternatives);
    }

    json::Object c;
    c.set("alpha_pattern", std::move(alpha_pattern));
    c.set("auto_mapping", nullptr);
    c.set("base_model_name_or_path", options.base_model_name);
    c.set("bias", "none");
    c.set("fan_in_fan_out", false);
    c.set("inference_mode", true);
    c.set("init_lora_weights", true);
    c.set("layers_pattern", nullptr);
    c.set("layers_to_transform", nullptr);
    c.set("lora_alpha", number(options.alpha));
    c.set("lora_dropout", options.dropout);
    c.set("modules_to_save", nullptr);
    c.set("peft_type", "LORA");
    c.set("r", r);
    c.set("rank_pattern", std::move(rank_pattern));
    c.set("revision", nullptr);
    c.set("target_modules", std::move(target_modules));
    c.set("task_type", "CAUSAL_LM");
    c.set("use_dora", false);
    c.set("use_rslora", options.use_rslora);
    json::DumpOptions dump_options;
    dump_options.indent = 2;
    dump_options.sort_keys = true;

    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) return make_error("[peft export] cannot create '" + dir + "': " + ec.message());
    ENGINE_TRY(st.write(dir + "/adapter_model.safetensors"));
    const std::string config_path = dir + "/adapter_config.json";
    const std::string tmp = config_path + ".tmp";
    {
        std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
        f << json::dump(c, dump_options) << "\n";
        if (!f) return make_error("[peft export] cannot write '" + tmp + "'");
    }
    std::filesystem::rename(tmp, config_path, ec);
    if (ec) return make_error("[peft export] cannot rename '" + tmp + "': " + ec.message());
    return {};
}

}  // namespace finetune
