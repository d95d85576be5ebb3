// aarch64 only (see matmul_neon.cmake): the NEON kernel paths against the scalar
// path. For quantized weights the NEON kernels compute the same exact integer
// block sums and then the scalar path's float expressions in the same order, so
// their outputs must be bitwise equal to it; the plain and dot-product builds
// must be bitwise equal to each other for every type.
#include <gtest/gtest.h>
#include <sys/auxv.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "cpu/kernels.h"
#include "engine/matmul.h"
#include "engine/quant.h"
#include "quant/blocks.h"

using engine::CpuPath;
using engine::DType;
namespace q = engine::quant;

namespace {

const DType kQuantTypes[] = {DType::Q8_0, DType::Q4_0, DType::Q4_1, DType::Q5_0,
                             DType::Q5_1, DType::Q4_K, DType::Q5_K, DType::Q6_K};
const DType kFloatTypes[] = {DType::F32, DType::F16, DType::BF16};

struct PathGuard {
    ~PathGuard() { engine::cpu_path_reset(); }
};

std::vector<CpuPath> neon_paths() {
    std::vector<CpuPath> paths;
    for (CpuPath p : {CpuPath::neon, CpuPath::neon_dotprod})
        if (engine::cpu_path_available(p)) paths.push_back(p);
    return paths;
}

// Where a block's fp16 scale fields sit (-1: none), and the block size in bytes.
struct ScaleFields {
    size_t block_bytes;
    int d, m;
};

ScaleFields scale_fields(DType t) {
    switch (t) {
        case DType::Q8_0:
            return {sizeof(q::BlockQ8_0), offsetof(q::BlockQ8_0, d), -1};
        case DType::Q4_0:
            return {sizeof(q::BlockQ4_0), offsetof(q::BlockQ4_0, d), -1};
        case DType::Q4_1:
            return {sizeof(q::BlockQ4_1), offsetof(q::BlockQ4_1, d), offsetof(q::BlockQ4_1, m)};
        case DType::Q5_0:
            return {sizeof(q::BlockQ5_0), offsetof(q::BlockQ5_0, d), -1};
        case DType::Q5_1:
            return {sizeof(q::BlockQ5_1), offsetof(q::BlockQ5_1, d), offsetof(q::BlockQ5_1, m)};
        case DType::Q4_K:
            return {sizeof(q::BlockQ4_K), offsetof(q::BlockQ4_K, d), offsetof(q::BlockQ4_K, dmin)};
        case DType::Q5_K:
            return {sizeof(q::BlockQ5_K), offsetof(q::BlockQ5_K, d), offsetof(q::BlockQ5_K, dmin)};
        case DType::Q6_K:
            return {sizeof(q::BlockQ6_K), offsetof(q::BlockQ6_K, d), -1};
        default:
            return {0, -1, -1};
    }
}

struct Weights {
    engine::TensorView view;
    std::vector<uint8_t> bytes;
};

// Quantized weights made of random bytes, so every quant, high-bit, sub-block
// scale and min pattern occurs (Q8_0 -128 included), with finite fp16 scales.
Weights random_block_weights(DType type, int64_t k, int64_t rows, uint32_t seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> normal(0.0f, 0.01f);
    const ScaleFields f = scale_fields(type);
    Weights w;
    w.bytes.resize(engine::dtype_row_bytes(type, k) * static_cast<size_t>(rows));
    for (auto& b : w.bytes) b = static_cast<uint8_t>(rng());
    for (size_t at = 0; at + f.block_bytes <= w.bytes.size(); at += f.block_bytes) {
        for (int field : {f.d, f.m}) {
            if (field < 0) continue;
            const uint16_t h = engine::fp32_to_fp16(normal(rng));
            std::memcpy(w.bytes.data() + at + field, &h, 2);
        }
    }
    w.view.type = type;
    w.view.n_dims = 2;
    w.view.ne = {k, rows, 1, 1};
    w.view.data = w.bytes.data();
    return w;
}

// Float weights through quantize_row (random F16/BF16 bits would include NaN).
Weights float_weights(DType type, int64_t k, int64_t rows, uint32_t seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> normal(0.0f, 0.1f);
    std::vector<float> v(static_cast<size_t>(k * rows));
    for (auto& x : v) x = normal(rng);
    Weights w;
    w.bytes.resize(engine::dtype_row_bytes(type, k) * static_cast<size_t>(rows));
    for (int64_t r = 0; r < rows; ++r)
        EXPECT_TRUE(engine::quantize_row(type, v.data() + r * k,
                                         w.bytes.data() + r * engine::dtype_row_bytes(type, k), k)
                        .ok());
    w.view.type = type;
    w.view.n_dims = 2;
    w.view.ne = {k, rows, 1, 1};
    w.view.data = w.bytes.data();
    return w;
}

// Activations with outliers, and one all-zero 32-element block per token (d = 0).
std::vector<float> make_x(int64_t n_tokens, int64_t k, uint32_t seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    std::vector<float> x(static_cast<size_t>(n_tokens * k));
    for (auto& v : x) v = normal(rng);
    for (size_t i = 0; i < x.size(); i += 23) x[i] *= 8.0f;
    for (int64_t t = 0; t < n_tokens; ++t) std::fill(x.begin() + t * k + 32, x.begin() + t * k + 64, 0.0f);
    return x;
}

std::vector<float> run(CpuPath path, const Weights& w, const std::vector<float>& x, int64_t n_tokens,
                       engine::ThreadPool& pool) {
    EXPECT_TRUE(engine::cpu_path_force(path));
    std::vector<float> y(static_cast<size_t>(n_tokens * w.view.ne[1]), -12345.0f);
    engine::matmul(w.view, x.data(), n_tokens, y.data(), pool);
    return y;
}

bool bitwise_equal(const std::vector<float>& a, const std::vector<float>& b) {
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

std::string trace(CpuPath p, DType t, int64_t n_tokens) {
    return std::string(engine::cpu_path_name(p)) + " " + std::string(engine::dtype_name(t)) +
           " n_tokens=" + std::to_string(n_tokens);
}

}  // namespace

// scripts/test_aarch64.sh runs the suite on an emulated CPU with and without the
// dot product and says which through CRUCIBLE_EXPECT_DOTPROD (1 or 0), so that
// both kernel builds are known to have been exercised. Unset (a native run), the
// kernel's hardware capabilities are the expectation.
TEST(MatmulNeon, PathDetectionMatchesTheCpu) {
    EXPECT_TRUE(engine::cpu_path_available(CpuPath::neon));
    EXPECT_FALSE(engine::cpu_path_available(CpuPath::avx2));
    const char* expect = std::getenv("CRUCIBLE_EXPECT_DOTPROD");
    const bool dotprod =
        expect != nullptr ? std::string(expect) == "1" : (getauxval(AT_HWCAP) & HWCAP_ASIMDDP) != 0;
    EXPECT_EQ(engine::cpu_path_available(CpuPath::neon_dotprod), dotprod);
    EXPECT_STREQ(engine::cpu_path_name(engine::cpu_path_best()), dotprod ? "neon_dotprod" : "neon");
}

TEST(MatmulNeon, QuantizedTypesAreBitwiseEqualToScalar) {
    PathGuard guard;
    engine::ThreadPool pool(2);
    const auto paths = neon_paths();
    ASSERT_FALSE(paths.empty());
    for (DType type : kQuantTypes) {
        const bool k_quant = engine::cpu::act_format(type) == engine::cpu::ActFormat::q8k;
        const int64_t k = k_quant ? 3 * 256 : 5 * 32, rows = 19;
        Weights w = random_block_weights(type, k, rows, static_cast<uint32_t>(k) + 7);
        for (int64_t n_tokens : {1, 2, 3, 4, 6, 9}) {  // every tile width, and tails after full tiles
            auto x = make_x(n_tokens, k, static_cast<uint32_t>(n_tokens) * 31);
            const auto ref = run(CpuPath::scalar, w, x, n_tokens, pool);
            for (float v : ref) ASSERT_TRUE(std::isfinite(v));
            for (CpuPath path : paths) {
                SCOPED_TRACE(trace(path, type, n_tokens));
                EXPECT_TRUE(bitwise_equal(ref, run(path, w, x, n_tokens, pool)));
            }
        }
    }
}

// Plain and dot-product builds share every float operation.
TEST(MatmulNeon, PlainAndDotprodBuildsAreBitwiseEqual) {
    PathGuard guard;
    engine::ThreadPool pool(1);
    const auto paths = neon_paths();
    ASSERT_FALSE(paths.empty());
    for (DType type : kFloatTypes) {
        Weights w = float_weights(type, 200, 13, 3);
        auto x = make_x(6, 200, 4);
        const auto first = run(paths[0], w, x, 6, pool);
        for (CpuPath path : paths) {
            SCOPED_TRACE(trace(path, type, 6));
            EXPECT_TRUE(bitwise_equal(first, run(path, w, x, 6, pool)));
        }
    }
    for (DType type : kQuantTypes) {
        const int64_t k = engine::cpu::act_format(type) == engine::cpu::ActFormat::q8k ? 512 : 96;
        Weights w = random_block_weights(type, k, 13, 5);
        auto x = make_x(6, k, 6);
        const auto first = run(paths[0], w, x, 6, pool);
        for (CpuPath path : paths) {
            SCOPED_TRACE(trace(path, type, 6));
            EXPECT_TRUE(bitwise_equal(first, run(path, w, x, 6, pool)));
        }
    }
}
