// Behaviour of the public Sampler API: validation, greedy, seeding, logprobs,
// bias / mask / penalties end to end, extreme and invalid logits, huge vocab.
#include "engine/sampler.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>
#include <set>
#include <vector>

using engine::SampledToken;
using engine::Sampler;
using engine::SamplingParams;

namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

Sampler make(const SamplingParams& p) {
    auto s = Sampler::create(p);
    EXPECT_TRUE(s.ok()) << s.error().message;
    return std::move(s).value();
}

std::vector<float> random_logits(size_t n, uint32_t seed, float scale = 3.0f) {
    std::mt19937 gen(seed);  // test data only; the values need not be portable
    std::vector<float> v(n);
    for (auto& x : v) x = scale * (static_cast<float>(gen()) / 4294967296.0f * 2.0f - 1.0f);
    return v;
}

// Double-precision log-softmax reference, written independently of the engine.
std::vector<double> ref_log_softmax(const std::vector<float>& l) {
    double m = -std::numeric_limits<double>::infinity();
    for (float v : l) m = std::max(m, static_cast<double>(v));
    long double s = 0;
    for (float v : l) s += std::exp(static_cast<long double>(v) - m);
    std::vector<double> out(l.size());
    for (size_t i = 0; i < l.size(); ++i) out[i] = static_cast<double>(l[i] - m - std::log(s));
    return out;
}

}  // namespace

TEST(Sampler, RejectsInvalidParamsNamingTheValue) {
    auto expect_bad = [](SamplingParams p, const char* name) {
        auto s = Sampler::create(p);
        ASSERT_FALSE(s.ok()) << name;
        EXPECT_NE(s.error().message.find(name), std::string::npos) << s.error().message;
        EXPECT_EQ(s.error().message.rfind("[validate_sampling_params]", 0), 0u);
    };
    SamplingParams p;
    p.temperature = -0.1f;
    expect_bad(p, "temperature");
    p = {};
    p.temperature = kInf;
    expect_bad(p, "temperature");
    p = {};
    p.top_k = -1;
    expect_bad(p, "top_k");
    p = {};
    p.top_p = 0.0f;
    expect_bad(p, "top_p");
    p = {};
    p.top_p = 1.5f;
    expect_bad(p, "top_p");
    p = {};
    p.min_p = std::nanf("");
    expect_bad(p, "min_p");
    p = {};
    p.repetition_penalty = 0.0f;
    expect_bad(p, "repetition_penalty");
    p = {};
    p.frequency_penalty = kInf;
    expect_bad(p, "frequency_penalty");
    p = {};
    p.presence_penalty = std::nanf("");
    expect_bad(p, "presence_penalty");
    p = {};
    p.penalty_last_n = -2;
    expect_bad(p, "penalty_last_n");
    p = {};
    p.n_top_logprobs = 21;
    expect_bad(p, "n_top_logprobs");
    p = {};
    p.logit_bias[-4] = 1.0f;
    expect_bad(p, "logit_bias");
    p = {};
    p.logit_bias[4] = kInf;
    expect_bad(p, "logit_bias for token 4");
    p = {};
    p.logit_bias[4] = -kInf;  // -inf is the way to ban a token
    EXPECT_TRUE(Sampler::create(p).ok());
}

TEST(Sampler, GreedyPicksArgmaxRegardlessOfSeedAndTruncation) {
    SamplingParams p;
    p.temperature = 0.0f;
    p.top_k = 3;
    p.top_p = 0.5f;
    for (uint64_t seed : {1ull, 99ull}) {
        p.seed = seed;
        Sampler s = make(p);
        for (uint32_t row = 0; row < 50; ++row) {
            const auto l = random_logits(1000, row);
            const auto expected = std::max_element(l.begin(), l.end()) - l.begin();
            EXPECT_EQ(s.sample(l), expected);
        }
    }
    Sampler s = make(p);
    const std::vector<float> ties = {1.0f, 5.0f, -kInf, 5.0f, 5.0f};
    EXPECT_EQ(s.sample(ties), 1);  // ties go to the lowest id
}

TEST(Sampler, SameSeedSameSequenceDifferentSeedsDiffer) {
    SamplingParams p;
    p.temperature = 1.0f;
    p.top_k = 50;
    p.top_p = 0.95f;
    std::vector<std::vector<float>> rows;
    for (uint32_t r = 0; r < 200; ++r) rows.push_back(random_logits(500, r, 2.0f));
    auto run = [&](uint64_t seed) {
        p.seed = seed;
        Sampler s = make(p);
        std::vector<int32_t> seq;
        for (const auto& l : rows) seq.push_back(s.sample(l));
        return seq;
    };
    const auto a = run(1234);
    EXPECT_EQ(a, run(1234));
    const auto b = run(1235);
    int differing = 0;
    for (size_t i = 0; i < a.size(); ++i) differing += a[i] != b[i];
    EXPECT_GT(differing, 100) << "two seeds gave nearly the same tokens";

    // reset() restarts the random stream.
    p.seed = 1234;
    Sampler s = make(p);
    for (int i = 0; i < 17; ++i) (void)s.sample(rows[static_cast<size_t>(i)]);
    s.reset();
    std::vector<int32_t> again;
    for (const auto& l : rows) again.push_back(s.sample(l));
    EXPECT_EQ(again, a);
}

