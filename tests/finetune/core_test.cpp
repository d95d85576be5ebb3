// LoRA configuration and initialisation, AdamW (against torch.optim.AdamW),
// learning-rate schedules, gradient clipping and scaling.
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <set>

#include "engine/json.h"
#include "finetune/lora_config.h"
#include "finetune/optimizer.h"
#include "finetune/schedule.h"
#include "test_util.h"

namespace {

using engine::LoraAdapter;
using engine::LoraPair;
using engine::LoraTarget;
using finetune::LoraConfig;

TEST(LoraConfig, ParsesTargets) {
    auto all = finetune::parse_lora_targets("all-linear");
    ASSERT_TRUE(all.ok());
    EXPECT_EQ(all->size(), 7u);
    auto some = finetune::parse_lora_targets(" v_proj, q_proj ,q_proj,down_proj");
    ASSERT_TRUE(some.ok()) << some.error().message;
    EXPECT_EQ(*some, (std::vector<LoraTarget>{LoraTarget::q, LoraTarget::v, LoraTarget::down}));
    EXPECT_EQ(finetune::format_lora_targets(*some), "q_proj,v_proj,down_proj");
    auto bad = finetune::parse_lora_targets("q_proj,lm_head");
    ASSERT_FALSE(bad.ok());
    EXPECT_NE(bad.error().message.find("'lm_head'"), std::string::npos) << bad.error().message;
    EXPECT_FALSE(finetune::parse_lora_targets("").ok());
    EXPECT_FALSE(finetune::parse_lora_targets("q_proj,").ok());
}

TEST(LoraConfig, ScaleIsAlphaOverRankOrSqrtRank) {
    LoraConfig c;
    EXPECT_FLOAT_EQ(c.scale(), 2.0f);  // defaults: alpha 32, rank 16
    c.use_rslora = true;
    EXPECT_FLOAT_EQ(c.scale(), 8.0f);
    EXPECT_EQ(finetune::lora_scale(16.0, 3, false), static_cast<float>(16.0 / 3.0));
    EXPECT_EQ(finetune::lora_scale(16.0, 3, true), static_cast<float>(16.0 / std::sqrt(3.0)));
}

TEST(LoraConfig, ValidatesAndRoundTripsJson) {
    LoraConfig c;
    c.rank = 0;
    EXPECT_FALSE(finetune::validate_lora_config(c).ok());
    c.rank = 4;
    c.dropout = 1.0f;
    EXPECT_FALSE(finetune::validate_lora_config(c).ok());
    c.dropout = 0.05f;
    c.targets = {LoraTarget::k, LoraTarget::up};
    c.seed = 18446744073709551615ull;  // beyond int64: stored as a string
    c.use_rslora = true;
    auto back = finetune::lora_config_from_json(finetune::lora_config_to_json(c));
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_EQ(back->rank, 4);
    EXPECT_EQ(back->alpha, c.alpha);
    EXPECT_EQ(back->dropout, c.dropout);
    EXPECT_TRUE(back->use_rslora);
    EXPECT_EQ(back->targets, c.targets);
    EXPECT_EQ(back->seed, c.seed);
    auto parsed = engine::json::parse(R"({"rank": 8, "targets": "all-linear", "seed": 3})");
    ASSERT_TRUE(parsed.ok());
    auto from = finetune::lora_config_from_json(*parsed);
    ASSERT_TRUE(from.ok());
    EXPECT_EQ(from->rank, 8);
    EXPECT_EQ(from->targets.size(), 7u);
    EXPECT_EQ(from->seed, 3u);
    auto wrong = engine::json::parse(R"({"rank": "eight"})");
    ASSERT_TRUE(wrong.ok());
    auto err = finetune::lora_config_from_json(*wrong);
    ASSERT_FALSE(err.ok());
    EXPECT_NE(err.error().message.find("'rank'"), std::string::npos);
}

TEST(LoraInit, ShapesZeroBAndUniformA) {
    const auto model = fttest::small_config(engine::Arch::llama, 3);
    LoraConfig c;
    c.rank = 8;
    c.seed = 42;
    auto adapter = finetune::make_adapter(c, model);
    ASSERT_TRUE(adapter.ok()) << adapter.error().message;
    int pairs = 0;
    adapter->for_each([&](int64_t, LoraTarget t, const LoraPair& p) {
        ++pairs;
        EXPECT_EQ(p.rank, 8);
        EXPECT_EQ(p.in, engine::lora_target_in(model, t));
        EXPECT_EQ(p.out, engine::lora_target_out(model, t));
        EXPECT_FLOAT_EQ(p.scale, 4.0f);
        for (float b : p.b) ASSERT_EQ(b, 0.0f);
        // U(-k, k) with k = 1/sqrt(in): inside the bounds, mean ~0, variance ~k^2/3.
        const double k = 1.0 / std::sqrt(double(p.in));
        double sum = 0, sum_sq = 0;
        for (float a : p.a) {
            ASSERT_GE(a, -k);
            ASSERT_LT(a, k);
            sum += a;
            sum_sq += double(a) * a;
        }
        const double n = double(p.a.size()), mean = sum / n, var = sum_sq / n - mean * mean;
        EXPECT_NEAR(mean, 0.0, 4.0 * k / std::sqrt(3.0 * n));  // 4 standard errors
        EXPECT_NEAR(var / (k * k / 3.0), 1.0, 0.15);
    });
    EXPECT_EQ(pairs, 3 * 7);
}

TEST(LoraInit, DeterministicPerSeedAndIndependentOfOtherTargets) {
    const auto model = fttest::small_config();
    LoraConfig c;
    c.rank = 4;
    c.seed = 7;
    auto a1 = finetune::make_adapter(c, model);
    auto a2 = finetune::make_adapter(c, model);
    ASSERT_TRUE(a1.ok() && a2.ok());
    c.seed = 8;
    auto other_seed = finetune::make_adapter(c, model);
    c.seed = 7;
    c.targets = {LoraTarget::v};
    auto only_v = finetune::make_adapter(c, model);
    ASSERT_TRUE(other_seed.ok() && only_v.ok());
    EXPECT_EQ(a1->find(1, LoraTarget::q)->a, a2->find(1, LoraTarget::q)->a);
    EXPECT_NE(a1->find(1, LoraTarget::q)->a, other_seed->find(1, LoraTarget::q)->a);
    EXPECT_NE(a1->find(0, LoraTarget::q)->a, a1->find(1, LoraTarget::q)->a);
    EXPECT_EQ(a1->find(1, LoraTarget::v)->a, only_v->find(1, LoraTarget::v)->a);
    EXPECT_EQ(only_v->find(1, LoraTarget::q), nullptr);
}

TEST(Rng, StateRoundTripsAndBelowStaysInRange) {
    finetune::Rng rng(123);
    for (int i = 0; i < 10; ++i) rng.next_u64();
    finetune::Rng copy(0);
    ASSERT_TRUE(copy.set_state(rng.state()));
    for (int i = 0; i < 100; ++i) ASSERT_EQ(copy.next_u64(), rng.next_u64());
    EXPECT_FALSE(copy.set_state({0, 0, 0, 0}));
    std::set<uint64_t> seen;
    for (int i = 0; i < 1000; ++i) {
        uint64_t x = rng.below(7);
        ASSERT_LT(x, 7u);
        seen.insert(x);
    }
    EXPECT_EQ(seen.size(), 7u);
}

// One q_proj pair of rank 2 on a 4-wide model: A [2, 4] then B [4, 2] = 16 parameters.
LoraAdapter one_pair_adapter() {
    engine::ModelConfig c = fttest::small_config(engine::Arch::llama, 1);
    c.n_embd = 4;
    c.n_head = 1;
    c.n_head_kv = 1;
    c.head_dim = 4;
    auto a = LoraAdapter::create(c, 2, 1.0f, {LoraTarget::q});
    EXPECT_TRUE(a.ok());
    return std::move(*a);
}

void set_flat(LoraAdapter& adapter, const std::vector<float>& values) {
    size_t i = 0;
    adapter.for_each([&](int64_t, LoraTarget, LoraPair& p) {
        for (float& x : p.a) x = values[i++];
        for (float& x : p.b) x = values[i++];
    });
}

std::vector<float> flat(const LoraAdapter& adapter) {
    std::vector<float> out;
    adapter.for_each([&](int64_t, LoraTarget, const LoraPair& p) {
        out.insert(out.end(), p.a.begin(), p.a.end());
        out.insert(out.end(), p.b.begin(), p.b.end());
    });
    return out;
}

std::vector<float> floats(const engine::json::Value& v) {
    std::vector<float> out;
    for (const auto& x : v.as_array()) out.push_back(static_cast<float>(x.as_double()));
    return out;
}

TEST(AdamW, FirstStepMovesEachParameterByLrTimesSign) {
    // With zero moments, m_hat = g and v_hat = g^2, so the step is lr * g / (|g| + eps).
    LoraAdapter p = one_pair_adapter(), g = LoraAdapter::zeros_like(p);
    std::vector<float> p0(16), g0(16);
    for (int i = 0; i < 16; ++i) {
        p0[i] = 0.1f * float(i - 8);
        g0[i] = (i % 2 ? 1.0f : -1.0f) * 0.01f * float(i + 1);
    }
    set_flat(p, p0);
    set_flat(g, g0);
    finetune::AdamW opt({0.9, 0.999, 1e-8, 0.1});
    ASSERT_TRUE(opt.step(p, g, 0.01f).ok());
    const auto p1 = flat(p);
    for (int i = 0; i < 16; ++i) {
        const double expected = double(p0[i]) * (1.0 - 0.01 * 0.1) - 0.01 * (g0[i] > 0 ? 1.0 : -1.0);
        EXPECT_NEAR(p1[i], expected, 2e-7) << i;
    }
    EXPECT_EQ(opt.state().step, 1);
    EXPECT_NEAR(opt.state().m[3], 0.1 * g0[3], 1e-9);
    EXPECT_NEAR(opt.state().v[3], 0.001 * double(g0[3]) * g0[3], 1e-13);
}

TEST(AdamW, MatchesTorchAdamW) {
    auto golden = engine::json::parse_file(fttest::golden_dir() + "/finetune/adamw.json");
    ASSERT_TRUE(golden.ok()) << golden.error().message;
    const auto& o = (*golden)["options"];
    finetune::AdamW opt({o["beta1"].as_double(), o["beta2"].as_double(), o["eps"].as_double(),
                         o["weight_decay"].as_double()});
    LoraAdapter p = one_pair_adapter(), g = LoraAdapter::zeros_like(p);
    set_flat(p, floats((*golden)["params0"]));
    const auto& grads = (*golden)["grads"];
    const auto& lrs = (*golden)["lrs"];
    ASSERT_EQ(grads.size(), 4u);
    for (size_t s = 0; s < grads.size(); ++s) {
        set_flat(g, floats(grads[s]));
        ASSERT_TRUE(opt.step(p, g, float(lrs[s].as_double())).ok());
        const auto expected = floats((*golden)["params"][s]);
        const auto got = flat(p);
        for (size_t i = 0; i < got.size(); ++i)
            EXPECT_NEAR(got[i], expected[i], 1e-6 * (1.0 + std::fabs(expected[i])))
                << "step " << s << " i " << i;
    }
    const auto m = floats((*golden)["exp_avg"]), v = floats((*golden)["exp_avg_sq"]);
    for (size_t i = 0; i < m.size(); ++i) {
        EXPECT_NEAR(opt.state().m[i], m[i], 1e-6 * std::fabs(m[i]));
        EXPECT_NEAR(opt.state().v[i], v[i], 1e-6 * std::fabs(v[i]));
    }
}

TEST(AdamW, RestoredStateContinuesBitwise) {
    LoraAdapter p = one_pair_adapter(), g = LoraAdapter::zeros_like(p);
    fttest::fill_random(p, 1);
    finetune::AdamW a({0.9, 0.95, 1e-6, 0.01});
    for (int s = 0; s < 3; ++s) {
        fttest::fill_random(g, 10 + s);
        ASSERT_TRUE(a.step(p, g, 1e-3f).ok());
    }
    LoraAdapter p_copy = p;
    finetune::AdamW b(a.options());
    ASSERT_TRUE(b.set_state(a.state()).ok());
    fttest::fill_random(g, 99);
    ASSERT_TRUE(a.step(p, g, 1e-3f).ok());
    ASSERT_TRUE(b.step(p_copy, g, 1e-3f).ok());
    EXPECT_EQ(flat(p), flat(p_copy));
    EXPECT_EQ(a.state().m, b.state().m);
    EXPECT_EQ(a.state().v, b.state().v);
}

TEST(AdamW, RejectsMismatchedShapesAndState) {
    LoraAdapter p = one_pair_adapter();
    auto other = LoraAdapter::create(fttest::small_config(), 2, 1.0f, {LoraTarget::q});
    ASSERT_TRUE(other.ok());
    finetune::AdamW opt;
    auto st = opt.step(p, *other, 0.1f);
    ASSERT_FALSE(st.ok());
    EXPECT_NE(st.error().message.find("[adamw]"), std::string::npos);
    EXPECT_FALSE(opt.set_state({3, {1.0f}, {}}).ok());
    EXPECT_FALSE(opt.set_state({-1, {}, {}}).ok());
    ASSERT_TRUE(opt.set_state({2, std::vector<float>(5), std::vector<float>(5)}).ok());
    EXPECT_FALSE(opt.step(p, LoraAdapter::zeros_like(p), 0.1f).ok());  // 5 values for 16 parameters
    EXPECT_FALSE(finetune::AdamW().step(p, LoraAdapter::zeros_like(p), -1.0f).ok());
}

TEST(Gradients, ClipToGlobalNormAndScale) {
    LoraAdapter g = one_pair_adapter();
    std::vector<float> v(16, 0.0f);
    v[0] = 3.0f;
    v[15] = 4.0f;  // norm 5
    set_flat(g, v);
    EXPECT_DOUBLE_EQ(finetune::grad_norm(g), 5.0);
    EXPECT_DOUBLE_EQ(finetune::clip_grad_norm(g, 10.0), 5.0);
    EXPECT_EQ(flat(g)[0], 3.0f);  // below the limit: unchanged
    EXPECT_DOUBLE_EQ(finetune::clip_grad_norm(g, 1.0), 5.0);
    EXPECT_NEAR(flat(g)[0], 0.6, 1e-6);
    EXPECT_NEAR(flat(g)[15], 0.8, 1e-6);
    EXPECT_NEAR(finetune::grad_norm(g), 1.0, 1e-6);
    finetune::scale_gradients(g, 0.5f);
    EXPECT_NEAR(finetune::grad_norm(g), 0.5, 1e-6);
    v[3] = std::nanf("");
    set_flat(g, v);
    EXPECT_TRUE(std::isnan(finetune::clip_grad_norm(g, 1.0)));
    EXPECT_EQ(flat(g)[0], 3.0f);  // a non-finite norm leaves the gradients alone
}

TEST(Schedule, WarmupThenDecay) {
    finetune::LrSchedule s;
    s.peak_lr = 1.0;
    s.warmup_steps = 4;
    s.total_steps = 14;
    s.min_lr_ratio = 0.1;
    ASSERT_TRUE(s.validate().ok());
    for (auto kind : {finetune::LrScheduleKind::constant, finetune::LrScheduleKind::linear,
                      finetune::LrScheduleKind::cosine}) {
        s.kind = kind;
        EXPECT_DOUBLE_EQ(s.lr_at(0), 0.25);
        EXPECT_DOUBLE_EQ(s.lr_at(3), 1.0);
        EXPECT_DOUBLE_EQ(s.lr_at(4), 1.0);
    }
    s.kind = finetune::LrScheduleKind::constant;
    EXPECT_DOUBLE_EQ(s.lr_at(13), 1.0);
    s.kind = finetune::LrScheduleKind::linear;
    EXPECT_DOUBLE_EQ(s.lr_at(9), 0.1 + 0.9 * 0.5);
    EXPECT_DOUBLE_EQ(s.lr_at(14), 0.1);
    EXPECT_DOUBLE_EQ(s.lr_at(100), 0.1);
    s.kind = finetune::LrScheduleKind::cosine;
    EXPECT_NEAR(s.lr_at(9), 0.1 + 0.9 * 0.5, 1e-15);
    EXPECT_NEAR(s.lr_at(6), 0.1 + 0.9 * 0.5 * (1.0 + std::cos(std::numbers::pi * 0.2)), 1e-15);
    EXPECT_DOUBLE_EQ(s.lr_at(14), 0.1);
    for (int64_t i = 4; i < 14; ++i) EXPECT_GE(s.lr_at(i), s.lr_at(i + 1));
}

TEST(Schedule, ParsesNamesAndValidates) {
    auto k = finetune::parse_lr_schedule("linear");
    ASSERT_TRUE(k.ok());
    EXPECT_EQ(*k, finetune::LrScheduleKind::linear);
    EXPECT_FALSE(finetune::parse_lr_schedule("step").ok());
    finetune::LrSchedule s;
    s.total_steps = 10;
    s.warmup_steps = 11;
    EXPECT_FALSE(s.validate().ok());
    s.warmup_steps = 0;
    s.min_lr_ratio = 1.5;
    EXPECT_FALSE(s.validate().ok());
    s.min_lr_ratio = 0.0;
    s.peak_lr = 0.0;
    EXPECT_FALSE(s.validate().ok());
}

}  // namespace
