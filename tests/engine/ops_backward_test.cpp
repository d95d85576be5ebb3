// Backward kernels of src/ops: the double-precision reference backward against
// central finite differences of the reference forward, and the fast kernels
// against the reference backward (and against themselves across thread counts
// and CPU paths).
#include "ops/ops_backward.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "engine/matmul.h"

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

double dot(const std::vector<float>& a, const std::vector<float>& b) {
    double s = 0.0;
    for (size_t i = 0; i < a.size(); ++i) s += double(a[i]) * double(b[i]);
    return s;
}

// Checks grad[i] = d loss / d x[i] by central differences at the given indices
// (all of them when `indices` is empty). loss() reads x. The step is the actual
// difference of the two perturbed floats. Returns the largest error relative to
// max(1, max |grad|) so that callers can assert on it.
double finite_difference_error(std::vector<float>& x, const std::vector<float>& grad,
                               const std::function<double()>& loss, std::vector<size_t> indices,
                               float step = 1.0f / 128) {
    if (indices.empty())
        for (size_t i = 0; i < x.size(); ++i) indices.push_back(i);
    double mag = 1.0;
    for (float g : grad) mag = std::max(mag, std::abs(double(g)));
    double worst = 0.0;
    for (size_t i : indices) {
        const float x0 = x[i];
        const float xp = x0 + step, xm = x0 - step;
        x[i] = xp;
        const double lp = loss();
        x[i] = xm;
        const double lm = loss();
        x[i] = x0;
        const double fd = (lp - lm) / (double(xp) - double(xm));
        worst = std::max(worst, std::abs(fd - double(grad[i])) / mag);
    }
    return worst;
}

std::vector<size_t> sample_indices(size_t n, size_t count, uint32_t seed) {
    std::vector<size_t> idx;
    if (n <= count) {
        for (size_t i = 0; i < n; ++i) idx.push_back(i);
        return idx;
    }
    std::mt19937 rng(seed);
    std::uniform_int_distribution<size_t> u(0, n - 1);
    idx.push_back(0);
    idx.push_back(n - 1);
    while (idx.size() < count) idx.push_back(u(rng));
    return idx;
}

// ---------------------------------------------------------------------------
// RMSNorm

TEST(OpsBackward, RmsNormReferenceMatchesFiniteDifferences) {
    const int64_t rows = 3, n = 24;
    const float eps = 1e-5f;
    auto x = random_vector(rows * n, 11, 2.0f);
    auto w = random_vector(n, 12, 1.5f);
    auto dy = random_vector(rows * n, 13);
    std::vector<float> dx(x.size()), dw(n, 0.0f), y(x.size());
    ops::reference::rms_norm_backward(x.data(), w.data(), dy.data(), dx.data(), dw.data(), rows, n, eps);
    auto loss = [&] {
        ops::reference::rms_norm(x.data(), w.data(), y.data(), rows, n, eps);
        return dot(y, dy);
    };
    EXPECT_LT(finite_difference_error(x, dx, loss, {}), 1e-4);
    EXPECT_LT(finite_difference_error(w, dw, loss, {}), 1e-4);
}

TEST(OpsBackward, RmsNormFastMatchesReference) {
    const int64_t rows = 7, n = 576;
    const float eps = 1e-6f;
    auto x = random_vector(rows * n, 21, 3.0f);
    auto w = random_vector(n, 22, 2.0f);
    auto dy = random_vector(rows * n, 23);
    const auto dw0 = random_vector(n, 24);  // dw accumulates onto what is there
    std::vector<float> dx_fast(x.size()), dx_ref(x.size());
    auto dw_fast = dw0, dw_ref = dw0;
    ops::rms_norm_backward(x.data(), w.data(), dy.data(), dx_fast.data(), dw_fast.data(), rows, n, eps);
    ops::reference::rms_norm_backward(x.data(), w.data(), dy.data(), dx_ref.data(), dw_ref.data(), rows, n,
                                      eps);
    EXPECT_LT(rel_max_diff(dx_fast, dx_ref), 1e-6);
    EXPECT_LT(rel_max_diff(dw_fast, dw_ref), 1e-6);
    EXPECT_NE(dw_fast, dw0);
    // dx may alias dy, and dw may be null.
    auto inplace = dy;
    ops::rms_norm_backward(x.data(), w.data(), inplace.data(), inplace.data(), nullptr, rows, n, eps);
    EXPECT_EQ(inplace, dx_fast);
}

// ---------------------------------------------------------------------------
// RoPE