TEST(Sampler, LogprobsMatchDoubleReferenceAndSumToOne) {
    SamplingParams p;
    p.n_top_logprobs = 20;
    p.temperature = 0.8f;
    p.top_k = 5;  // truncation must not change the reported (raw) logprobs
    Sampler s = make(p);
    for (uint32_t row = 0; row < 20; ++row) {
        const auto l = random_logits(20, 100 + row, 8.0f);  // vocab of 20: every token is listed
        const auto ref = ref_log_softmax(l);
        SampledToken info;
        const int32_t id = s.sample(l, &info);
        ASSERT_GE(id, 0);
        EXPECT_EQ(info.id, id);
        EXPECT_NEAR(info.logprob, ref[static_cast<size_t>(id)], 1e-12);
        ASSERT_EQ(info.n_top, 20);
        double total = 0;
        for (const auto& t : info.top_logprobs()) {
            EXPECT_NEAR(t.logprob, ref[static_cast<size_t>(t.id)], 1e-12);
            total += std::exp(t.logprob);
        }
        EXPECT_NEAR(total, 1.0, 1e-12);
        std::set<int32_t> ids;
        for (const auto& t : info.top_logprobs()) ids.insert(t.id);
        EXPECT_EQ(ids.size(), 20u);
    }
}

TEST(Sampler, TopAlternativesAreTheHighestSorted) {
    SamplingParams p;
    p.n_top_logprobs = 7;
    Sampler s = make(p);
    auto l = random_logits(5000, 7);
    l[10] = l[20] = 50.0f;  // a tie at the top: lower id first
    SampledToken info;
    ASSERT_GE(s.sample(l, &info), 0);
    std::vector<int32_t> order(l.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&](int32_t a, int32_t b) { return l[size_t(a)] > l[size_t(b)]; });
    const auto ref = ref_log_softmax(l);
    ASSERT_EQ(info.n_top, 7);
    for (int i = 0; i < 7; ++i) {
        EXPECT_EQ(info.top[size_t(i)].id, order[size_t(i)]) << i;
        EXPECT_NEAR(info.top[size_t(i)].logprob, ref[size_t(order[size_t(i)])], 1e-12);
        if (i > 0) {
            EXPECT_GE(info.top[size_t(i - 1)].logprob, info.top[size_t(i)].logprob);
        }
    }
    EXPECT_EQ(info.top[0].id, 10);
    EXPECT_EQ(info.top[1].id, 20);
}

TEST(Sampler, ExtremeLogitsStayFinite) {
    SamplingParams p;
    p.n_top_logprobs = 5;
    Sampler s = make(p);
    const std::vector<float> l = {-1e30f, 1e30f, -kInf, 0.0f, -kInf, 1e30f};
    int hits[6] = {};
    for (int i = 0; i < 2000; ++i) {
        SampledToken info;
        const int32_t id = s.sample(l, &info);
        ASSERT_TRUE(id == 1 || id == 5) << id;  // everything else has probability exp(-1e30) = 0
        ++hits[id];
        EXPECT_NEAR(info.logprob, -std::log(2.0), 1e-12);  // two tokens share the mass
        ASSERT_EQ(info.n_top, 4);                          // the -inf tokens are not listed
        EXPECT_EQ(info.top[0].id, 1);
        EXPECT_EQ(info.top[1].id, 5);
        EXPECT_EQ(info.top[2].id, 3);
        EXPECT_EQ(info.top[3].id, 0);
        EXPECT_DOUBLE_EQ(info.top[2].logprob, -static_cast<double>(1e30f));  // finite, hugely negative
        EXPECT_TRUE(std::isfinite(info.top[3].logprob));
    }
    EXPECT_NEAR(hits[1] / 2000.0, 0.5, 0.05);

    // Temperature far below 1 and far above 1 on the same row.
    for (float t : {1e-20f, 1e20f}) {
        SamplingParams q;
        q.temperature = t;
        Sampler st = make(q);
        for (int i = 0; i < 200; ++i) {
            const int32_t id = st.sample(l);
            if (t < 1) {
                ASSERT_TRUE(id == 1 || id == 5);
            } else {
                ASSERT_TRUE(id == 0 || id == 1 || id == 3 || id == 5) << id;  // never a -inf token
            }
        }
    }

    // A token the model gives -inf but the mask re-enables has raw logprob -inf.
    SamplingParams m;
    m.logit_mask = [](std::span<float> x) {
        std::fill(x.begin(), x.end(), -kInf);
        x[2] = 0.0f;
    };
    Sampler sm = make(m);
    SampledToken info;
    EXPECT_EQ(sm.sample(l, &info), 2);
    EXPECT_EQ(info.logprob, -std::numeric_limits<double>::infinity());
}

