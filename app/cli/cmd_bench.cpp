// crucible-cli bench MODEL: prefill and decode speed and peak memory, measured
// like llama-bench: one batch of prompt tokens, then single-token decode steps,
// through the model's forward pass (no sampling), median of --repeat runs.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <vector>

#include "cli_common.h"
#include "engine/kv_cache.h"

namespace cli {
namespace {

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    size_t n = v.size();
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

}  // namespace

int run_bench(int argc, char** argv) {
    Args args("bench", "MODEL [--threads N] [--prompt-tokens N] [--gen-tokens N] [--repeat N] [--json]");
    args.option("threads", "N", "CPU threads; 0 = all cores", "0");
    args.option("prompt-tokens", "N", "tokens in the prefill batch", "128");
    args.option("gen-tokens", "N", "decode steps after the prompt", "64");
    args.option("repeat", "N", "measured runs (after one warm-up)", "5");
    args.flag("json", "print one JSON object");
    int code = 0;
    if (!args.parse(argc, argv, &code)) return code;
    auto threads = args.get_int("threads");
    auto n_prompt = args.get_int("prompt-tokens");
    auto n_gen = args.get_int("gen-tokens");
    auto repeat = args.get_int("repeat");
    if (args.positional().size() != 1 || !threads || !n_prompt || !n_gen || !repeat || *n_prompt < 1 ||
        *n_gen < 1 || *repeat < 1) {
        args.print_help();
        return 2;
    }
    auto bundle = load_bundle_or_report(args.positional()[0]);
    if (!bundle) return 1;
    const engine::Model& model = bundle->model();
    const int64_t vocab = model.config().n_vocab;
    engine::ThreadPool pool(static_cast<int>(*threads));
    auto cache =
        engine::KvCache::create(model.config(), *n_prompt + *n_gen + 1, std::max<int64_t>(*n_prompt, 1));
    if (!cache) {
        std::fprintf(stderr, "crucible-cli bench: %s\n", cache.error().message.c_str());
        return 1;
    }
    // Fixed, ordinary token ids (away from the special tokens at the start of most vocabularies).
    std::vector<int32_t> prompt(static_cast<size_t>(*n_prompt));
    for (size_t i = 0; i < prompt.size(); ++i)
        prompt[i] = static_cast<int32_t>((1000 + 7 * i) % (vocab - 1000) + 500);
    std::vector<float> logits(static_cast<size_t>(vocab));

    using Clock = std::chrono::steady_clock;
    std::vector<double> pp, tg;
    for (long long r = 0; r <= *repeat; ++r) {
        (*cache)->clear();
        auto t0 = Clock::now();
        auto status = model.forward(**cache, prompt, 0, engine::LogitsMode::last, logits.data(), pool);
        auto t1 = Clock::now();
        for (long long i = 0; i < *n_gen && status; ++i) {
            int32_t token = static_cast<int32_t>((prompt.back() + 13 * i) % (vocab - 1000) + 500);
            status = model.forward(**cache, std::span<const int32_t>(&token, 1), *n_prompt + i,
                                   engine::LogitsMode::last, logits.data(), pool);
        }
        auto t2 = Clock::now();
        if (!status) {
            std::fprintf(stderr, "crucible-cli bench: %s\n", status.error().message.c_str());
            return 1;
        }
        if (r == 0) continue;  // warm-up: pages the mapped weights in
        pp.push_back(*n_prompt / std::chrono::duration<double>(t1 - t0).count());
        tg.push_back(*n_gen / std::chrono::duration<double>(t2 - t1).count());
    }
    struct rusage usage {};
    getrusage(RUSAGE_SELF, &usage);
    double peak_bytes = static_cast<double>(usage.ru_maxrss) * 1024.0;
    if (args.has("json")) {
        nlohmann::ordered_json j = {{"model", model.summary().source}, {"threads", pool.size()},
                                    {"prompt_tokens", *n_prompt},      {"gen_tokens", *n_gen},
                                    {"prefill_tps", median(pp)},       {"decode_tps", median(tg)},
                                    {"peak_rss_bytes", peak_bytes}};
        std::printf("%s\n", j.dump().c_str());
    } else {
        std::printf(
            "model    %s\nthreads  %d\nprefill  %.1f tok/s (%lld tokens)\ndecode   %.1f tok/s (%lld tokens)\n"
            "peak RSS %.0f MiB\n",
            model.summary().source.c_str(), pool.size(), median(pp), *n_prompt, median(tg), *n_gen,
            peak_bytes / 1048576.0);
    }
    return 0;
}

}  // namespace cli