TEST(OpsBackward, RopeReferenceMatchesFiniteDifferences) {
    const int64_t heads = 2, hd = 16;
    auto factors = random_vector(hd / 2, 31);
    for (float& f : factors) f = 1.0f + std::abs(f);
    for (int64_t pos : {0, 5, 3000}) {
        for (const float* ff :
             {static_cast<const float*>(nullptr), static_cast<const float*>(factors.data())}) {
            auto x = random_vector(heads * hd, 32 + uint32_t(pos));
            auto dy = random_vector(heads * hd, 33 + uint32_t(pos));
            auto dx = dy;
            ops::reference::rope_neox_backward(dx.data(), heads, hd, pos, 10000.0f, 0.5f, ff);
            auto loss = [&] {
                auto y = x;
                ops::reference::rope_neox(y.data(), heads, hd, pos, 10000.0f, 0.5f, ff);
                return dot(y, dy);
            };
            EXPECT_LT(finite_difference_error(x, dx, loss, {}), 5e-5) << "pos " << pos;
        }
    }
}

TEST(OpsBackward, RopeFastMatchesReferenceAndInvertsForward) {
    const int64_t heads = 3, hd = 64;
    for (int64_t pos : {0, 1, 17, 30000}) {
        auto dy = random_vector(heads * hd, 41 + uint32_t(pos));
        auto fast = dy, ref = dy;
        std::vector<float> table(hd);
        ops::rope_angles(pos, hd, 1e6f, 1.0f, nullptr, table.data());
        ops::rope_neox_backward(fast.data(), heads, hd, table.data());
        ops::reference::rope_neox_backward(ref.data(), heads, hd, pos, 1e6f, 1.0f, nullptr);
        EXPECT_LT(rel_max_diff(fast, ref), 2e-6) << "pos " << pos;
        // A rotation's transpose is its inverse.
        ops::rope_neox(fast.data(), heads, hd, table.data());
        EXPECT_LT(rel_max_diff(fast, dy), 2e-6) << "pos " << pos;
    }
}

// ---------------------------------------------------------------------------
// Gated activations

using GatedForward = void (*)(const float*, const float*, float*, int64_t);
using GatedBackward = void (*)(const float*, const float*, const float*, float*, float*, int64_t);

void check_gated(GatedForward ref_forward, GatedBackward ref_backward, GatedBackward fast_backward,
                 const char* name) {
    SCOPED_TRACE(name);
    // Finite differences of the reference (gates over the curved part of the activation).
    {
        const int64_t n = 64;
        auto g = random_vector(n, 51, 5.0f);
        auto u = random_vector(n, 52, 2.0f);
        auto d = random_vector(n, 53);
        std::vector<float> dg(n), du(n), out(n);
        ref_backward(g.data(), u.data(), d.data(), dg.data(), du.data(), n);
        auto loss = [&] {
            ref_forward(g.data(), u.data(), out.data(), n);
            return dot(out, d);
        };
        EXPECT_LT(finite_difference_error(g, dg, loss, {}), 5e-5);
        EXPECT_LT(finite_difference_error(u, du, loss, {}), 5e-5);
    }
    // Fast against reference, including large |gate| where the activation saturates.
    const int64_t n = 1000;
    auto g = random_vector(n, 54, 12.0f);
    g[0] = -100.0f;
    g[1] = 100.0f;
    g[2] = 0.0f;
    auto u = random_vector(n, 55, 2.0f);
    auto d = random_vector(n, 56, 3.0f);
    std::vector<float> dg_fast(n), du_fast(n), dg_ref(n), du_ref(n);
    fast_backward(g.data(), u.data(), d.data(), dg_fast.data(), du_fast.data(), n);
    ref_backward(g.data(), u.data(), d.data(), dg_ref.data(), du_ref.data(), n);
    EXPECT_LT(rel_max_diff(dg_fast, dg_ref), 2e-6);
    EXPECT_LT(rel_max_diff(du_fast, du_ref), 2e-6);
    for (float v : dg_fast) ASSERT_TRUE(std::isfinite(v));
    // dgate may alias gate and dup may alias up.
    auto g2 = g, u2 = u;
    fast_backward(g2.data(), u2.data(), d.data(), g2.data(), u2.data(), n);
    EXPECT_EQ(g2, dg_fast);
    EXPECT_EQ(u2, du_fast);
}

TEST(OpsBackward, SwiGlu) {
    check_gated(ops::reference::swiglu, ops::reference::swiglu_backward, ops::swiglu_backward, "swiglu");
}

