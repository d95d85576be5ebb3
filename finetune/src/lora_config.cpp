#include "finetune/lora_config.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <string>

#include "finetune/rng.h"

namespace finetune {

using engine::LoraTarget;
using engine::make_error;

std::vector<LoraTarget> all_lora_targets() {
    std::vector<LoraTarget> all;
    for (int t = 0; t < engine::kLoraTargetCount; ++t) all.push_back(static_cast<LoraTarget>(t));
    return all;
}

engine::Result<std::vector<LoraTarget>> parse_lora_targets(std::string_view spec) {
    std::string compact;
    for (char c : spec)
        if (c != ' ' && c != '\t') compact += c;
    if (compact == "all-linear" || compact == "all") return all_lora_targets();
    bool seen[engine::kLoraTargetCount] = {};
    size_t begin = 0;
    while (begin <= compact.size()) {
        size_t end = compact.find(',', begin);
        if (end == std::string::npos) end = compact.size();
        const std::string name = compact.substr(begin, end - begin);
        auto target = engine::lora_target_from_name(name);
        if (!target)
            return make_error(
                "[lora config] unknown target '" + name +
                "' (expected all-linear or a list of q_proj, k_proj, v_proj, o_proj, gate_proj, "
                "up_proj, down_proj)");
        seen[static_cast<int>(*target)] = true;
        begin = end + 1;
    }
    std::vector<LoraTarget> out;
    for (int t = 0; t < engine::kLoraTargetCount; ++t)
        if (seen[t]) out.push_back(static_cast<LoraTarget>(t));
    return out;
}

std::string format_lora_targets(const std::vector<LoraTarget>& targets) {
    bool seen[engine::kLoraTargetCount] = {};
    for (LoraTarget t : targets) seen[static_cast<int>(t)] = true;
    std::string out;
    for (int t = 0; t < engine::kLoraTargetCount; ++t) {
        if (!seen[t]) continue;
        if (!out.empty()) out += ',';
        out += engine::lora_target_name(static_cast<LoraTarget>(t));
    }
    return out;
}

float lora_scale(double alpha, int64_t rank, bool use_rslora) {
    const double r = static_cast<double>(rank);
    return static_cast<float>(use_rslora ? alpha / std::sqrt(r) : alpha / r);
}

engine::Status validate_lora_config(const LoraConfig& c) {
    if (c.rank < 1) return make_error("[lora config] rank must be at least 1, got " + std::to_string(c.rank));
    if (!std::isfinite(c.alpha) || c.alpha <= 0.0f)
        return make_error("[lora config] alpha must be a positive number, got " + std::to_string(c.alpha));
    if (!(c.dropout >= 0.0f && c.dropout < 1.0f))
        return make_error("[lora config] dropout must be in [0, 1), got " + std::to_string(c.dropout));
    if (c.targets.empty()) return make_error("[lora config] no target layers");
    return {};
}

engine::Result<engine::LoraAdapter> make_adapter(const LoraConfig& config, const engine::ModelConfig& model) {
    ENGINE_TRY(validate_lora_config(config));
    auto adapter = engine::LoraAdapter::create(model, config.rank, config.scale(), config.targets);
    if (!adapter.ok()) return adapter;
    adapter->for_each([&](int64_t layer, LoraTarget target, engine::LoraPair& pair) {
        Rng rng(derive_seed(config.seed, {static_cast<uint64_t>(layer), static_cast<uint64_t>(target)}));
        const float bound = static_cast<float>(1.0 / std::sqrt(static_cast<double>(pair.in)));
        for (float& a : pair.a) a = bound * (2.0f * rng.uniform_float() - 1.0f);
    });
    return adapter;
}

engine::json::Value lora_config_to_json(const LoraConfig& c) {
    engine::json::Object o;
    o.set("rank", c.rank);
    o.set("alpha", c.alpha);
    o.set("use_rslora", c.use_rslora);
    o.set("dropout", c.dropout);
    engine::json::Array targets;
    for (LoraTarget t : c.targets) targets.emplace_back(engine::lora_target_name(t));
    o.set("targets", std::move(targets));
    o.set("seed", std::to_string(c.seed));
    return o;
}

engine::Result<LoraConfig> lora_config_from_json(const engine::json::Value& v) {
    if (!v.is_object()) return make_error("[lora config] expected a JSON object");
    LoraConfig c;
    auto bad = [](const char* key, const char* what) {
        return make_error(std::string("[lora config] '") + key + "' must be " + what);
    };
    if (const auto* x = v.find("rank")) {
        if (!x->get_int()) return bad("rank", "an integer");
        c.rank = *x->get_int();
    }
    if (const auto* x = v.find("alpha")) {
        if (!x->get_double()) return bad("alpha", "a number");
        c.alpha = static_cast<float>(*x->get_double());
    }
    if (const auto* x = v.find("use_rslora")) {
        if (!x->get_bool()) return bad("use_rslora", "true or false");
        c.use_rslora = *x->get_bool();
    }
    if (const auto* x = v.find("dropout")) {
        if (!x->get_double()) return bad("dropout", "a number");
        c.dropout = static_cast<float>(*x->get_double());
    }
    if (const auto* x = v.find("targets")) {
        std::string spec;
        if (x->is_string()) {
            spec = x->as_string();
        } else if (x->is_array()) {
            for (const auto& item : x->as_array()) {
                if (!item.is_string()) return bad("targets", "a list of names");
                spec += (spec.empty() ? "" : ",") + item.as_string();
            }
        } else {
            return bad("targets", "\"all-linear\" or a list of names");
        }
        auto targets = parse_lora_targets(spec);
        if (!targets.ok()) return engine::Error{targets.error()};
        c.targets = std::move(*targets);
    }
    if (const auto* x = v.find("seed")) {
        if (x->is_int() && x->as_int() >= 0) {
            c.seed = static_cast<uint64_t>(x->as_int());
        } else if (x->is_string()) {
            const std::string& s = x->as_string();
            if (s.empty() || s.size() > 20 || s.find_first_not_of("0123456789") != std::string::npos)
                return bad("seed", "a non-negative integer");
            errno = 0;
            const unsigned long long parsed = std::strtoull(s.c_str(), nullptr, 10);
            if (errno == ERANGE) return bad("seed", "below 2^64");
            c.seed = parsed;
        } else {
            return bad("seed", "a non-negative integer");
        }
    }
    ENGINE_TRY(validate_lora_config(c));
    return c;
}

}  // namespace finetune