TEST(Sampler, InvalidLogitsFailWithoutAborting) {
    SamplingParams p;
    p.logit_bias[10] = 1.0f;
    Sampler s = make(p);
    SampledToken info;
    EXPECT_EQ(s.sample(std::vector<float>{}, &info), -1);
    EXPECT_EQ(info.id, -1);
    EXPECT_NE(s.last_error().find("empty"), std::string::npos);

    std::vector<float> l(16, 0.0f);
    l[3] = std::nanf("");
    EXPECT_EQ(s.sample(l), -1);
    EXPECT_NE(s.last_error().find("logit 3 is nan"), std::string::npos) << s.last_error();
    l[3] = kInf;
    EXPECT_EQ(s.sample(l), -1);
    EXPECT_NE(s.last_error().find("logit 3 is inf"), std::string::npos) << s.last_error();

    std::vector<float> small(8, 0.0f);  // bias names token 10
    EXPECT_EQ(s.sample(small), -1);
    EXPECT_NE(s.last_error().find("token 10"), std::string::npos) << s.last_error();

    std::vector<float> banned(16, -kInf);
    EXPECT_EQ(s.sample(banned), -1);
    EXPECT_NE(s.last_error().find("forbidden"), std::string::npos) << s.last_error();

    std::vector<float> ok(16, 0.0f);
    EXPECT_GE(s.sample(ok), 0);
    EXPECT_TRUE(s.last_error().empty());

    s.set_logit_mask([](std::span<float> x) { x[5] = kInf; });
    EXPECT_EQ(s.sample(ok), -1);
    EXPECT_NE(s.last_error().find("logit 5 is inf after"), std::string::npos) << s.last_error();
}

TEST(Sampler, LogitBiasShiftsChoiceButNotReportedLogprob) {
    const std::vector<float> l = {1.0f, 3.0f, 2.0f};
    SamplingParams p;
    p.temperature = 0.0f;
    p.logit_bias[1] = -kInf;  // ban the argmax
    Sampler s = make(p);
    SampledToken info;
    EXPECT_EQ(s.sample(l, &info), 2);
    EXPECT_NEAR(info.logprob, ref_log_softmax(l)[2], 1e-12);
    p.logit_bias[1] = 0.0f;
    p.logit_bias[0] = 2.5f;  // 3.5 beats 3
    EXPECT_EQ(make(p).sample(l), 0);

    // Sampling never returns a banned token.
    SamplingParams q;
    q.logit_bias[1] = -kInf;
    q.logit_bias[2] = -kInf;
    Sampler sq = make(q);
    for (int i = 0; i < 100; ++i) ASSERT_EQ(sq.sample(l), 0);
}

TEST(Sampler, MaskHookForbidsTokens) {
    const auto l = random_logits(300, 3, 1.0f);
    SamplingParams p;
    p.top_k = 100;
    size_t seen_size = 0;
    p.logit_mask = [&](std::span<float> x) {
        seen_size = x.size();
        for (size_t i = 0; i < x.size(); ++i)
            if (i % 3 != 0) x[i] = -kInf;  // only multiples of 3 allowed
    };
    Sampler s = make(p);
    std::set<int32_t> drawn;
    for (int i = 0; i < 2000; ++i) {
        const int32_t id = s.sample(l);
        ASSERT_EQ(id % 3, 0) << id;
        drawn.insert(id);
    }
    EXPECT_EQ(seen_size, 300u);
    EXPECT_GT(drawn.size(), 50u);  // top-k 100 over the 100 allowed tokens: still random
    s.set_logit_mask({});
    bool other = false;
    for (int i = 0; i < 200 && !other; ++i) other = s.sample(l) % 3 != 0;
    EXPECT_TRUE(other);
}

