// Indicative prefill and decode throughput of the CPU forward pass (not a ctest):
//   model_bench <model.gguf> [threads=1] [prompt_tokens=128] [decode_tokens=64]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "engine/kv_cache.h"
#include "engine/model.h"

int main(int argc, char** argv) {
    using namespace engine;
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s model.gguf [threads] [prompt_tokens] [decode_tokens]\n", argv[0]);
        return 2;
    }
    const int threads = argc > 2 ? std::atoi(argv[2]) : 1;
    const int n_prompt = argc > 3 ? std::atoi(argv[3]) : 128;
    const int n_decode = argc > 4 ? std::atoi(argv[4]) : 64;
    auto model = Model::load(argv[1]);
    if (!model.ok()) {
        std::fprintf(stderr, "%s\n", model.error().message.c_str());
        return 1;
    }
    const Model& m = **model;
    ThreadPool pool(threads);
    auto cache = KvCache::create(m.config(), n_prompt + n_decode, 64);
    if (!cache.ok()) return 1;
    std::vector<int32_t> prompt(static_cast<size_t>(n_prompt));
    for (int i = 0; i < n_prompt; ++i)
        prompt[static_cast<size_t>(i)] = (i * 7919 + 17) % static_cast<int32_t>(m.config().n_vocab);
    std::vector<float> logits(static_cast<size_t>(m.config().n_vocab));
    using clock = std::chrono::steady_clock;
    auto t0 = clock::now();
    if (!m.forward(**cache, prompt, 0, LogitsMode::last, logits.data(), pool).ok()) return 1;
    auto t1 = clock::now();
    for (int i = 0; i < n_decode; ++i) {
        int32_t next = (i * 31 + 5) % static_cast<int32_t>(m.config().n_vocab);
        if (!m.forward(**cache, std::span(&next, 1), n_prompt + i, LogitsMode::last, logits.data(), pool)
                 .ok())
            return 1;
    }
    auto t2 = clock::now();
    double prefill_s = std::chrono::duration<double>(t1 - t0).count();
    double decode_s = std::chrono::duration<double>(t2 - t1).count();
    std::printf("%s threads=%d prefill %d tok: %.1f tok/s, decode %d tok: %.1f tok/s\n",
                m.summary().architecture.c_str(), threads, n_prompt, n_prompt / prefill_s, n_decode,
                n_decode / decode_s);
    return 0;
}
