// Agreement metrics against hand-computed cases, bootstrap determinism and
// coverage, and the position-swap combiner for pairwise verdicts.
#include "evals/metrics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <sstream>

#include "evals/bootstrap.h"
#include "evals/pairwise.h"

namespace {

// Label vectors realising a confusion matrix (rows: reference, columns: predicted).
void from_matrix(const std::vector<std::vector<int>>& m, int min_label, std::vector<int>& ref,
                 std::vector<int>& pred) {
    for (size_t r = 0; r < m.size(); ++r) {
        for (size_t p = 0; p < m[r].size(); ++p) {
            for (int k = 0; k < m[r][p]; ++k) {
                ref.push_back(min_label + static_cast<int>(r));
                pred.push_back(min_label + static_cast<int>(p));
            }
        }
    }
}

}  // namespace

TEST(Metrics, BinaryOnAKnown2x2) {
    // 50 items: both positive 20, reference-only positive 5, predicted-only positive 10, both negative 15.
    // p_o = 35/50 = 0.7; reference positive rate 0.5, predicted 0.6; p_e = 0.5*0.6 + 0.5*0.4 = 0.5;
    // kappa = (0.7 - 0.5) / (1 - 0.5) = 0.4. Precision 20/30, recall 20/25.
    std::vector<int> ref, pred;
    from_matrix({{15, 10}, {5, 20}}, 0, ref, pred);
    auto m = evals::binary_metrics(ref, pred);
    ASSERT_TRUE(m.ok()) << m.error().message;
    EXPECT_EQ(m->confusion.tp, 20);
    EXPECT_EQ(m->confusion.fp, 10);
    EXPECT_EQ(m->confusion.fn, 5);
    EXPECT_EQ(m->confusion.tn, 15);
    EXPECT_DOUBLE_EQ(m->accuracy, 0.7);
    EXPECT_DOUBLE_EQ(m->precision, 2.0 / 3.0);
    EXPECT_DOUBLE_EQ(m->recall, 0.8);
    EXPECT_NEAR(m->f1, 2 * (2.0 / 3.0) * 0.8 / (2.0 / 3.0 + 0.8), 1e-15);
    EXPECT_NEAR(m->kappa, 0.4, 1e-15);
}

TEST(Metrics, BinaryUndefinedValuesAreNaN) {
    // No predicted positives: precision undefined; all labels equal: kappa undefined.
    std::vector<int> ref = {1, 0, 1}, pred = {0, 0, 0};
    auto m = evals::binary_metrics(ref, pred);
    ASSERT_TRUE(m.ok());
    EXPECT_TRUE(std::isnan(m->precision));
    EXPECT_EQ(m->recall, 0.0);
    EXPECT_TRUE(std::isnan(m->f1));
    EXPECT_EQ(m->kappa, 0.0);  // p_o = 1/3 = p_e
    std::vector<int> same = {1, 1, 1};
    auto constant = evals::binary_metrics(same, same);
    EXPECT_EQ(constant->accuracy, 1.0);
    EXPECT_TRUE(std::isnan(constant->kappa));

    std::vector<int> bad = {0, 2};
    std::vector<int> ok = {0, 1};
    EXPECT_FALSE(evals::binary_metrics(bad, ok).ok());
    EXPECT_FALSE(evals::binary_metrics(ok, std::vector<int>{1}).ok());
    EXPECT_FALSE(evals::binary_metrics(std::vector<int>{}, std::vector<int>{}).ok());
}

TEST(Metrics, MultiClassConfusionAndKappa) {
    // Rows (reference) 12, 10, 8; columns (predicted) 11, 13, 6; diagonal 23 of 30.
    // p_e = (12*11 + 10*13 + 8*6) / 900 = 310/900; kappa = (690 - 310) / (900 - 310) = 380/590.
    const std::vector<std::vector<int>> counts = {{10, 2, 0}, {1, 8, 1}, {0, 3, 5}};
    std::vector<int> ref, pred;
    from_matrix(counts, 1, ref, pred);
    auto m = evals::confusion_matrix(ref, pred, 1, 3);
    ASSERT_TRUE(m.ok());
    for (size_t r = 0; r < 3; ++r) {
        for (size_t p = 0; p < 3; ++p) EXPECT_EQ(m->counts[r][p], counts[r][p]);
    }
    EXPECT_NEAR(evals::cohens_kappa(*m), 380.0 / 590.0, 1e-15);
    EXPECT_NEAR(evals::accuracy(*m), 23.0 / 30.0, 1e-15);
    EXPECT_FALSE(evals::confusion_matrix(ref, pred, 1, 2).ok());  // label 3 out of range
}

