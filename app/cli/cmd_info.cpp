// crucible-cli info MODEL: what a model file holds.
#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli_common.h"

namespace cli {

int run_info(int argc, char** argv) {
    Args args("info", "MODEL [--json] [--template]");
    args.flag("json", "print a JSON object instead of text");
    args.flag("template", "also print the chat template in full");
    int code = 0;
    if (!args.parse(argc, argv, &code)) return code;
    if (args.positional().size() != 1) {
        args.print_help();
        return 2;
    }
    auto bundle = load_bundle_or_report(args.positional()[0]);
    if (!bundle) return 1;
    const engine::ModelConfig& c = bundle->model().config();
    const engine::ModelSummary& s = bundle->model().summary();
    const engine::Tokenizer& tok = bundle->tokenizer();

    if (args.has("json")) {
        nlohmann::ordered_json j;
        j["path"] = s.source;
        j["architecture"] = s.architecture;
        j["name"] = s.name;
        j["file_size_bytes"] = s.file_size;
        j["parameters"] = s.n_params;
        j["context_length"] = s.context_length;
        j["layers"] = c.n_layer;
        j["embedding_length"] = c.n_embd;
        j["heads"] = c.n_head;
        j["kv_heads"] = c.n_head_kv;
        j["head_dim"] = c.head_dim;
        j["feed_forward_length"] = c.n_ff;
        j["vocab_size"] = c.n_vocab;
        j["sliding_window"] = c.sliding_window;
        j["tied_embeddings"] = c.tied_embeddings;
        j["tensor_types"] = s.tensor_types;
        j["bos_token"] = tok.bos_id() >= 0 ? std::string(tok.token_text(tok.bos_id())) : "";
        j["eos_token"] = tok.eos_id() >= 0 ? std::string(tok.token_text(tok.eos_id())) : "";
        j["chat_template_origin"] = bundle->chat_template_origin();
        j["chat_template"] = bundle->chat_template_source();
        std::printf("%s\n", j.dump(2).c_str());
        return 0;
    }
    std::printf("path            %s\n", s.source.c_str());
    std::printf("architecture    %s%s%s\n", s.architecture.c_str(), s.name.empty() ? "" : "  (",
                s.name.empty() ? "" : (s.name + ")").c_str());
    std::printf("file size       %.1f MiB\n", s.file_size / 1048576.0);
    std::printf("parameters      %.1f M\n", s.n_params / 1e6);
    std::printf("context         %lld tokens (trained)\n", static_cast<long long>(s.context_length));
    std::printf("layers          %lld, embedding %lld, feed-forward %lld\n",
                static_cast<long long>(c.n_layer), static_cast<long long>(c.n_embd),
                static_cast<long long>(c.n_ff));
    std::printf("attention       %lld heads, %lld KV heads, head dim %lld%s\n",
                static_cast<long long>(c.n_head), static_cast<long long>(c.n_head_kv),
                static_cast<long long>(c.head_dim),
                c.sliding_window > 0 ? (", sliding window " + std::to_string(c.sliding_window)).c_str() : "");
    std::printf("vocabulary      %lld tokens, bos %s, eos %s\n", static_cast<long long>(c.n_vocab),
                tok.bos_id() >= 0 ? std::string(tok.token_text(tok.bos_id())).c_str() : "-",
                tok.eos_id() >= 0 ? std::string(tok.token_text(tok.eos_id())).c_str() : "-");
    std::printf("tensor types   ");
    for (const auto& [type, count] : s.tensor_types)
        std::printf(" %s x%lld", type.c_str(), static_cast<long long>(count));
    std::printf("\nchat template   %s\n", bundle->has_chat_template() ? bundle->chat_template_origin().c_str()
                                                                      : "none (plain prompts only)");
    if (args.has("template") && bundle->has_chat_template())
        std::printf("\n%s\n", bundle->chat_template_source().c_str());
    return 0;
}

}  // namespace cli
