// LoRA adapters applied unmerged in the fast forward pass: against the
// double-precision reference forward with the same adapter, strength 0 and a
// zero B giving the base model exactly, and shape checks.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "engine/kv_cache.h"
#include "engine/lora.h"
#include "engine/model.h"
#include "model/reference_forward.h"
#include "tiny_model.h"

namespace {

using namespace engine;

const std::vector<LoraTarget> kAllTargets = {LoraTarget::q,    LoraTarget::k,  LoraTarget::v,   LoraTarget::o,
                                             LoraTarget::gate, LoraTarget::up, LoraTarget::down};

LoraAdapter random_adapter(const ModelConfig& c, int64_t rank, float scale, uint32_t seed) {
    auto a = LoraAdapter::create(c, rank, scale, kAllTargets);
    EXPECT_TRUE(a.ok());
    std::mt19937 rng(seed);
    std::normal_distribution<float> dist(0.0f, 0.2f);
    a->for_each([&](int64_t, LoraTarget, LoraPair& p) {
        for (float& v : p.a) v = dist(rng);
        for (float& v : p.b) v = dist(rng);
    });
    return std::move(*a);
}

double max_rel_error(const std::vector<float>& a, const std::vector<float>& ref) {
    double diff = 0.0, sq = 0.0;
    for (size_t i = 0; i < a.size(); ++i) {
        diff = std::max(diff, std::abs(double(a[i]) - double(ref[i])));
        sq += double(ref[i]) * ref[i];
    }
    return diff / std::sqrt(sq / double(a.size()));
}

class LoraForwardTest : public ::testing::TestWithParam<std::tuple<Arch, DType>> {};

TEST_P(LoraForwardTest, MatchesReferenceWithAdapter) {
    auto [arch, type] = GetParam();
    auto t = tiny::load(tiny::default_spec(arch, type));
    ASSERT_TRUE(t->model);
    const Model& m = *t->model;
    const ModelConfig& c = m.config();
    LoraAdapter adapter = random_adapter(c, 4, 0.5f, 11);
    adapter.strength = 0.8f;
    std::vector<int32_t> tokens = {1, 5, 9, 2, 7, 3, 11, 4, 8, 6};
    const size_t n = tokens.size();
    const auto V = static_cast<size_t>(c.n_vocab);
    std::vector<float> ref(n * V), fast(n * V), base(n * V);
    ASSERT_TRUE(reference_forward(m, tokens, LogitsMode::all, ref.data(), &adapter).ok());
    ThreadPool pool(2);
    auto cache = KvCache::create(c, 32);
    ASSERT_TRUE(cache.ok());
    auto st = m.forward(**cache, tokens, 0, LogitsMode::all, fast.data(), pool, &adapter);
    ASSERT_TRUE(st.ok()) << st.error().message;
    // Float weights: float vs double rounding; quantized: int8 activations (see model_tiny_test).
    const double tol = type == DType::F32 ? 1e-4 : 0.12;
    EXPECT_LT(max_rel_error(fast, ref), tol);

    // The adapter must change the logits measurably (it is not silently ignored).
    ASSERT_TRUE(m.forward(**cache, tokens, 0, LogitsMode::all, base.data(), pool).ok());
    EXPECT_GT(max_rel_error(base, fast), 0.01);

    // Strength 0 and a zero B are the base model, bit for bit.
    adapter.strength = 0.0f;
    ASSERT_TRUE(m.forward(**cache, tokens, 0, LogitsMode::all, fast.data(), pool, &adapter).ok());
    EXPECT_EQ(fast, base);
    LoraAdapter fresh = LoraAdapter::zeros_like(adapter);
    fresh.strength = 1.0f;
    fresh.for_each([&](int64_t, LoraTarget, LoraPair& p) { std::fill(p.a.begin(), p.a.end(), 0.3f); });
    ASSERT_TRUE(m.forward(**cache, tokens, 0, LogitsMode::all, fast.data(), pool, &fresh).ok());
    EXPECT_EQ(fast, base);
}

std::string case_name(const ::testing::TestParamInfo<std::tuple<Arch, DType>>& info) {
    return std::string(arch_name(std::get<0>(info.param))) + "_" +
           std::string(dtype_name(std::get<1>(info.param)));
}

INSTANTIATE_TEST_SUITE_P(Archs, LoraForwardTest,
                         ::testing::Combine(::testing::Values(Arch::llama, Arch::qwen2, Arch::qwen3,
                                                              Arch::gemma3),
                                            ::testing::Values(DType::F32, DType::Q4_1, DType::Q4_K)),
                         case_name);

TEST(LoraForward, RejectsAdapterOfAnotherShape) {
    auto small = tiny::load(tiny::default_spec(Arch::llama, DType::F32));
    tiny::TinySpec wide = tiny::default_spec(Arch::llama, DType::F32);
    wide.n_ff = 256;
    auto other = tiny::load(wide);
    ASSERT_TRUE(small->model && other->model);
    LoraAdapter adapter = random_adapter(other->model->config(), 2, 1.0f, 3);
    ThreadPool pool(1);
    auto cache = KvCache::create(small->model->config(), 8);
    ASSERT_TRUE(cache.ok());
    std::vector<int32_t> tokens = {1, 2};
    std::vector<float> logits(static_cast<size_t>(small->model->config().n_vocab));
    auto st = small->model->forward(**cache, tokens, 0, LogitsMode::last, logits.data(), pool, &adapter);
    ASSERT_FALSE(st.ok());
    EXPECT_NE(st.error().message.find("does not fit"), std::string::npos) << st.error().message;

    LoraPair bad;
    bad.rank = 2;
    bad.in = 7;
    bad.out = 7;
    bad.a.assign(14, 0.0f);
    bad.b.assign(14, 0.0f);
    EXPECT_FALSE(adapter.set(small->model->config(), 0, LoraTarget::q, bad).ok());
    EXPECT_FALSE(LoraAdapter::create(small->model->config(), 0, 1.0f, kAllTargets).ok());
}

}  // namespace
