// Fast kernels in src/ops against their double-precision reference twins.
#include "ops/ops.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

namespace {

using namespace engine;

std::vector<float> random_vector(size_t n, uint32_t seed, float scale = 1.0f) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> u(-scale, scale);
    std::vector<float> v(n);
    for (float& x : v) x = u(rng);
    return v;
}

// max |a - b| / max(1, max |b|)
double rel_max_diff(const std::vector<float>& a, const std::vector<float>& b) {
    double diff = 0.0, mag = 1.0;
    for (size_t i = 0; i < a.size(); ++i) {
        diff = std::max(diff, std::abs(double(a[i]) - double(b[i])));
        mag = std::max(mag, std::abs(double(b[i])));
    }
    return diff / mag;
}

TEST(Ops, RmsNormMatchesReference) {
    const int64_t rows = 5, n = 96;
    auto x = random_vector(rows * n, 1, 3.0f);
    auto w = random_vector(n, 2);
    std::vector<float> fast(x.size()), ref(x.size());
    ops::rms_norm(x.data(), w.data(), fast.data(), rows, n, 1e-6f);
    ops::reference::rms_norm(x.data(), w.data(), ref.data(), rows, n, 1e-6f);
    EXPECT_LT(rel_max_diff(fast, ref), 1e-6);
    // In place gives the same result.
    ops::rms_norm(x.data(), w.data(), x.data(), rows, n, 1e-6f);
    EXPECT_EQ(x, fast);
}

TEST(Ops, RopeMatchesReferenceAtLargePositions) {
    const int64_t heads = 3, hd = 64;
    auto factors = random_vector(hd / 2, 3, 1.0f);
    for (float& f : factors) f = 1.0f + 4.0f * std::abs(f);
    for (int64_t pos : {0, 1, 17, 4095, 30000}) {
        for (bool with_factors : {false, true}) {
            auto x = random_vector(heads * hd, 4 + static_cast<uint32_t>(pos));
            auto ref = x;
            std::vector<float> table(hd);
            const float* ff = with_factors ? factors.data() : nullptr;
            ops::rope_angles(pos, hd, 1e6f, 0.5f, ff, table.data());
            ops::rope_neox(x.data(), heads, hd, table.data());
            ops::reference::rope_neox(ref.data(), heads, hd, pos, 1e6f, 0.5f, ff);
            EXPECT_LT(rel_max_diff(x, ref), 2e-6) << "pos " << pos << " factors " << with_factors;
        }
    }
    // Position 0 is the identity; position 1 rotates the first pair by exactly 1 radian.
    std::vector<float> x = {1, 0, 0, 0, 0, 0, 0, 0};
    std::vector<float> table(8);
    ops::rope_angles(1, 8, 10000.0f, 1.0f, nullptr, table.data());
    ops::rope_neox(x.data(), 1, 8, table.data());
    EXPECT_NEAR(x[0], std::cos(1.0), 1e-6);
    EXPECT_NEAR(x[4], std::sin(1.0), 1e-6);
}

TEST(Ops, GatedActivationsMatchReference) {
    const int64_t n = 1000;
    auto g = random_vector(n, 5, 8.0f);
    auto u = random_vector(n, 6, 2.0f);
    std::vector<float> fast(n), ref(n);
    ops::swiglu(g.data(), u.data(), fast.data(), n);
    ops::reference::swiglu(g.data(), u.data(), ref.data(), n);
    EXPECT_LT(rel_max_diff(fast, ref), 1e-6);
    ops::geglu_tanh(g.data(), u.data(), fast.data(), n);
    ops::reference::geglu_tanh(g.data(), u.data(), ref.data(), n);
    EXPECT_LT(rel_max_diff(fast, ref), 1e-6);
    // GELU-tanh(1) = 0.8411920; SiLU(1) = 0.7310586.
    float one = 1.0f, out = 0.0f;
    ops::geglu_tanh(&one, &one, &out, 1);
    EXPECT_NEAR(out, 0.841192, 1e-5);
    ops::swiglu(&one, &one, &out, 1);
    EXPECT_NEAR(out, 0.731059, 1e-5);
}

// Each output within 1e-6 relative (plus 1e-12 absolute, where the float result
// underflows towards 0) of the double reference, from the far negative tail
// (where GELU is ~0) through the knee to the linear part.
TEST(Ops, GeluTanhIsAccurateElementwise) {
    std::vector<float> g;
    for (int i = -3000; i <= 3000; ++i) g.push_back(static_cast<float>(i) * 0.01f);  // [-30, 30]
    for (float x : {-1e4f, -100.0f, -9.5f, 1e-30f, -1e-30f, 0.0f, 100.0f, 1e4f}) g.push_back(x);
    const std::vector<float> up(g.size(), 1.0f);
    std::vector<float> fast(g.size()), ref(g.size());
    ops::geglu_tanh(g.data(), up.data(), fast.data(), static_cast<int64_t>(g.size()));
    ops::reference::geglu_tanh(g.data(), up.data(), ref.data(), static_cast<int64_t>(g.size()));
    for (size_t i = 0; i < g.size(); ++i)
        EXPECT_LE(std::abs(double(fast[i]) - double(ref[i])), 1e-6 * std::abs(double(ref[i])) + 1e-12)
            << "g = " << g[i] << " fast " << fast[i] << " ref " << ref[i];
}

