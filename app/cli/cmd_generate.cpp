// crucible-cli generate MODEL --prompt TEXT: one completion, streamed to stdout,
// or with --json a JSON object with the text, token ids and log-probabilities.
// --schema FILE / --grammar json constrain the output to JSON (valid for the schema).
#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli_common.h"
#include "engine/json.h"
#include "engine/json_schema_constraint.h"

namespace cli {
namespace {

// Reads --schema / --grammar into *grammar (left empty when neither is given). False after printing
// an error; *exit_code is then 2 for misuse of the options, 1 for a schema that cannot be used.
bool grammar_from(const Args& args, std::optional<engine::JsonGrammar>* grammar, int* exit_code) {
    if (args.has("schema") && args.has("grammar")) {
        std::fprintf(stderr, "crucible-cli generate: give --schema or --grammar, not both\n");
        *exit_code = 2;
        return false;
    }
    if (args.has("grammar")) {
        if (args.get("grammar") != "json") {
            std::fprintf(stderr, "crucible-cli generate: unknown --grammar \"%s\" (supported: json)\n",
                         args.get("grammar").c_str());
            *exit_code = 2;
            return false;
        }
        *grammar = engine::JsonGrammar::any_value();
        return true;
    }
    if (!args.has("schema")) return true;
    auto schema = engine::json::parse_file(args.get("schema"));
    if (!schema) {
        std::fprintf(stderr, "crucible-cli generate: --schema: %s\n", schema.error().message.c_str());
        *exit_code = 1;
        return false;
    }
    auto compiled = engine::JsonGrammar::from_schema(*schema);
    if (!compiled) {
        std::fprintf(stderr, "crucible-cli generate: --schema: %s\n", compiled.error().message.c_str());
        *exit_code = 1;
        return false;
    }
    *grammar = std::move(*compiled);
    return true;
}

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
    args.option("schema", "FILE", "constrain the output to JSON valid for this JSON Schema file");
    args.option("grammar", "json", "constrain the output to any JSON value");
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
    std::optional<engine::JsonGrammar> grammar;
    if (!grammar_from(args, &grammar, &code)) return code;

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
    std::optional<engine::LoraAdapter> adapter;
    if (!load_adapter_option(args, bundle->model().config(), &adapter)) return 1;
    if (adapter) (*generator)->set_adapter(&*adapter);
    std::unique_ptr<engine::JsonSchemaConstraint> constraint;
    if (grammar) {
        auto created = engine::JsonSchemaConstraint::create(*grammar, bundle->tokenizer());
        if (!created) {
            std::fprintf(stderr, "crucible-cli generate: %s\n", created.error().message.c_str());
            return 1;
        }
        constraint = std::move(*created);
        options->constraint = constraint.get();
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