TEST(Sampler, PenaltiesUseTheAcceptedWindow) {
    const std::vector<float> l = {2.0f, 1.5f, 1.0f};
    SamplingParams p;
    p.temperature = 0.0f;
    p.frequency_penalty = 0.3f;
    p.penalty_last_n = 3;
    Sampler s = make(p);
    EXPECT_EQ(s.sample(l), 0);
    s.accept(0);
    EXPECT_EQ(s.sample(l), 0);  // 2 - 0.3 = 1.7 > 1.5
    s.accept(0);
    EXPECT_EQ(s.sample(l), 1);  // 2 - 0.6 = 1.4 < 1.5
    s.accept(2);
    s.accept(2);
    EXPECT_EQ(s.sample(l), 0);  // window is {0, 2, 2}: 1.7 again
    s.accept(2);
    EXPECT_EQ(s.sample(l), 0);                   // window {2, 2, 2}: token 0 unpenalised
    for (int i = 0; i < 1000; ++i) s.accept(1);  // long histories are trimmed to the window
    EXPECT_EQ(s.sample(l), 0);
    s.reset();
    EXPECT_EQ(s.sample(l), 0);

    p.penalty_last_n = -1;  // the whole history
    Sampler all = make(p);
    all.accept(0);
    all.accept(0);
    for (int i = 0; i < 50; ++i) all.accept(2);
    EXPECT_EQ(all.sample(l), 1);
    p.penalty_last_n = 0;  // off
    Sampler off = make(p);
    off.accept(0);
    off.accept(0);
    off.accept(0);
    EXPECT_EQ(off.sample(l), 0);

    SamplingParams r;
    r.temperature = 0.0f;
    r.repetition_penalty = 1.5f;  // 2 / 1.5 = 1.33 < 1.5
    Sampler rs = make(r);
    rs.accept(0);
    EXPECT_EQ(rs.sample(l), 1);
    SamplingParams pr;
    pr.temperature = 0.0f;
    pr.presence_penalty = 0.6f;  // 2 - 0.6 = 1.4 whatever the count
    Sampler ps = make(pr);
    ps.accept(0);
    EXPECT_EQ(ps.sample(l), 1);
}

TEST(Sampler, HugeVocabulary) {
    constexpr size_t kVocab = 262144;
    const auto l = random_logits(kVocab, 11, 10.0f);
    const auto ref = ref_log_softmax(l);
    // Reference set for top-p 0.9 at temperature 0.7, computed with a full sort.
    std::vector<int32_t> order(kVocab);
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](int32_t a, int32_t b) {
        return l[size_t(a)] > l[size_t(b)] || (l[size_t(a)] == l[size_t(b)] && a < b);
    });
    const double inv_t = 1.0 / 0.7;
    double z = 0;
    const double top = l[size_t(order[0])];
    for (float v : l) z += std::exp((double(v) - top) * inv_t);
    std::set<int32_t> nucleus;
    double cum = 0;
    for (int32_t id : order) {
        nucleus.insert(id);
        cum += std::exp((double(l[size_t(id)]) - top) * inv_t) / z;
        if (cum >= 0.9) break;
    }
    ASSERT_GT(nucleus.size(), 1000u);  // forces several rounds of the incremental partial sort

    struct Case {
        int32_t top_k;
        float top_p;
        float min_p;
    };
    for (const Case& c :
         {Case{0, 1.0f, 0.0f}, Case{40, 1.0f, 0.0f}, Case{0, 0.9f, 0.0f}, Case{0, 1.0f, 0.05f}}) {
        SamplingParams p;
        p.temperature = 0.7f;
        p.top_k = c.top_k;
        p.top_p = c.top_p;
        p.min_p = c.min_p;
        p.n_top_logprobs = 3;
        Sampler s = make(p);
        const auto start = std::chrono::steady_clock::now();
        constexpr int kDraws = 20;
        for (int i = 0; i < kDraws; ++i) {
            SampledToken info;
            const int32_t id = s.sample(l, &info);
            ASSERT_GE(id, 0);
            ASSERT_LT(id, int32_t(kVocab));
            EXPECT_NEAR(info.logprob, ref[size_t(id)], 1e-9);
            EXPECT_EQ(info.top[0].id, order[0]);
            if (c.top_k > 0) {
                EXPECT_LE(l[size_t(id)], l[size_t(order[0])]);
                EXPECT_GE(l[size_t(id)], l[size_t(order[size_t(c.top_k - 1)])]);
            }
            if (c.top_p < 1.0f) {
                EXPECT_TRUE(nucleus.count(id)) << id;
            }
            if (c.min_p > 0.0f) {
                EXPECT_GE(std::exp((double(l[size_t(id)]) - top) * inv_t), double(c.min_p));
            }
        }
        const double ms =
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count() /
            kDraws;
        std::printf("vocab %zu top_k %d top_p %.2f min_p %.2f: %.2f ms per sample with logprobs\n", kVocab,
                    c.top_k, double(c.top_p), double(c.min_p), ms);
    }
}
