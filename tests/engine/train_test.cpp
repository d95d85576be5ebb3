// TrainingPass on tiny models of every architecture: the training forward's
// log-probabilities equal the decode loop's bit for bit, gradients of the
// adapter match central finite differences of the double-precision reference
// forward, and recomputation or the thread count change nothing.
#include "engine/train.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "engine/kv_cache.h"
#include "engine/lora.h"
#include "engine/model.h"
#include "model/reference_forward.h"
#include "sampling/sampling_ops.h"
#include "tiny_model.h"

namespace {

using namespace engine;

const std::vector<LoraTarget> kAllTargets = {LoraTarget::q,    LoraTarget::k,  LoraTarget::v,   LoraTarget::o,
                                             LoraTarget::gate, LoraTarget::up, LoraTarget::down};

LoraAdapter random_adapter(const ModelConfig& c, int64_t rank, float scale, uint32_t seed,
                           float spread = 0.2f) {
    auto a = LoraAdapter::create(c, rank, scale, kAllTargets);
    EXPECT_TRUE(a.ok());
    std::mt19937 rng(seed);
    std::normal_distribution<float> dist(0.0f, spread);
    a->for_each([&](int64_t, LoraTarget, LoraPair& p) {
        for (float& v : p.a) v = dist(rng);
        for (float& v : p.b) v = dist(rng);
    });
    return std::move(*a);
}

std::vector<int32_t> random_tokens(size_t n, int64_t n_vocab, uint32_t seed) {
    std::mt19937 rng(seed);
    std::vector<int32_t> t(n);
    for (auto& id : t) id = static_cast<int32_t>(rng() % static_cast<uint32_t>(n_vocab));
    return t;
}

std::vector<int64_t> positions(int64_t from, int64_t to) {
    std::vector<int64_t> p;
    for (int64_t i = from; i < to; ++i) p.push_back(i);
    return p;
}

class TrainPassTest : public ::testing::TestWithParam<std::tuple<Arch, DType>> {};

// Generation computes a prompt in chunks and then one token at a time; the
// training pass computes the whole sequence at once. Same numbers, exactly.
TEST_P(TrainPassTest, LogprobsEqualTheDecodeLoopExactly) {
    auto [arch, type] = GetParam();
    auto t = tiny::load(tiny::default_spec(arch, type));
    ASSERT_TRUE(t->model);
    const Model& m = *t->model;
    const ModelConfig& c = m.config();
    LoraAdapter adapter = random_adapter(c, 4, 0.5f, 5);
    const auto tokens = random_tokens(20, c.n_vocab, 9);
    const int64_t n_prompt = 7, n = 20;

    ThreadPool pool(2);
    auto cache = KvCache::create(c, 64, 3);  // prompt chunks of 3 tokens
    ASSERT_TRUE(cache.ok());
    std::vector<float> logits(static_cast<size_t>(c.n_vocab));
    std::vector<double> decode_lp;
    ASSERT_TRUE(m.forward(**cache, std::span(tokens).first(n_prompt), 0, LogitsMode::last, logits.data(),
                          pool, &adapter)
                    .ok());
    for (int64_t p = n_prompt; p < n; ++p) {
        const auto norm = sampling::log_normalizer(logits);
        decode_lp.push_back(norm.logprob(logits[static_cast<size_t>(tokens[static_cast<size_t>(p)])]));
        ASSERT_TRUE(m.forward(**cache, std::span(tokens).subspan(static_cast<size_t>(p), 1), p,
                              LogitsMode::last, logits.data(), pool, &adapter)
                        .ok());
    }

    for (bool recompute : {true, false}) {
        TrainingPassOptions o;
        o.recompute = recompute;
        o.logits_chunk = 5;
        auto pass = TrainingPass::create(m, 32, o);
        ASSERT_TRUE(pass.ok()) << pass.error().message;
        ForwardOptions f;
        f.adapter = &adapter;
        const auto targets = positions(n_prompt, n);
        auto scores = (*pass)->forward(tokens, targets, f, pool);
        ASSERT_TRUE(scores.ok()) << scores.error().message;
        ASSERT_EQ(scores->logprob.size(), decode_lp.size());
        for (size_t i = 0; i < decode_lp.size(); ++i) {
            EXPECT_EQ(scores->logprob[i], decode_lp[i]) << "target " << i << " recompute " << recompute;
            EXPECT_GE(scores->entropy[i], 0.0f);
            EXPECT_LE(scores->entropy[i], std::log(float(c.n_vocab)) + 1e-4f);
        }
    }
}

// log p of the targets from the double-precision reference forward (float logits, normalised in double).
double reference_loss(const Model& m, const std::vector<int32_t>& tokens, const std::vector<int64_t>& targets,
                      const std::vector<double>& coef, const LoraAdapter& adapter) {
    const auto V = static_cast<size_t>(m.config().n_vocab);
    std::vector<float> logits(tokens.size() * V);
    EXPECT_TRUE(reference_forward(m, tokens, LogitsMode::all, logits.data(), &adapter).ok());
    double loss = 0.0;
    for (size_t i = 0; i < targets.size(); ++i) {
        const float* row = &logits[static_cast<size_t>(targets[i] - 1) * V];
        const auto norm = sampling::log_normalizer(std::span<const float>(row, V));
        loss += coef[i] * norm.logprob(row[static_cast<size_t>(tokens[static_cast<size_t>(targets[i])])]);
    }
    return loss;
}

// d(sum_i coef_i logprob_i)/d(adapter) against central differences on a sample of A and B entries.
class TrainGradientTest : public TrainPassTest {};

TEST_P(TrainGradientTest, AdapterGradientsMatchFiniteDifferences) {
    auto [arch, type] = GetParam();
    auto t = tiny::load(tiny::default_spec(arch, type));
    ASSERT_TRUE(t->model);
    const Model& m = *t->model;
    const ModelConfig& c = m.config();
    LoraAdapter adapter = random_adapter(c, 3, 0.7f, 21, 0.3f);
    const auto tokens = random_tokens(12, c.n_vocab, 4);
    const auto targets = positions(3, 12);
    std::vector<double> coef;
    std::mt19937 rng(8);
    for (size_t i = 0; i < targets.size(); ++i)
        coef.push_back(std::uniform_real_distribution<double>(-1, 1)(rng));

    ThreadPool pool(2);
    auto pass = TrainingPass::create(m, 16);
    ASSERT_TRUE(pass.ok());
    ForwardOptions f;
    f.adapter = &adapter;
    ASSERT_TRUE((*pass)->forward(tokens, targets, f, pool).ok());
    LoraAdapter grads = LoraAdapter::zeros_like(adapter);
    auto st = (*pass)->backward(coef, grads, pool);
    ASSERT_TRUE(st.ok()) << st.error().message;

    // Float bases: every sampled entry within 2%. Quantized bases: the fast
    // forward quantizes activations to int8 (like llama.cpp) while the reference
    // does not, which moves individual entries by tens of percent; the gradient
    // as a whole must still point the same way (cosine similarity).
    const bool exact_base = type == DType::F32;
    std::vector<double> analytic_all, numeric_all;
    int checked = 0;
    double worst = 0.0;
    for (int64_t il : {int64_t{0}, c.n_layer - 1})
        for (LoraTarget target : kAllTargets) {
            LoraPair* p = adapter.find(il, target);
            LoraPair* gp = grads.find(il, target);
            for (int which = 0; which < 2; ++which) {
                std::vector<float>& values = which == 0 ? p->a : p->b;
                std::vector<float>& gv = which == 0 ? gp->a : gp->b;
                for (size_t idx : {size_t{0}, values.size() / 2, values.size() - 1}) {
                    const float saved = values[idx];
                    const float h = 5e-3f;  // smaller steps drown in the float rounding of the logits
                    values[idx] = saved + h;
                    const double up = reference_loss(m, tokens, targets, coef, adapter);
                    values[idx] = saved - h;
                    const double down = reference_loss(m, tokens, targets, coef, adapter);
                    values[idx] = saved;
                    const double numeric = (up - down) / (2.0 * double(h));
                    const double analytic = gv[idx];
                    analytic_all.push_back(analytic);
                    numeric_all.push_back(numeric);
                    const double err = std::abs(numeric - analytic) / std::max(1e-2, std::abs(numeric));
                    worst = std::max(worst, err);
                    if (exact_base) {
                        EXPECT_LT(err, 2e-2)
                            << "layer " << il << " " << lora_target_name(target) << (which == 0 ? " A" : " B")
                            << "[" << idx << "]: analytic " << analytic << " numeric " << numeric;
                    }
                    ++checked;
                }
            }
        }
    EXPECT_EQ(checked, 2 * 7 * 2 * 3);
    double dot = 0.0, na = 0.0, nn = 0.0;
    for (size_t i = 0; i < analytic_all.size(); ++i) {
        dot += analytic_all[i] * numeric_all[i];
        na += analytic_all[i] * analytic_all[i];
        nn += numeric_all[i] * numeric_all[i];
    }
    const double cosine = dot / std::sqrt(na * nn);
    EXPECT_GT(cosine, exact_base ? 0.9999 : 0.97) << "worst entry error " << worst;
    // A gradient that is identically zero would pass a relative check against a zero numeric one; make
    // sure the sampled entries carry signal.
    double norm = 0.0;
    grads.for_each([&](int64_t, LoraTarget, const LoraPair& p) {
        for (float v : p.a) norm += double(v) * v;
        for (float v : p.b) norm += double(v) * v;
    });
    EXPECT_GT(norm, 1e-6);
    RecordProperty("worst_relative_error", std::to_string(worst));
}

TEST_P(TrainPassTest, GradientsIndependentOfRecomputationAndThreads) {
    auto [arch, type] = GetParam();
    auto t = tiny::load(tiny::default_spec(arch, type));
    ASSERT_TRUE(t->model);
    const Model& m = *t->model;
    LoraAdapter adapter = random_adapter(m.config(), 2, 1.0f, 2);
    const auto tokens = random_tokens(10, m.config().n_vocab, 3);
    const auto targets = positions(1, 10);
    std::vector<double> coef(targets.size(), -1.0 / double(targets.size()));
    std::vector<LoraAdapter> results;
    for (auto [recompute, threads] : {std::pair{true, 1}, std::pair{false, 2}, std::pair{true, 3}}) {
        ThreadPool pool(threads);
        TrainingPassOptions o;
        o.recompute = recompute;
        o.logits_chunk = 4;
        auto pass = TrainingPass::create(m, 10, o);
        ASSERT_TRUE(pass.ok());
        ForwardOptions f;
        f.adapter = &adapter;
        ASSERT_TRUE((*pass)->forward(tokens, targets, f, pool).ok());
        results.push_back(LoraAdapter::zeros_like(adapter));
        ASSERT_TRUE((*pass)->backward(coef, results.back(), pool).ok());
    }
    for (size_t r = 1; r < results.size(); ++r)
        results[0].for_each([&](int64_t il, LoraTarget tg, const LoraPair& p) {
            const LoraPair* q = results[r].find(il, tg);
            EXPECT_EQ(p.a, q->a) << "layer " << il << " " << lora_target_name(tg);
            EXPECT_EQ(p.b, q->b) << "layer " << il << " " << lora_target_name(tg);
        });
}

std::string case_name(const ::testing::TestParamInfo<std::tuple<Arch, DType>>& info) {
    return std::string(arch_name(std::get<0>(info.param))) + "_" +
           std::string(dtype_name(std::get<1>(info.param)));
}

INSTANTIATE_TEST_SUITE_P(
    Archs, TrainPassTest,
    ::testing::Combine(::testing::Values(Arch::llama, Arch::qwen2, Arch::qwen3, Arch::gemma3),
                       ::testing::Values(DType::F32, DType::Q8_0, DType::Q4_1, DType::Q4_K)),
    case_name);

// The finite-difference check on a float base and on a quantized one (QLoRA-style).
INSTANTIATE_TEST_SUITE_P(Archs, TrainGradientTest,
                         ::testing::Combine(::testing::Values(Arch::llama, Arch::qwen2, Arch::qwen3,
                                                              Arch::gemma3),
                                            ::testing::Values(DType::F32, DType::Q8_0)),
                         case_name);

TEST(TrainPass, RejectsBadInput) {
    auto t = tiny::load(tiny::default_spec(Arch::llama, DType::F32));
    ASSERT_TRUE(t->model);
    const Model& m = *t->model;
    ThreadPool pool(1);
    auto pass = TrainingPass::create(m, 8);
    ASSERT_TRUE(pass.ok());
    std::vector<int32_t> tokens = {1, 2, 3, 4};
    std::vector<int64_t> bad_order = {3, 2};
    std::vector<int64_t> zero = {0};
    ForwardOptions f;
    EXPECT_FALSE((*pass)->forward(tokens, bad_order, f, pool).ok());
    EXPECT_FALSE((*pass)->forward(tokens, zero, f, pool).ok());
    std::vector<int32_t> long_seq(9, 1);
    EXPECT_FALSE((*pass)->forward(long_seq, {}, f, pool).ok());
    std::vector<int32_t> oov = {1, 100000};
    EXPECT_FALSE((*pass)->forward(oov, {}, f, pool).ok());
    LoraAdapter grads;
    std::vector<double> d = {1.0};
    EXPECT_FALSE((*pass)->backward(d, grads, pool).ok());  // no forward yet
    EXPECT_FALSE(TrainingPass::create(m, 1).ok());
}

}  // namespace
