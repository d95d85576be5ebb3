// Replays logits from tests/golden/sampler/sequences.txt (written by
// tests/tools/sampler_golden.py, an independent Python reading of the sampling
// spec) and requires exactly the same tokens: this pins the random stream, the
// penalty arithmetic and the candidate walk order, so a seed means the same
// tokens on every platform and after refactoring.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "engine/sampler.h"

TEST(SamplerGolden, SequencesMatchIndependentReference) {
    std::ifstream in(std::string(CRUCIBLE_TEST_DATA_DIR) + "/golden/sampler/sequences.txt");
    ASSERT_TRUE(in) << "missing tests/golden/sampler/sequences.txt";
    size_t n_rows = 0, n_vocab = 0;
    ASSERT_TRUE(in >> n_rows >> n_vocab);
    std::vector<std::vector<float>> rows(n_rows, std::vector<float>(n_vocab));
    for (auto& row : rows) {
        for (auto& v : row) {
            std::string text;
            ASSERT_TRUE(in >> text);
            v = std::strtof(text.c_str(), nullptr);  // decimal of a float32 value: round-trips exactly
        }
    }
    int n_cases = 0;
    ASSERT_TRUE(in >> n_cases);
    ASSERT_GT(n_cases, 0);
    for (int c = 0; c < n_cases; ++c) {
        engine::SamplingParams p;
        ASSERT_TRUE(in >> p.temperature >> p.top_k >> p.top_p >> p.min_p >> p.repetition_penalty >>
                    p.frequency_penalty >> p.presence_penalty >> p.penalty_last_n >> p.seed);
        std::vector<int32_t> expected(n_rows);
        for (auto& t : expected) ASSERT_TRUE(in >> t);
        auto sampler = engine::Sampler::create(p);
        ASSERT_TRUE(sampler.ok()) << sampler.error().message;
        std::vector<int32_t> got;
        for (const auto& row : rows) {
            const int32_t token = sampler->sample(row);
            sampler->accept(token);
            got.push_back(token);
        }
        EXPECT_EQ(got, expected) << "case " << c << " (temperature " << p.temperature << ", top_k " << p.top_k
                                 << ", top_p " << p.top_p << ", min_p " << p.min_p << ", seed " << p.seed
                                 << ")";
    }
}
