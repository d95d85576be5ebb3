// crucible-cli chat MODEL: an interactive, streaming conversation in the
// terminal. Each turn re-renders the conversation with the chat template; the
// generator reuses the KV cache for the unchanged prefix, so only the new
// messages are computed. Ctrl-C stops the answer being written.
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <string>

#include "cli_common.h"

namespace cli {
namespace {

std::atomic<bool> g_cancel{false};
std::atomic<bool> g_generating{false};

void on_sigint(int) {
    if (g_generating.load()) {
        g_cancel.store(true);
    } else {
        std::signal(SIGINT, SIG_DFL);
        std::raise(SIGINT);
    }
}

void print_chat_help() {
    std::printf(
        "  /reset           start a new conversation\n"
        "  /system TEXT     set the system message (and start a new conversation)\n"
        "  /exit            leave (also Ctrl-D)\n");
}

}  // namespace

int run_chat(int argc, char** argv) {
    Args args("chat", "MODEL [--system TEXT] [options]");
    args.option("system", "TEXT", "system message");
    args.flag("quiet", "no banner and no per-turn statistics");
    declare_generation_options(args);
    int code = 0;
    if (!args.parse(argc, argv, &code)) return code;
    if (args.positional().size() != 1) {
        args.print_help();
        return 2;
    }
    auto options = generation_options_from(args);
    auto generator_options = generator_options_from(args);
    if (!options || !generator_options) return 2;
    auto bundle = load_bundle_or_report(args.positional()[0]);
    if (!bundle) return 1;
    if (!bundle->has_chat_template()) {
        std::fprintf(stderr, "crucible-cli chat: this model has no chat template; use 'generate' instead\n");
        return 1;
    }
    auto generator = engine::Generator::create(bundle->model(), bundle->tokenizer(), *generator_options);
    if (!generator) {
        std::fprintf(stderr, "crucible-cli chat: %s\n", generator.error().message.c_str());
        return 1;
    }
    std::optional<engine::LoraAdapter> adapter;
    if (!load_adapter_option(args, bundle->model().config(), &adapter)) return 1;
    if (adapter) (*generator)->set_adapter(&*adapter);
    const bool interactive = isatty(STDIN_FILENO);
    const bool quiet = args.has("quiet");
    if (!quiet)
        std::fprintf(stderr, "Crucible chat with %s (%s). /help for commands, Ctrl-D to leave.\n",
                     bundle->model().summary().name.empty() ? bundle->model().summary().architecture.c_str()
                                                            : bundle->model().summary().name.c_str(),
                     bundle->model().summary().source.c_str());
    std::signal(SIGINT, on_sigint);

    std::vector<engine::ChatMessage> history;
    std::string system = args.get("system");
    auto restart = [&] {
        history.clear();
        if (!system.empty()) history.push_back(text_message("system", system));
    };
    restart();
    std::string line;
    for (;;) {
        if (interactive) std::printf("\n> "), std::fflush(stdout);
        if (!std::getline(std::cin, line)) break;
        if (line.empty()) continue;
        if (line == "/exit" || line == "/quit") break;
        if (line == "/help") {
            print_chat_help();
            continue;
        }
        if (line == "/reset") {
            restart();
            continue;
        }
        if (line.rfind("/system", 0) == 0) {
            system = line.size() > 8 ? line.substr(8) : "";
            restart();
            continue;
        }
        history.push_back(text_message("user", line));
        auto prompt = bundle->encode_chat(history, /*add_generation_prompt=*/true);
        if (!prompt) {
            std::fprintf(stderr, "crucible-cli chat: %s\n", prompt.error().message.c_str());
            history.pop_back();
            continue;
        }
        g_cancel.store(false);
        g_generating.store(true);
        auto result = (*generator)
                          ->generate(
                              *prompt, *options,
                              [](std::string_view text, const engine::GeneratedToken&) {
                                  std::fwrite(text.data(), 1, text.size(), stdout);
                                  std::fflush(stdout);
                                  return true;
                              },
                              &g_cancel);
        g_generating.store(false);
        std::printf("\n");
        if (!result) {
            std::fprintf(stderr, "crucible-cli chat: %s\n", result.error().message.c_str());
            history.pop_back();
            continue;
        }
        history.push_back(text_message("assistant", result->text));
        const engine::GenerationTimings& t = result->timings;
        if (!quiet)
            std::fprintf(
                stderr, "[%lld new prompt tokens (%lld cached) at %.0f tok/s, %lld tokens at %.1f tok/s%s]\n",
                static_cast<long long>(t.prompt_tokens - t.cached_tokens),
                static_cast<long long>(t.cached_tokens), t.prompt_tokens_per_s(),
                static_cast<long long>(t.generated_tokens), t.generation_tokens_per_s(),
                result->stop_reason == engine::StopReason::cancelled ? ", stopped" : "");
    }
    return 0;
}

}  // namespace cli
