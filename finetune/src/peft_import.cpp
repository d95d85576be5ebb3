// PEFT folder reader. See finetune/peft.h.
#include <cmath>
#include <filesystem>
#include <map>
#include <regex>
#include <vector>

#include "engine/json.h"
#include "engine/safetensors.h"
#include "finetune/peft.h"
#include "tensor_f32.h"

namespace finetune {

using engine::LoraPair;
using engine::LoraTarget;
using engine::make_error;
namespace json = engine::json;

namespace {

// Where a safetensors tensor belongs:
// "<...>layers.{layer}.{self_attn|mlp}.{proj}.lora_{A|B}[.<adapter>].weight".
struct TensorRole {
    int64_t layer = -1;
    LoraTarget target = LoraTarget::q;
    bool is_b = false;
    std::string module;  // the module name PEFT matches patterns against (no base_model.model. prefix)
};

std::vector<std::string> split_dots(const std::string& s) {
    std::vector<std::string> parts;
    size_t begin = 0;
    for (;;) {
        size_t end = s.find('.', begin);
        parts.push_back(s.substr(begin, end == std::string::npos ? std::string::npos : end - begin));
        if (end == std::string::npos) return parts;
        begin = end + 1;
    }
}

std::optional<TensorRole> parse_tensor_name(const std::string& name) {
    const std::vector<std::string> p = split_dots(name);
    for (size_t i = 0; i + 5 < p.size(); ++i) {
        if (p[i] != "layers" || p[i + 1].empty() || p[i + 1].size() > 9 ||
            p[i + 1].find_first_not_of("0123456789") != std::string::npos)
            continue;
        auto target = engine::lora_target_from_name(p[i + 3]);
        if (!target) return std::nullopt;
        const bool attention = *target == LoraTarget::q || *target == LoraTarget::k ||
                               *target == LoraTarget::v || *target == LoraTarget::o;
        if (p[i + 2] != (attention ? "self_attn" : "mlp")) return std::nullopt;
        if (p[i + 4] != "lora_A" && p[i + 4] != "lora_B") return std::nullopt;
        // ".weight" directly, or after an adapter name that an old save left in.
        const size_t rest = p.size() - (i + 5);
        if (!((rest == 1 && p[i + 5] == "weight") || (rest == 2 && p[i + 6] == "weight")))
            return std::nullopt;
        TensorRole role;
        role.layer = std::stoll(p[i + 1]);
        role.target = *target;
        role.is_b = p[i + 4] == "lora_B";
        size_t start = 0;
        if (name.rfind("base_model.model.", 0) == 0) start = std::string("base_model.model.").size();
        std::string module;
        for (size_t k = 0; k <= i + 3; ++k) module += (k ? "." : "") + p[k];
        role.module = module.substr(start);
        return role;
    }
    return std::nullopt;
}

// PEFT's pattern lookup: the first key K with re.match(r"(.*\.)?(K)$", module).
// std::regex (ECMAScript) reads the simple keys PEFT configs use the same way.
engine::Result<const json::Value*> pattern_value(const json::Value& patterns, const std::string& module,
                                                 const char* which) {
    for (const auto& m : patterns.as_object()) {
        try {
            if (std::regex_match(module, std::regex("(.*\\.)?(" + m.key + ")"))) return &m.value;
        } catch (const std::regex_error&) {
            return make_error(std::string("[peft import] ") + which + " key '" + m.key +
                              "' is not a valid regex");
        }
    }
    return static_cast<const json::Value*>(nullptr);
}

struct PendingPair {
    const engine::SafetensorsTensor* a = nullptr;
    const engine::SafetensorsTensor* b = nullptr;
    std::string module;
};

}  // namespace

engine::Result<PeftAdapter> import_peft(const std::string& dir, const engine::ModelConfig& model) {
    const std::string where = "[peft import] " + dir;
    namespace fs = std::filesystem;
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) return make_error(where + ": not a folder");
    auto config = json::parse_file(dir + "/adapter_config.json");
    if (!config.ok()) return make_error(where + ": adapter_config.json: " + config.error().message);
    const json::Value& c = *config;
    if (!c.is_object()) return make_error(where + ": adapter_config.json is not a JSON object");

    const std::string peft_type(c["peft_type"].get_string().value_or("LORA"));
    if (peft_type != "LORA") return make_error(where + ": peft_type '" + peft_type + "' is not LORA");
    if (c["use_dora"].get_bool().value_or(false))
        return make_error(where + ": DoRA adapters (use_dora) are not supported");
    const std::string bias(c["bias"].get_string().value_or("none"));
    if (bias != "none") return make_error(where + ": bias '" + bias + "' is not supported (only \"none\")");
    if (c["lora_bias"].get_bool().value_or(false)) return make_error(where + ": lora_bias is not supported");
    if (c["fan_in_fan_out"].get_bool().value_or(false))
        return make_error(where + ": fan_in_fan_out adapters (Conv1D layers) are not supported");
    if (c["modules_to_save"].size() > 0)
        return make_error(where + ": modules_to_save (fully trained modules) is not supported");
    if (c["layer_replication"].size() > 0) return make_error(where + ": layer_replication is not supported");
    if (c["alora_invocation_tokens"].size() > 0)
        return make_error(where + ": activated LoRA (alora_invocation_tokens) is not supported");
    if (c["target_parameters"].size() > 0) return make_error(where + ": target_parameters is not supported");
    if (c["use_qalora"].get_bool().value_or(false)) return make_error(where + ": QALoRA is not supported");

