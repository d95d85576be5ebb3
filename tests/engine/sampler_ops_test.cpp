// Exact checks of the sampler's building blocks: RNG against an independent
// reference, penalties against hand-computed values, log-sum-exp and top-N.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <numeric>
#include <sstream>
#include <string>
#include <vector>

#include "sampling/rng.h"
#include "sampling/sampling_ops.h"

namespace sampling = engine::sampling;

namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

}  // namespace

TEST(SamplerRng, Splitmix64MatchesPublishedFirstOutput) {
    // The first output of splitmix64 from state 0, as printed by the reference C code.
    uint64_t state = 0;
    EXPECT_EQ(sampling::splitmix64_next(&state), 0xe220a8397b1dcdafull);
}

TEST(SamplerRng, MatchesIndependentPythonReference) {
    // tests/golden/sampler/rng_reference.txt comes from tests/tools/sampler_rng_golden.py.
    std::ifstream in(std::string(CRUCIBLE_TEST_DATA_DIR) + "/golden/sampler/rng_reference.txt");
    ASSERT_TRUE(in) << "missing tests/golden/sampler/rng_reference.txt";
    std::string line;
    ASSERT_TRUE(std::getline(in, line));
    {
        std::istringstream ss(line);
        std::string tag;
        ss >> tag;
        ASSERT_EQ(tag, "splitmix64");
        uint64_t state = 0;
        for (int i = 0; i < 4; ++i) {
            uint64_t expected = 0;
            ASSERT_TRUE(ss >> expected);
            EXPECT_EQ(sampling::splitmix64_next(&state), expected) << "output " << i;
        }
    }
    int seeds = 0;
    while (std::getline(in, line)) {
        std::istringstream ss(line);
        uint64_t seed = 0;
        ASSERT_TRUE(ss >> seed);
        auto state = sampling::rng_seed(seed);
        for (int i = 0; i < 8; ++i) {
            uint64_t expected = 0;
            ASSERT_TRUE(ss >> expected);
            EXPECT_EQ(sampling::rng_next(&state), expected) << "seed " << seed << " output " << i;
        }
        ++seeds;
    }
    EXPECT_EQ(seeds, 5);
}

TEST(SamplerRng, UniformIsInUnitIntervalWithMeanHalf) {
    auto state = sampling::rng_seed(7);
    double sum = 0.0;
    constexpr int kN = 200000;
    for (int i = 0; i < kN; ++i) {
        const double u = sampling::rng_uniform(&state);
        ASSERT_GE(u, 0.0);
        ASSERT_LT(u, 1.0);
        sum += u;
    }
    // Standard error of the mean is 1/sqrt(12 N) ~ 6.5e-4.
    EXPECT_NEAR(sum / kN, 0.5, 0.004);
}

TEST(SamplerPenalties, CombinedMatchHandComputedValues) {
    std::vector<float> logits = {2.0f, -2.0f, 0.0f, 1.0f, 3.0f};
    const std::vector<int32_t> window = {0, 0, 1, 2, 7, -3};  // 7 and -3 lie outside the vocabulary
    engine::SamplingParams p;
    p.repetition_penalty = 2.0f;
    p.frequency_penalty = 0.5f;
    p.presence_penalty = 0.25f;
    std::vector<int32_t> counts(logits.size(), 0);
    std::vector<int32_t> touched;
    touched.reserve(logits.size());
    sampling::apply_penalties(logits, window, p, counts, &touched);
    // token 0: 2/2 = 1, seen twice: 1 - 2*0.5 - 0.25 = -0.25
    // token 1: -2*2 = -4, seen once: -4 - 0.5 - 0.25 = -4.75
    // token 2: 0 is not positive: 0*2 = 0, then -0.75
    EXPECT_EQ(logits, (std::vector<float>{-0.25f, -4.75f, -0.75f, 1.0f, 3.0f}));
    EXPECT_EQ(counts, std::vector<int32_t>(5, 0));  // scratch handed back clean
    EXPECT_TRUE(touched.empty());
}

