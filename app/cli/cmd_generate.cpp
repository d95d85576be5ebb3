// crucible-cli generate MODEL --prompt TEXT: one completion, streamed to stdout,
// or with --json a JSON object with the text, token ids and log-probabilities.
#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli_common.h"

namespace cli {
namespace {

nlohmann::ordered_json token_json(const engine::Tokenizer& tok, int32_t id, double logprob) {
    nlohmann::ordered_json j;
    j["id"] = id;
    j["text"] = tok.token_bytes(id);  // raw bytes; invalid UTF-8 is replaced when dumped
    j["logprob"] = logprob;
    return j;
}

}  // namespace

int run_generate(int argc, char** argv) {
    Args args("generate", "MODEL --prompt TEXT [--chat] [--system TEXT] [options]");
    args.option("prompt", "TEXT", "the prompt (with --chat: the user message)");
    args.flag("chat", "wrap the prompt in the model's chat template as a user turn");
    args.option("system", "TEXT", "with --chat: a system message first");
    args.flag("json", "print one JSON object: text, prompt and generated token ids, log-probs, timings");
    declare_generation_options(args);
    int code = 0;
    if (!args.parse(argc, argv, &code)) return code;
    if (args.positional().size() != 1 || !args.has("prompt")) {
        args.print_help();
        return 2;
    }
    auto options = generation_options_from(args);
    auto generator_options = generator_options_from(args);
    if (!options || !generator_options) return 2;

    auto bundle = load_bundle_or_report(args.positional()[0]);
    if (!bundle) return 1;
    std::vector<int32_t> prompt;
    if (args.has("chat")) {
        std::vector<engine::ChatMessage> messages;
        if (args.has("system")) messages.push_back(text_message("system", args.get("system")));
        messages.push_back(text_message("user", args.get("prompt")));
        auto ids = bundle->encode_chat(messages, /*add_generation_prompt=*/true);
        if (!ids) {
            std::fprintf(stderr, "crucible-cli generate: %s\n", ids.error().message.c_str());
            return 1;
        }
        prompt = std::move(*ids);
    } else {
        prompt = bundle->encode_text(args.get("prompt"));
    }
    auto generator = engine::Generator::create(bundle->model(), bundle->tokenizer(), *generator_options);
    if (!generator) {
        std::fprintf(stderr, "crucible-cli generate: %s\n", generator.error().message.c_str());
        return 1;
    }
    bool json = args.has("json");
    engine::StreamCallback stream;
    if (!json)
        stream = [](std::string_view text, const engine::GeneratedToken&) {
            std::fwrite(text.data(), 1, text.size(), stdout);
            std::fflush(stdout);
            return true;
        };
    auto result = (*generator)->generate(prompt, *options, stream);
    if (!result) {
        std::fprintf(stderr, "\ncrucible-cli generate: %s\n", result.error().message.c_str());
        return 1;
    }
    const engine::GenerationTimings& t = result->timings;
    if (!json) {
        std::printf("\n");
        std::fprintf(stderr, "[%lld prompt tokens at %.1f tok/s, %lld generated at %.1f tok/s, stop: %s]\n",
                     static_cast<long long>(t.prompt_tokens), t.prompt_tokens_per_s(),
                     static_cast<long long>(t.generated_tokens), t.generation_tokens_per_s(),
                     std::string(engine::stop_reason_name(result->stop_reason)).c_str());
        return 0;
    }
    const engine::Tokenizer& tok = bundle->tokenizer();
    nlohmann::ordered_json j;
    j["text"] = result->text;
    j["stop_reason"] = engine::stop_reason_name(result->stop_reason);
    j["seed"] = options->sampling.seed;
    j["prompt_token_ids"] = prompt;
    nlohmann::ordered_json tokens = nlohmann::ordered_json::array();
    for (const auto& g : result->tokens) {
        nlohmann::ordered_json tj = token_json(tok, g.id, g.logprob);
        if (!g.top.empty()) {
            tj["top_logprobs"] = nlohmann::ordered_json::array();
            for (const auto& alt : g.top) tj["top_logprobs"].push_back(token_json(tok, alt.id, alt.logprob));
        }
        tokens.push_back(std::move(tj));
    }
    j["tokens"] = std::move(tokens);
    j["timings"] = {{"prompt_tokens", t.prompt_tokens},
                    {"cached_prompt_tokens", t.cached_tokens},
                    {"generated_tokens", t.generated_tokens},
                    {"prompt_ms", t.prompt_ms},
                    {"generation_ms", t.generation_ms},
                    {"prompt_tokens_per_s", t.prompt_tokens_per_s()},
                    {"generation_tokens_per_s", t.generation_tokens_per_s()}};
    std::printf("%s\n", j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    return 0;
}

}  // namespace cli