TEST(Metrics, AverageRanksAndSpearmanWithTies) {
    EXPECT_EQ(evals::average_ranks(std::vector<double>{3, 1, 2, 1}), (std::vector<double>{4, 1.5, 3, 1.5}));
    // a = [1,2,2,3,3,5] ranks [1,2.5,2.5,4.5,4.5,6]; b = [2,1,2,3,3,4] ranks [2.5,1,2.5,4.5,4.5,6].
    // Rank deviations from 3.5: a [-2.5,-1,-1,1,1,2.5], b [-1,-2.5,-1,1,1,2.5];
    // sum(da*db) = 14.25, sum(da^2) = sum(db^2) = 16.5.
    std::vector<double> a = {1, 2, 2, 3, 3, 5};
    std::vector<double> b = {2, 1, 2, 3, 3, 4};
    EXPECT_NEAR(evals::spearman(a, b), 14.25 / 16.5, 1e-15);
    std::vector<double> c = {1, 2, 2, 3};
    std::vector<double> d = {1, 3, 2, 4};
    EXPECT_NEAR(evals::spearman(c, d), 4.5 / std::sqrt(4.5 * 5.0), 1e-15);
    EXPECT_NEAR(evals::spearman(a, a), 1.0, 1e-15);
    std::vector<double> increasing = {1, 2, 3, 4, 5, 6};
    EXPECT_NEAR(evals::spearman(increasing, std::vector<double>{6, 5, 4, 3, 2, 1}), -1.0, 1e-15);
    EXPECT_TRUE(std::isnan(evals::spearman(a, std::vector<double>(6, 2.0))));
}

TEST(Metrics, KendallTauBWithTies) {
    // a = [1,2,2,3,3,5], b = [2,1,2,3,3,4]: of 15 pairs, 11 concordant, 1 discordant (items 0,1),
    // 2 tied in a, 2 tied in b (one pair tied in both). tau-b = (11 - 1) / sqrt(13 * 13).
    std::vector<double> a = {1, 2, 2, 3, 3, 5};
    std::vector<double> b = {2, 1, 2, 3, 3, 4};
    EXPECT_NEAR(evals::kendall_tau_b(a, b), 10.0 / 13.0, 1e-15);
    // [1,2,2,3] vs [1,3,2,4]: 5 concordant, 0 discordant, untied 5 and 6.
    EXPECT_NEAR(evals::kendall_tau_b(std::vector<double>{1, 2, 2, 3}, std::vector<double>{1, 3, 2, 4}),
                5.0 / std::sqrt(30.0), 1e-15);
    EXPECT_TRUE(std::isnan(evals::kendall_tau_b(a, std::vector<double>(6, 1.0))));
}

TEST(Metrics, OrdinalSummary) {
    std::vector<double> human = {1, 2, 3, 4, 5};
    std::vector<double> judge = {1, 3, 3, 2, 5};
    auto m = evals::ordinal_metrics(human, judge);
    ASSERT_TRUE(m.ok());
    EXPECT_DOUBLE_EQ(m->mae, 3.0 / 5.0);  // |0| + |1| + |0| + |2| + |0|
    EXPECT_DOUBLE_EQ(m->exact_agreement, 3.0 / 5.0);
    EXPECT_DOUBLE_EQ(m->within_one, 4.0 / 5.0);
    EXPECT_NEAR(m->spearman, evals::spearman(human, judge), 1e-15);
    std::vector<double> with_nan = {1, std::nan("")};
    EXPECT_FALSE(evals::ordinal_metrics(with_nan, std::vector<double>{1, 2}).ok());
}

TEST(Bootstrap, DeterministicPerSeed) {
    std::vector<double> values;
    evals::Xoshiro256 rng(7);
    for (int i = 0; i < 100; ++i) values.push_back(static_cast<double>(rng.below(1000)) / 1000.0);
    evals::BootstrapOptions options;
    options.seed = 42;
    options.resamples = 500;
    auto a = evals::bootstrap_mean(values, options);
    auto b = evals::bootstrap_mean(values, options);
    ASSERT_TRUE(a.ok() && b.ok());
    EXPECT_EQ(a->lower, b->lower);
    EXPECT_EQ(a->upper, b->upper);
    EXPECT_LT(a->lower, a->value);
    EXPECT_GT(a->upper, a->value);
    options.seed = 43;
    auto c = evals::bootstrap_mean(values, options);
    EXPECT_TRUE(c->lower != a->lower || c->upper != a->upper);
    // A wider confidence gives a wider interval.
    options.seed = 42;
    options.confidence = 0.99;
    auto wide = evals::bootstrap_mean(values, options);
    EXPECT_LE(wide->lower, a->lower);
    EXPECT_GE(wide->upper, a->upper);
}

TEST(Bootstrap, GeneratorMatchesTheIndependentReference) {
    // tests/golden/sampler/rng_reference.txt: xoshiro256** seeded through splitmix64, from an
    // independent Python implementation (tests/tools/sampler_rng_golden.py). Lines after the first:
    // "<seed> <8 outputs>".
    std::ifstream in(std::string(CRUCIBLE_TEST_DATA_DIR) + "/golden/sampler/rng_reference.txt");
    ASSERT_TRUE(in.good());
    std::string line;
    std::getline(in, line);  // splitmix64 outputs
    int seeds = 0;
    while (std::getline(in, line)) {
        std::istringstream fields(line);
        uint64_t seed = 0;
        fields >> seed;
        evals::Xoshiro256 rng(seed);
        for (int i = 0; i < 8; ++i) {
            uint64_t expected = 0;
            fields >> expected;
            EXPECT_EQ(rng.next(), expected) << "seed " << seed << " output " << i;
        }
        ++seeds;
    }
    EXPECT_EQ(seeds, 5);
    // below() is unbiased enough to see: 30000 draws over 3 values.
    evals::Xoshiro256 r(5);
    std::vector<int> counts(3, 0);
    for (int i = 0; i < 30000; ++i) ++counts[r.below(3)];
    for (int count : counts) EXPECT_NEAR(count, 10000, 400);
}