    PeftAdapter out;
    const auto r = c["r"].get_int();
    if (!r || *r < 1) return make_error(where + ": 'r' must be a positive integer");
    out.rank = *r;
    const auto alpha = c["lora_alpha"].get_double();
    if (!alpha || !std::isfinite(*alpha) || *alpha <= 0.0)
        return make_error(where + ": 'lora_alpha' must be a positive number");
    out.options.alpha = *alpha;
    out.options.use_rslora = c["use_rslora"].get_bool().value_or(false);
    out.options.dropout = c["lora_dropout"].get_double().value_or(0.0);
    out.options.base_model_name = std::string(c["base_model_name_or_path"].get_string().value_or(""));
    const json::Value& rank_pattern = c["rank_pattern"];
    const json::Value& alpha_pattern = c["alpha_pattern"];

    const std::string weights_path = dir + "/adapter_model.safetensors";
    if (!fs::exists(weights_path, ec)) {
        if (fs::exists(dir + "/adapter_model.bin", ec))
            return make_error(where +
                              ": only adapter_model.bin (a pickle) is present; save the adapter with "
                              "safe_serialization=True to get adapter_model.safetensors");
        return make_error(where + ": adapter_model.safetensors is missing");
    }
    auto file = engine::SafetensorsFile::open(weights_path);
    if (!file.ok()) return engine::Error{file.error()};

    std::map<std::pair<int64_t, int>, PendingPair> pairs;  // (layer, target) -> tensors
    for (const auto& t : file->tensors()) {
        auto role = parse_tensor_name(t.name);
        if (!role)
            return make_error(
                where + ": tensor '" + t.name +
                "' is not a lora_A/lora_B weight of an attention or MLP projection (embedding and "
                "lm_head adapters, biases and saved modules are not supported)");
        if (role->layer >= model.n_layer)
            return make_error(where + ": tensor '" + t.name + "' is for layer " +
                              std::to_string(role->layer) + " but the model has " +
                              std::to_string(model.n_layer) + " layers");
        if (t.shape.size() != 2) return make_error(where + ": tensor '" + t.name + "' is not a matrix");
        PendingPair& p = pairs[{role->layer, static_cast<int>(role->target)}];
        const engine::SafetensorsTensor*& slot = role->is_b ? p.b : p.a;
        if (slot)
            return make_error(where + ": tensor '" + t.name + "' appears twice (under two adapter names?)");
        slot = &t;
        p.module = role->module;
    }
    if (pairs.empty()) return make_error(where + ": adapter_model.safetensors holds no LoRA weights");

    for (const auto& [key, p] : pairs) {
        const auto target = static_cast<LoraTarget>(key.second);
        const std::string what = where + ": " + p.module;
        if (!p.a || !p.b)
            return make_error(what + " has lora_" + (p.a ? "A" : "B") + " but not lora_" + (p.a ? "B" : "A"));
        const int64_t in = engine::lora_target_in(model, target),
                      out_dim = engine::lora_target_out(model, target);
        const int64_t rank = p.a->shape[0];
        if (p.a->shape[1] != in || p.b->shape[0] != out_dim || p.b->shape[1] != rank)
            return make_error(what + ": lora_A [" + std::to_string(p.a->shape[0]) + ", " +
                              std::to_string(p.a->shape[1]) + "] and lora_B [" +
                              std::to_string(p.b->shape[0]) + ", " + std::to_string(p.b->shape[1]) +
                              "] do not fit the model's [" + std::to_string(out_dim) + ", " +
                              std::to_string(in) + "] weight");
        auto rank_value = pattern_value(rank_pattern, p.module, "rank_pattern");
        if (!rank_value.ok()) return engine::Error{rank_value.error()};
        const int64_t expected_rank = *rank_value ? (*rank_value)->get_int().value_or(-1) : out.rank;
        if (rank != expected_rank)
            return make_error(what + " has rank " + std::to_string(rank) + " but the config says " +
                              std::to_string(expected_rank));
        auto alpha_value = pattern_value(alpha_pattern, p.module, "alpha_pattern");
        if (!alpha_value.ok()) return engine::Error{alpha_value.error()};
        const double pair_alpha =
            *alpha_value ? (*alpha_value)->get_double().value_or(-1.0) : out.options.alpha;
        if (!std::isfinite(pair_alpha) || pair_alpha <= 0.0)
            return make_error(what + ": its alpha_pattern entry is not a positive number");
        for (const auto* t : {p.a, p.b}) {
            const engine::DType type = t->view.type;
            if (type != engine::DType::F32 && type != engine::DType::F16 && type != engine::DType::BF16)
                return make_error(what + ": tensor '" + t->name + "' is not F32, F16 or BF16");
        }
        LoraPair pair;
        pair.rank = rank;
        pair.in = in;
        pair.out = out_dim;
        pair.scale = lora_scale(pair_alpha, rank, out.options.use_rslora);
        pair.a = to_f32(p.a->view);
        pair.b = to_f32(p.b->view);
        ENGINE_TRY(out.adapter.set(model, key.first, target, std::move(pair)));
    }
    return out;
}

}  // namespace finetune
