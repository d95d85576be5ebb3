#include "cli_common.h"

#include <chrono>
#include <cstdio>

#include "engine/log.h"
#include "finetune/adapter_io.h"
#include "model_path.h"

namespace cli {

engine::ChatMessage text_message(std::string role, std::string content) {
    engine::ChatMessage m;
    m.role = std::move(role);
    m.content = std::move(content);
    return m;
}

std::unique_ptr<engine::ModelBundle> load_bundle_or_report(const std::string& spec) {
    std::string path = resolve_model_path(spec);
    auto bundle = engine::ModelBundle::load(path);
    if (!bundle) {
        std::fprintf(stderr, "crucible-cli: cannot load model: %s\n", bundle.error().message.c_str());
        if (spec == "default")
            std::fprintf(stderr, "(fetch the default model with scripts/fetch_models.sh)\n");
        return nullptr;
    }
    return std::move(*bundle);
}

void declare_generation_options(Args& args) {
    args.option("max-tokens", "N", "maximum number of tokens to generate", "512");
    args.option("temperature", "T", "sampling temperature; 0 = greedy", "0.8");
    args.option("top-k", "K", "keep the K most likely tokens; 0 = off", "40");
    args.option("top-p", "P", "nucleus sampling mass; 1 = off", "0.95");
    args.option("min-p", "P", "drop tokens below P x the top probability; 0 = off", "0.05");
    args.option("repeat-penalty", "X", "repetition penalty over the last 64 tokens; 1 = off", "1.0");
    args.option("presence-penalty", "X", "OpenAI-style presence penalty", "0");
    args.option("frequency-penalty", "X", "OpenAI-style frequency penalty", "0");
    args.option("seed", "N", "random seed (same seed, same output); default: from the clock");
    args.option("top-logprobs", "N", "alternatives reported per token (0-20)", "0");
    args.option("stop", "TEXT", "stop before this text (repeatable)");
    args.option("threads", "N", "CPU threads; 0 = all cores", "0");
    args.option("ctx", "N", "context length (KV-cache capacity) in tokens", "4096");
    args.option("adapter", "PATH", "apply a LoRA adapter (PEFT folder, GGUF LoRA or training checkpoint)");
    args.option("adapter-strength", "S", "multiply the adapter's contribution", "1.0");
}

bool load_adapter_option(const Args& args, const engine::ModelConfig& model,
                         std::optional<engine::LoraAdapter>* out) {
    if (!args.has("adapter")) return true;
    auto strength = args.get_double("adapter-strength");
    if (!strength) return false;
    auto loaded = finetune::read_adapter(args.get("adapter"), model);
    if (!loaded) {
        std::fprintf(stderr, "--adapter: %s\n", loaded.error().message.c_str());
        return false;
    }
    *out = std::move(loaded->adapter);
    (*out)->strength = static_cast<float>(*strength);
    return true;
}

std::optional<engine::GenerationOptions> generation_options_from(const Args& args) {
    engine::GenerationOptions o;
    auto max_tokens = args.get_int("max-tokens");
    auto temperature = args.get_double("temperature");
    auto top_k = args.get_int("top-k");
    auto top_p = args.get_double("top-p");
    auto min_p = args.get_double("min-p");
    auto repeat = args.get_double("repeat-penalty");
    auto presence = args.get_double("presence-penalty");
    auto frequency = args.get_double("frequency-penalty");
    auto top_logprobs = args.get_int("top-logprobs");
    if (!max_tokens || !temperature || !top_k || !top_p || !min_p || !repeat || !presence || !frequency ||
        !top_logprobs)
        return std::nullopt;
    o.max_tokens = *max_tokens;
    o.sampling.temperature = static_cast<float>(*temperature);
    o.sampling.top_k = static_cast<int32_t>(*top_k);
    o.sampling.top_p = static_cast<float>(*top_p);
    o.sampling.min_p = static_cast<float>(*min_p);
    o.sampling.repetition_penalty = static_cast<float>(*repeat);
    o.sampling.presence_penalty = static_cast<float>(*presence);
    o.sampling.frequency_penalty = static_cast<float>(*frequency);
    o.sampling.n_top_logprobs = static_cast<int32_t>(*top_logprobs);
    if (args.has("seed")) {
        auto seed = args.get_int("seed");
        if (!seed) return std::nullopt;
        o.sampling.seed = static_cast<uint64_t>(*seed);
    } else {
        o.sampling.seed = static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
    }
    o.stop_strings = args.get_all("stop");
    if (auto status = engine::validate_sampling_params(o.sampling); !status) {
        std::fprintf(stderr, "crucible-cli: %s\n", status.error().message.c_str());
        return std::nullopt;
    }
    return o;
}

std::optional<engine::GeneratorOptions> generator_options_from(const Args& args) {
    auto threads = args.get_int("threads");
    auto ctx = args.get_int("ctx");
    if (!threads || !ctx) return std::nullopt;
    engine::GeneratorOptions o;
    o.n_threads = static_cast<int>(*threads);
    o.context_length = *ctx;
    return o;
}

}  // namespace cli