TEST(OpsBackward, GeGluTanh) {
    check_gated(ops::reference::geglu_tanh, ops::reference::geglu_tanh_backward, ops::geglu_tanh_backward,
                "geglu_tanh");
}

// ---------------------------------------------------------------------------
// Attention

struct AttnCase {
    int64_t n_tokens, n_head, n_head_kv, head_dim, window;
};

std::string describe(const AttnCase& c) {
    return "tokens " + std::to_string(c.n_tokens) + " heads " + std::to_string(c.n_head) + "/" +
           std::to_string(c.n_head_kv) + " head_dim " + std::to_string(c.head_dim) + " window " +
           std::to_string(c.window);
}

struct AttnData {
    ops::AttentionShape sh;
    std::vector<float> q, k, v, dout;  // q, dout: [n_tokens, n_head * head_dim]; k, v: cache layout
};

AttnData make_attention(const AttnCase& c, int64_t capacity, uint32_t seed) {
    AttnData d;
    d.sh.n_tokens = c.n_tokens;
    d.sh.n_head = c.n_head;
    d.sh.n_head_kv = c.n_head_kv;
    d.sh.head_dim = c.head_dim;
    d.sh.capacity = capacity;
    d.sh.window = c.window;
    d.sh.scale = 1.0f / std::sqrt(float(c.head_dim));
    // Scores of a few units: softmaxes that are neither flat nor one-hot.
    d.q = random_vector(size_t(c.n_tokens * c.n_head * c.head_dim), seed, 2.0f);
    d.k = random_vector(size_t(c.n_head_kv * capacity * c.head_dim), seed + 1, 2.0f);
    d.v = random_vector(d.k.size(), seed + 2);
    d.dout = random_vector(d.q.size(), seed + 3);
    return d;
}

TEST(OpsBackward, AttentionReferenceMatchesFiniteDifferences) {
    const AttnCase cases[] = {
        {1, 2, 1, 16, 0},  {7, 4, 2, 16, 0},  {7, 2, 2, 64, 3},
        {33, 4, 1, 16, 8}, {33, 3, 3, 64, 0}, {33, 4, 2, 64, 5},
    };
    uint32_t seed = 100;
    for (const AttnCase& c : cases) {
        SCOPED_TRACE(describe(c));
        AttnData d = make_attention(c, c.n_tokens, seed += 10);
        std::vector<float> dq(d.q.size()), dk(d.k.size()), dv(d.v.size()), out(d.q.size());
        ops::reference::attention_backward(d.sh, d.q.data(), d.k.data(), d.v.data(), d.dout.data(), dq.data(),
                                           dk.data(), dv.data());
        auto loss = [&] {
            ops::reference::attention(d.sh, d.q.data(), d.k.data(), d.v.data(), out.data());
            return dot(out, d.dout);
        };
        EXPECT_LT(finite_difference_error(d.q, dq, loss, sample_indices(d.q.size(), 40, seed)), 1e-4) << "dq";
        EXPECT_LT(finite_difference_error(d.k, dk, loss, sample_indices(d.k.size(), 40, seed + 1)), 1e-4)
            << "dk";
        EXPECT_LT(finite_difference_error(d.v, dv, loss, sample_indices(d.v.size(), 40, seed + 2)), 1e-4)
            << "dv";
    }
}

struct AttnGrads {
    std::vector<float> dq, dk, dv;
};

constexpr float kSentinel = 12345.0f;

AttnGrads fast_attention_backward(const AttnData& d, int n_threads) {
    ThreadPool pool(n_threads);
    AttnGrads g;
    g.dq.assign(d.q.size(), kSentinel);
    g.dk.assign(d.k.size(), kSentinel);
    g.dv.assign(d.v.size(), kSentinel);
    std::vector<float> scratch(size_t(ops::attention_backward_scratch_floats(d.sh, pool.size())), kSentinel);
    ops::attention_backward(d.sh, d.q.data(), d.k.data(), d.v.data(), d.dout.data(), g.dq.data(), g.dk.data(),
                            g.dv.data(), scratch.data(), pool);
    return g;
}

// Positions [n_tokens, capacity) of a cache-layout tensor.
std::vector<float> cache_tail(const std::vector<float>& x, const ops::AttentionShape& sh) {
    std::vector<float> tail;
    for (int64_t g = 0; g < sh.n_head_kv; ++g)
        for (int64_t j = sh.n_tokens; j < sh.capacity; ++j)
            for (int64_t i = 0; i < sh.head_dim; ++i)
                tail.push_back(x[size_t((g * sh.capacity + j) * sh.head_dim + i)]);
    return tail;
}