TEST(SamplerPenalties, EachPenaltyAlone) {
    const std::vector<float> base = {4.0f, -4.0f, 1.5f, -0.5f};
    const std::vector<int32_t> window = {0, 1, 1, 1, 3};
    std::vector<int32_t> counts(base.size(), 0);
    std::vector<int32_t> touched;
    touched.reserve(base.size());
    auto run = [&](float rep, float freq, float presence) {
        engine::SamplingParams p;
        p.repetition_penalty = rep;
        p.frequency_penalty = freq;
        p.presence_penalty = presence;
        std::vector<float> l = base;
        sampling::apply_penalties(l, window, p, counts, &touched);
        return l;
    };
    // Repetition (CTRL): positive logits divided, negative multiplied, once per distinct token.
    EXPECT_EQ(run(1.25f, 0, 0), (std::vector<float>{3.2f, -5.0f, 1.5f, -0.625f}));
    // Repetition < 1 rewards repeats: 4/0.5 = 8, -4*0.5 = -2.
    EXPECT_EQ(run(0.5f, 0, 0), (std::vector<float>{8.0f, -2.0f, 1.5f, -0.25f}));
    // Frequency: minus count * f (token 1 seen three times).
    EXPECT_EQ(run(1, 0.5f, 0), (std::vector<float>{3.5f, -5.5f, 1.5f, -1.0f}));
    // Presence: minus p once for each token seen at all.
    EXPECT_EQ(run(1, 0, 0.75f), (std::vector<float>{3.25f, -4.75f, 1.5f, -1.25f}));
    // Negative penalties (allowed by the OpenAI API) encourage repeats.
    EXPECT_EQ(run(1, -1.0f, -0.5f), (std::vector<float>{5.5f, -0.5f, 1.5f, 1.0f}));
    // All off: untouched.
    EXPECT_EQ(run(1, 0, 0), base);
}

TEST(SamplerPenalties, ForbiddenTokensStayForbidden) {
    std::vector<float> logits = {-kInf, 1.0f};
    engine::SamplingParams p;
    p.repetition_penalty = 1.3f;
    p.frequency_penalty = -2.0f;
    p.presence_penalty = -1.0f;
    std::vector<int32_t> counts(2, 0);
    std::vector<int32_t> touched;
    touched.reserve(2);
    const std::vector<int32_t> window = {0, 0};
    sampling::apply_penalties(logits, window, p, counts, &touched);
    EXPECT_EQ(logits[0], -kInf);
    EXPECT_EQ(logits[1], 1.0f);
}

TEST(SamplerLogNormalizer, MatchesLongDoubleReferenceAndSurvivesExtremes) {
    const std::vector<float> logits = {0.5f, -3.0f, 12.25f, 7.0f, -kInf, 11.0f};
    long double sum = 0;
    for (float v : logits) sum += std::exp(static_cast<long double>(v));
    const auto norm = sampling::log_normalizer(logits);
    for (float v : logits) {
        const long double ref = static_cast<long double>(v) - std::log(sum);
        if (v == -kInf) {
            EXPECT_EQ(norm.logprob(v), -std::numeric_limits<double>::infinity());
        } else {
            EXPECT_NEAR(norm.logprob(v), static_cast<double>(ref), 1e-13) << v;
        }
    }

    // exp(1e30) overflows any floating type, and 1e30 + log(2) rounds to 1e30 in
    // double: the split normaliser keeps log-probabilities of order 1 exact.
    const std::vector<float> huge = {1e30f, -1e30f, 1e30f, -kInf};
    const auto hn = sampling::log_normalizer(huge);
    EXPECT_DOUBLE_EQ(hn.logprob(1e30f), -std::log(2.0));
    EXPECT_DOUBLE_EQ(hn.logprob(-1e30f), -2.0 * static_cast<double>(1e30f));
    const std::vector<float> tiny = {-1e30f, -1e30f};
    EXPECT_DOUBLE_EQ(sampling::log_normalizer(tiny).logprob(-1e30f), -std::log(2.0));
    const std::vector<float> none = {-kInf, -kInf};
    EXPECT_EQ(sampling::log_normalizer(none).logprob(-kInf), -std::numeric_limits<double>::infinity());
}

TEST(SamplerTopLogprobs, SortedDescendingTiesByIdAndSkipsForbidden) {
    const std::vector<float> logits = {1.0f, 3.0f, -kInf, 3.0f, 2.0f, 1.0f, -kInf, 0.0f};
    engine::TokenLogprob out[engine::kMaxTopLogprobs];
    sampling::LogNormalizer norm;
    norm.max = 2.5;
    norm.log_sum = 7.5;  // arbitrary: checks that both parts are subtracted
    int32_t n = sampling::top_logprobs(logits, norm, 4, out);
    ASSERT_EQ(n, 4);
    const int32_t ids[] = {1, 3, 4, 0};
    const double vals[] = {3, 3, 2, 1};
    for (int i = 0; i < 4; ++i) {
        EXPECT_EQ(out[i].id, ids[i]) << i;
        EXPECT_EQ(out[i].logprob, vals[i] - 10.0) << i;
    }
    // Asking for more than there are finite entries lists only the finite ones.
    n = sampling::top_logprobs(logits, norm, 20, out);
    ASSERT_EQ(n, 6);
    EXPECT_EQ(out[5].id, 7);
    EXPECT_EQ(sampling::top_logprobs(logits, norm, 0, out), 0);
}