// An output depends only on its own inputs: every split of the batch into calls
// (vector body, padded or masked tail) and computing in place give the same bits.
TEST(Ops, GeluTanhDoesNotDependOnBatchSplit) {
    const int64_t n = 301;
    auto g = random_vector(n, 7, 6.0f);
    auto u = random_vector(n, 8, 2.0f);
    std::vector<float> whole(n);
    ops::geglu_tanh(g.data(), u.data(), whole.data(), n);
    for (int64_t chunk : {1, 3, 7, 8, 9, 15, 16, 17, 33}) {
        std::vector<float> parts(n);
        for (int64_t i = 0; i < n; i += chunk)
            ops::geglu_tanh(g.data() + i, u.data() + i, parts.data() + i, std::min(chunk, n - i));
        EXPECT_EQ(parts, whole) << "chunk " << chunk;
    }
    auto in_place = g;
    ops::geglu_tanh(in_place.data(), u.data(), in_place.data(), n);
    EXPECT_EQ(in_place, whole);
}

struct AttentionCase {
    int64_t n_tokens, pos0, n_head, n_head_kv, head_dim, window;
};

TEST(Ops, AttentionMatchesReference) {
    const AttentionCase cases[] = {
        {1, 0, 4, 4, 16, 0},   // first decode step: one key
        {7, 0, 4, 2, 16, 0},   // prefill, GQA
        {1, 40, 9, 3, 64, 0},  // decode late in a sequence
        {5, 11, 8, 1, 32, 4},  // sliding window smaller than the history (MQA)
        {12, 0, 4, 2, 32, 4},  // sliding window inside a prefill
        {3, 6, 2, 2, 8, 100},  // window larger than the history: no effect
    };
    for (int threads : {1, 2, 3}) {
        ThreadPool pool(threads);
        for (const auto& tc : cases) {
            ops::AttentionShape sh;
            sh.n_tokens = tc.n_tokens;
            sh.pos0 = tc.pos0;
            sh.n_head = tc.n_head;
            sh.n_head_kv = tc.n_head_kv;
            sh.head_dim = tc.head_dim;
            sh.capacity = tc.pos0 + tc.n_tokens + 3;
            sh.window = tc.window;
            sh.scale = 1.0f / std::sqrt(float(tc.head_dim));
            auto q = random_vector(size_t(tc.n_tokens * tc.n_head * tc.head_dim), 7, 2.0f);
            auto k = random_vector(size_t(tc.n_head_kv * sh.capacity * tc.head_dim), 8, 2.0f);
            auto v = random_vector(k.size(), 9);
            std::vector<float> fast(q.size()), ref(q.size());
            std::vector<float> scratch(size_t(ops::attention_scratch_floats(sh.capacity, pool.size())));
            ops::attention(sh, q.data(), k.data(), v.data(), fast.data(), scratch.data(), pool);
            ops::reference::attention(sh, q.data(), k.data(), v.data(), ref.data());
            EXPECT_LT(rel_max_diff(fast, ref), 2e-6) << "threads " << threads << " tokens " << tc.n_tokens
                                                     << " pos0 " << tc.pos0 << " window " << tc.window;
        }
    }
}

TEST(Ops, AttentionWindowMasksOldKeys) {
    // One query at position 9 with window 3 sees keys 7, 8, 9 only: changing
    // the values of keys 0..6 must not change the output, changing key 7 must.
    ops::AttentionShape sh;
    sh.n_tokens = 1;
    sh.pos0 = 9;
    sh.n_head = 1;
    sh.n_head_kv = 1;
    sh.head_dim = 8;
    sh.capacity = 10;
    sh.window = 3;
    ThreadPool pool(1);
    auto q = random_vector(8, 10);
    auto k = random_vector(80, 11);
    auto v = random_vector(80, 12);
    std::vector<float> scratch(10), base(8), out(8);
    ops::attention(sh, q.data(), k.data(), v.data(), base.data(), scratch.data(), pool);
    auto v2 = v;
    for (int i = 0; i < 7 * 8; ++i) v2[size_t(i)] += 5.0f;
    ops::attention(sh, q.data(), k.data(), v2.data(), out.data(), scratch.data(), pool);
    EXPECT_EQ(out, base);
    v2 = v;
    v2[7 * 8] += 5.0f;
    ops::attention(sh, q.data(), k.data(), v2.data(), out.data(), scratch.data(), pool);
    EXPECT_NE(out, base);
}

}  // namespace