// The used positions [0, n_tokens) of a cache-layout tensor.
std::vector<float> cache_used(const std::vector<float>& x, const ops::AttentionShape& sh) {
    std::vector<float> used;
    for (int64_t g = 0; g < sh.n_head_kv; ++g)
        for (int64_t j = 0; j < sh.n_tokens; ++j)
            for (int64_t i = 0; i < sh.head_dim; ++i)
                used.push_back(x[size_t((g * sh.capacity + j) * sh.head_dim + i)]);
    return used;
}

TEST(OpsBackward, AttentionFastMatchesReferenceAndIsThreadCountIndependent) {
    // Lengths below, at and across the kernel's 32-token blocks; windows that
    // cut blocks in the middle; GQA groups of 1, 2, 3 and 4.
    const AttnCase cases[] = {
        {1, 2, 1, 16, 0},    {7, 4, 2, 16, 0},   {32, 3, 3, 64, 0},   {33, 4, 1, 16, 8}, {70, 6, 2, 64, 0},
        {70, 4, 4, 128, 40}, {100, 9, 3, 64, 0}, {97, 4, 1, 256, 33}, {65, 2, 1, 64, 1},
    };
    uint32_t seed = 500;
    for (const AttnCase& c : cases) {
        SCOPED_TRACE(describe(c));
        const int64_t capacity = c.n_tokens + 5;  // rows past n_tokens must stay untouched
        AttnData d = make_attention(c, capacity, seed += 10);
        std::vector<float> dq(d.q.size()), dk(d.k.size(), kSentinel), dv(d.v.size(), kSentinel);
        ops::reference::attention_backward(d.sh, d.q.data(), d.k.data(), d.v.data(), d.dout.data(), dq.data(),
                                           dk.data(), dv.data());
        const AttnGrads one = fast_attention_backward(d, 1);
        EXPECT_LT(rel_max_diff(one.dq, dq), 1e-5);
        EXPECT_LT(rel_max_diff(cache_used(one.dk, d.sh), cache_used(dk, d.sh)), 1e-5);
        EXPECT_LT(rel_max_diff(cache_used(one.dv, d.sh), cache_used(dv, d.sh)), 1e-5);
        for (float x : cache_tail(one.dk, d.sh)) ASSERT_EQ(x, kSentinel);
        for (float x : cache_tail(one.dv, d.sh)) ASSERT_EQ(x, kSentinel);
        for (int n_threads : {2, 3}) {
            const AttnGrads many = fast_attention_backward(d, n_threads);
            EXPECT_EQ(many.dq, one.dq) << n_threads << " threads";
            EXPECT_EQ(many.dk, one.dk) << n_threads << " threads";
            EXPECT_EQ(many.dv, one.dv) << n_threads << " threads";
        }
    }
}

TEST(OpsBackward, AttentionOnEveryCpuPath) {
    const AttnCase c = {45, 4, 2, 64, 20};
    AttnData d = make_attention(c, c.n_tokens, 900);
    std::vector<float> dq(d.q.size()), dk(d.k.size()), dv(d.v.size());
    ops::reference::attention_backward(d.sh, d.q.data(), d.k.data(), d.v.data(), d.dout.data(), dq.data(),
                                       dk.data(), dv.data());
    int tested = 0;
    for (CpuPath path : {CpuPath::scalar, CpuPath::avx2, CpuPath::avx_vnni, CpuPath::avx512, CpuPath::neon,
                         CpuPath::neon_dotprod}) {
        if (!cpu_path_force(path)) continue;
        SCOPED_TRACE(cpu_path_name(path));
        const AttnGrads g = fast_attention_backward(d, 2);
        EXPECT_LT(rel_max_diff(g.dq, dq), 1e-5);
        EXPECT_LT(rel_max_diff(g.dk, dk), 1e-5);
        EXPECT_LT(rel_max_diff(g.dv, dv), 1e-5);
        ++tested;
    }
    cpu_path_reset();
    EXPECT_GE(tested, 1);
}

TEST(OpsBackward, AttentionRejectsUnsupportedShapes) {
    AttnData d = make_attention({5, 4, 2, 16, 0}, 5, 950);
    d.sh.pos0 = 3;
    const AttnGrads g = fast_attention_backward(d, 1);
    for (float x : g.dq) ASSERT_TRUE(std::isnan(x));
    for (float x : g.dk) ASSERT_TRUE(std::isnan(x));
}

}  // namespace