TEST(Bootstrap, CoverageIsNearNominal) {
    // 200 data sets of 40 uniform(0,1) draws: the 90% interval should hold the true mean 0.5 about
    // 90% of the time (the percentile bootstrap runs slightly narrow at this n).
    evals::Xoshiro256 data_rng(2024);
    evals::BootstrapOptions options;
    options.resamples = 400;
    options.confidence = 0.9;
    int covered = 0;
    const int trials = 200;
    for (int t = 0; t < trials; ++t) {
        std::vector<double> values(40);
        for (double& v : values) v = static_cast<double>(data_rng.next() >> 11) / 9007199254740992.0;
        options.seed = static_cast<uint64_t>(t);
        auto e = evals::bootstrap_mean(values, options);
        ASSERT_TRUE(e.ok());
        covered += (e->lower <= 0.5 && 0.5 <= e->upper) ? 1 : 0;
    }
    EXPECT_GE(covered, 160);  // 80%
    EXPECT_LE(covered, 197);  // not trivially wide
}

TEST(Bootstrap, CustomStatisticAndErrors) {
    std::vector<double> a = {1, 2, 3, 4, 5, 6, 7, 8};
    std::vector<double> b = {2, 1, 4, 3, 6, 5, 8, 7};
    auto rho = evals::bootstrap(a.size(),
                                [&](std::span<const size_t> idx) {
                                    std::vector<double> x, y;
                                    for (size_t i : idx) x.push_back(a[i]), y.push_back(b[i]);
                                    return evals::spearman(x, y);  // NaN for constant resamples: left out
                                },
                                {300, 0.95, 1});
    ASSERT_TRUE(rho.ok());
    EXPECT_NEAR(rho->value, evals::spearman(a, b), 1e-15);
    EXPECT_LE(rho->lower, rho->value);
    EXPECT_LE(rho->upper, 1.0);
    EXPECT_FALSE(evals::bootstrap_mean(std::vector<double>{}).ok());
    EXPECT_FALSE(evals::bootstrap_mean(a, {100, 1.5, 0}).ok());
}

TEST(Pairwise, SwapCombiner) {
    using evals::Preference;
    // Consistent: A first and chosen, then B first and the same response (now in slot B) chosen.
    EXPECT_EQ(evals::combine_swapped(Preference::a, Preference::b), Preference::a);
    EXPECT_EQ(evals::combine_swapped(Preference::b, Preference::a), Preference::b);
    EXPECT_EQ(evals::combine_swapped(Preference::tie, Preference::tie), Preference::tie);
    // The same slot both times: position, not content; counts as a tie.
    EXPECT_EQ(evals::combine_swapped(Preference::a, Preference::a), Preference::tie);
    EXPECT_FALSE(evals::is_consistent(Preference::a, Preference::a));
    EXPECT_EQ(evals::combine_swapped(Preference::a, Preference::tie), Preference::tie);
    EXPECT_EQ(evals::preference_from_name("tie"), Preference::tie);
    EXPECT_EQ(evals::preference_name(Preference::b), "B");
}

TEST(Pairwise, SummaryCountsWinsTiesAndPositionBias) {
    using P = evals::Preference;
    std::vector<evals::SwappedVerdicts> pairs = {
        {P::a, P::b},      // A wins
        {P::a, P::b},      // A wins
        {P::b, P::a},      // B wins
        {P::a, P::a},      // first slot both times: biased, tie
        {P::b, P::b},      // second slot both times: biased, tie
        {P::tie, P::tie},  // genuine tie
        {P::a, P::tie},    // inconsistent, tie
        {P::a, P::b},      // A wins
    };
    auto s = evals::summarize_pairwise(pairs, {500, 0.95, 3});
    ASSERT_TRUE(s.ok());
    EXPECT_EQ(s->n, 8u);
    EXPECT_EQ(s->wins_a, 3u);
    EXPECT_EQ(s->wins_b, 1u);
    EXPECT_EQ(s->ties, 4u);
    EXPECT_EQ(s->inconsistent, 3u);
    EXPECT_EQ(s->position_biased, 2u);
    EXPECT_EQ(s->first_position_favored, 1u);
    EXPECT_DOUBLE_EQ(s->position_bias_rate, 0.25);
    EXPECT_DOUBLE_EQ(s->win_rate_a.value, (3 + 0.5 * 4) / 8.0);
    EXPECT_LE(s->win_rate_a.lower, s->win_rate_a.value);
    EXPECT_GE(s->win_rate_a.upper, s->win_rate_a.value);
    EXPECT_FALSE(evals::summarize_pairwise({}).ok());
}
