// The sampler must not touch the heap per call once its scratch buffers exist:
// this file replaces the global operator new (all unaligned forms, so that
// sanitizers see matching pairs) to count allocations.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <limits>
#include <new>
#include <random>
#include <vector>

#include "engine/sampler.h"

namespace {
std::atomic<long> g_allocations{0};
}  // namespace

void* operator new(std::size_t size) {
    g_allocations.fetch_add(1, std::memory_order_relaxed);
    if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
    throw std::bad_alloc();
}
void* operator new[](std::size_t size) { return ::operator new(size); }
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
    g_allocations.fetch_add(1, std::memory_order_relaxed);
    return std::malloc(size == 0 ? 1 : size);
}
void* operator new[](std::size_t size, const std::nothrow_t& tag) noexcept {
    return ::operator new(size, tag);
}
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

TEST(SamplerAlloc, NoHeapAllocationAfterFirstCall) {
    std::mt19937 gen(1);
    std::vector<float> logits(20000);  // above kHistogramMin: covers the top-p binning
    for (auto& v : logits) v = static_cast<float>(gen() % 10000) / 1000.0f;

    struct Case {
        float temperature;
        int32_t top_k;
        float top_p;
        float min_p;
    };
    for (const Case& c : {Case{0.0f, 0, 1.0f, 0.0f}, Case{1.0f, 0, 1.0f, 0.0f}, Case{0.8f, 40, 0.9f, 0.05f},
                          Case{1.0f, 0, 0.95f, 0.0f}, Case{1.0f, 0, 1.0f, 0.1f}}) {
        engine::SamplingParams p;
        p.temperature = c.temperature;
        p.top_k = c.top_k;
        p.top_p = c.top_p;
        p.min_p = c.min_p;
        p.repetition_penalty = 1.1f;
        p.frequency_penalty = 0.2f;
        p.presence_penalty = 0.1f;
        p.penalty_last_n = 32;
        p.n_top_logprobs = 5;
        p.logit_bias[7] = -1.0f;
        p.logit_mask = [](std::span<float> x) { x[3] = -std::numeric_limits<float>::infinity(); };
        auto s = engine::Sampler::create(p);
        ASSERT_TRUE(s.ok());
        engine::SampledToken info;
        s->accept(s->sample(logits, &info));  // first call sizes the scratch
        const long before = g_allocations.load();
        for (int i = 0; i < 30; ++i) s->accept(s->sample(logits, &info));
        EXPECT_EQ(g_allocations.load() - before, 0) << "temperature " << c.temperature << " top_k " << c.top_k
                                                    << " top_p " << c.top_p << " min_p " << c.min_p;
    }
}
