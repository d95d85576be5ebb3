#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "cpu/kernels.h"
#include "engine/matmul.h"
#include "engine/quant.h"

using engine::CpuPath;
using engine::DType;

namespace {

const DType kTypes[] = {DType::F32,  DType::F16,  DType::BF16, DType::Q8_0, DType::Q4_0, DType::Q4_1,
                        DType::Q5_0, DType::Q5_1, DType::Q4_K, DType::Q5_K, DType::Q6_K};

const CpuPath kPaths[] = {CpuPath::scalar, CpuPath::avx2, CpuPath::avx_vnni,
                          CpuPath::avx512, CpuPath::neon, CpuPath::neon_dotprod};
const CpuPath kSimdPaths[] = {CpuPath::avx2, CpuPath::avx_vnni, CpuPath::avx512, CpuPath::neon,
                              CpuPath::neon_dotprod};

// k per type: odd block counts (pairs plus a tail block), and a float tail for the
// plain types (not a multiple of the 16-element SIMD step).
int64_t k_for(DType t) {
    switch (t) {
        case DType::F32:
        case DType::F16:
        case DType::BF16:
            return 200;
        case DType::Q4_K:
        case DType::Q5_K:
        case DType::Q6_K:
            return 768;
        default:
            return 160;
    }
}

struct Weights {
    engine::TensorView view;
    std::vector<uint8_t> bytes;
    std::vector<float> deq;  // [rows, k] reference dequantization
};

Weights make_weights(DType type, int64_t k, int64_t rows, uint32_t seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    Weights w;
    w.bytes.resize(engine::dtype_row_bytes(type, k) * static_cast<size_t>(rows));
    w.deq.resize(static_cast<size_t>(k * rows));
    std::vector<float> row(static_cast<size_t>(k));
    for (int64_t r = 0; r < rows; ++r) {
        const float scale = 0.02f + 0.1f * static_cast<float>(r % 5);  // rows of different magnitude
        for (auto& v : row) v = normal(rng) * scale;
        uint8_t* dst = w.bytes.data() + r * engine::dtype_row_bytes(type, k);
        EXPECT_TRUE(engine::quantize_row(type, row.data(), dst, k).ok());
        engine::dequantize_row(type, dst, w.deq.data() + r * k, k);
    }
    w.view.type = type;
    w.view.n_dims = 2;
    w.view.ne = {k, rows, 1, 1};
    w.view.data = w.bytes.data();
    return w;
}

std::vector<float> make_x(int64_t n_tokens, int64_t k, uint32_t seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    std::vector<float> x(static_cast<size_t>(n_tokens * k));
    for (auto& v : x) v = normal(rng);
    for (size_t i = 0; i < x.size(); i += 29) x[i] *= 6.0f;  // outliers widen some activation blocks
    return x;
}

std::vector<float> run(const Weights& w, const std::vector<float>& x, int64_t n_tokens,
                       engine::ThreadPool& pool) {
    std::vector<float> y(static_cast<size_t>(n_tokens * w.view.ne[1]), -12345.0f);
    engine::matmul(w.view, x.data(), n_tokens, y.data(), pool);
    return y;
}

bool quantized(DType t) { return t != DType::F32 && t != DType::F16 && t != DType::BF16; }

struct PathGuard {
    ~PathGuard() { engine::cpu_path_reset(); }
};

bool bitwise_equal(const std::vector<float>& a, const std::vector<float>& b) {
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

}  // namespace

// Against dequantize + double-precision dot. Tolerance: quantizing an activation
// x to d*q with d = absmax(block)/127 moves it by at most d/2 = absmax/254, so an
// output moves by at most sum_blocks absmax_b/254 * sum_{i in b} |w_i|; on top,
// float summation of k terms errs by at most k * 2^-23 * sum |w||x| (loose gamma_k).
TEST(Matmul, MatchesDequantizedReferenceForEveryTypeAndPath) {
    PathGuard guard;
    engine::ThreadPool pool(2);
    for (CpuPath path : kPaths) {
        if (!engine::cpu_path_available(path)) continue;
        ASSERT_TRUE(engine::cpu_path_force(path));
        for (DType type : kTypes) {
            const int64_t k = k_for(type);
            const int64_t block = engine::cpu::act_format(type) == engine::cpu::ActFormat::q8k ? 256 : 32;
            for (int64_t rows : {1, 37}) {
                for (int64_t n_tokens : {1, 7, 64}) {
                    SCOPED_TRACE(std::string(engine::cpu_path_name(path)) + " " +
                                 std::string(engine::dtype_name(type)) + " rows=" + std::to_string(rows) +
                                 " n_tokens=" + std::to_string(n_tokens));
                    Weights w = make_weights(type, k, rows, static_cast<uint32_t>(rows * 131 + k));
                    auto x = make_x(n_tokens, k, static_cast<uint32_t>(n_tokens + 17));
                    auto y = run(w, x, n_tokens, pool);
                    for (int64_t t = 0; t < n_tokens; ++t) {
                        const float* xt = x.data() + t * k;
                        for (int64_t r = 0; r < rows; ++r) {
                            const float* wr = w.deq.data() + r * k;
                            double ref = 0.0, mag = 0.0, act_err = 0.0;
                            for (int64_t b = 0; b < k; b += block) {
                                double amax = 0.0, wabs = 0.0;
                                for (int64_t i = b; i < b + block && i < k; ++i) {
                                    ref += static_cast<double>(wr[i]) * xt[i];
                                    mag += std::fabs(static_cast<double>(wr[i]) * xt[i]);
                                    amax = std::max(amax, std::fabs(static_cast<double>(xt[i])));
                                    wabs += std::fabs(static_cast<double>(wr[i]));
                                }
                                if (quantized(type)) act_err += amax / 254.0 * 1.0001 * wabs;
                            }
                            const double tol =
                                act_err + static_cast<double>(k) * std::ldexp(mag + act_err, -23) + 1e-30;
                            const double got = y[static_cast<size_t>(t * rows + r)];
                            ASSERT_LE(std::fabs(got - ref), tol)
                                << "token " << t << " row " << r << " ref " << ref;
                        }
                    }
                }
            }
        }
    }
}

// The SIMD paths must agree with the scalar path. Both see the same int8
// activations and exact integer block sums; only float summation order differs.
TEST(Matmul, EverySimdPathAgreesWithScalar) {
    PathGuard guard;
    engine::ThreadPool pool(1);
    int n_paths = 0;
    for (CpuPath path : kSimdPaths) {
        if (!engine::cpu_path_available(path)) continue;
        ++n_paths;
        for (DType type : kTypes) {
            SCOPED_TRACE(std::string(engine::cpu_path_name(path)) + " " +
                         std::string(engine::dtype_name(type)));
            const int64_t k = k_for(type), rows = 37, n_tokens = 7;
            Weights w = make_weights(type, k, rows, 99);
            auto x = make_x(n_tokens, k, 5);
            ASSERT_TRUE(engine::cpu_path_force(CpuPath::scalar));
            auto ref = run(w, x, n_tokens, pool);
            ASSERT_TRUE(engine::cpu_path_force(path));
            auto got = run(w, x, n_tokens, pool);
            for (int64_t t = 0; t < n_tokens; ++t) {
                for (int64_t r = 0; r < rows; ++r) {
                    double mag = 0.0;
                    for (int64_t i = 0; i < k; ++i)
                        mag += std::fabs(static_cast<double>(w.deq[r * k + i]) * x[t * k + i]);
                    const size_t idx = static_cast<size_t>(t * rows + r);
                    ASSERT_LE(std::fabs(static_cast<double>(got[idx]) - ref[idx]),
                              2.0 * k * std::ldexp(mag, -23))
                        << "token " << t << " row " << r;
                }
            }
        }
    }
#if defined(__x86_64__)
    EXPECT_GE(n_paths, 1) << "an x86-64 CI machine is expected to have at least AVX2";
#elif defined(__aarch64__)
    EXPECT_GE(n_paths, 1) << "every aarch64 Linux CPU has NEON";
#endif
}

TEST(Matmul, SimdActivationQuantizersAreBitIdenticalToScalar) {
    const auto& ref = engine::cpu::kernels_scalar();
    const int64_t k = 1024;
    auto x = make_x(1, k, 3);
    x[5] = 0.0f;
    for (int i = 256; i < 512; ++i) x[static_cast<size_t>(i)] = 0.0f;  // an all-zero block: d = 0
    x[700] = 127.5f * 0.01f;
    std::vector<engine::quant::BlockQ8A> a_ref(k / 32), a_got(k / 32);
    std::vector<engine::quant::BlockQ8K> b_ref(k / 256), b_got(k / 256);
    ref.quantize_q8a(x.data(), a_ref.data(), k);
    ref.quantize_q8k(x.data(), b_ref.data(), k);
    const std::pair<const engine::cpu::KernelSet*, CpuPath> sets[] = {
        {engine::cpu::kernels_avx2(), CpuPath::avx2},
        {engine::cpu::kernels_avx_vnni(), CpuPath::avx_vnni},
        {engine::cpu::kernels_avx512(), CpuPath::avx512},
        {engine::cpu::kernels_neon(), CpuPath::neon},
        {engine::cpu::kernels_neon_dotprod(), CpuPath::neon_dotprod},
    };
    for (const auto& [ks, p] : sets) {
        if (ks == nullptr || !engine::cpu_path_available(p)) continue;
        SCOPED_TRACE(ks->name);
        ks->quantize_q8a(x.data(), a_got.data(), k);
        ks->quantize_q8k(x.data(), b_got.data(), k);
        EXPECT_EQ(std::memcmp(a_ref.data(), a_got.data(), a_ref.size() * sizeof(a_ref[0])), 0);
        EXPECT_EQ(std::memcmp(b_ref.data(), b_got.data(), b_ref.size() * sizeof(b_ref[0])), 0);
    }
}

#if defined(__x86_64__)
// The x86 variants differ only in the int8 dot instruction, which yields the same
// exact integer sums, so their outputs must be bitwise equal.
TEST(Matmul, X86PathsAreBitwiseEqualToEachOther) {
    PathGuard guard;
    engine::ThreadPool pool(1);
    std::vector<CpuPath> paths;
    for (CpuPath p : {CpuPath::avx2, CpuPath::avx_vnni, CpuPath::avx512})
        if (engine::cpu_path_available(p)) paths.push_back(p);
    // With fewer than two paths (non-x86, or AVX2 only) there is nothing to compare.
    for (DType type : kTypes) {
        SCOPED_TRACE(std::string(engine::dtype_name(type)));
        Weights w = make_weights(type, k_for(type), 21, 4);
        auto x = make_x(5, k_for(type), 8);
        ASSERT_TRUE(engine::cpu_path_force(paths[0]));
        auto first = run(w, x, 5, pool);
        for (size_t i = 1; i < paths.size(); ++i) {
            ASSERT_TRUE(engine::cpu_path_force(paths[i]));
            EXPECT_TRUE(bitwise_equal(first, run(w, x, 5, pool))) << engine::cpu_path_name(paths[i]);
        }
    }
}
#endif

TEST(Matmul, ResultsDoNotDependOnThreadCountOrBatchSize) {
    PathGuard guard;
    engine::ThreadPool p1(1), p2(2), p3(3);
    for (CpuPath path : kPaths) {
        if (!engine::cpu_path_available(path)) continue;
        ASSERT_TRUE(engine::cpu_path_force(path));
        for (DType type : kTypes) {
            SCOPED_TRACE(std::string(engine::cpu_path_name(path)) + " " +
                         std::string(engine::dtype_name(type)));
            const int64_t k = k_for(type), rows = 53, n_tokens = 11;
            Weights w = make_weights(type, k, rows, 12);
            auto x = make_x(n_tokens, k, 13);
            auto y1 = run(w, x, n_tokens, p1);
            EXPECT_TRUE(bitwise_equal(y1, run(w, x, n_tokens, p2)));
            EXPECT_TRUE(bitwise_equal(y1, run(w, x, n_tokens, p3)));
            // Token 9 alone (a tile of 1) equals its row in the batch (a tile of 3 after 8).
            std::vector<float> x9(x.begin() + 9 * k, x.begin() + 10 * k);
            auto y9 = run(w, x9, 1, p2);
            EXPECT_EQ(std::memcmp(y9.data(), y1.data() + 9 * rows, static_cast<size_t>(rows) * sizeof(float)),
                      0);
        }
    }
}

TEST(Matmul, GetRowsDequantizesTheRequestedRows) {
    for (DType type : kTypes) {
        SCOPED_TRACE(std::string(engine::dtype_name(type)));
        const int64_t k = k_for(type), rows = 9;
        Weights w = make_weights(type, k, rows, 21);
        const int32_t ids[] = {3, 0, 8, 3, -1, 9};
        std::vector<float> out(6 * static_cast<size_t>(k), 0.0f);
        engine::get_rows(w.view, ids, 6, out.data());
        for (int i = 0; i < 4; ++i)
            EXPECT_EQ(std::memcmp(out.data() + i * k, w.deq.data() + ids[i] * k, static_cast<size_t>(k) * 4),
                      0);
        for (int64_t j = 4 * k; j < 6 * k; ++j) ASSERT_TRUE(std::isnan(out[static_cast<size_t>(j)]));
    }
}

TEST(Matmul, PathSelection) {
    PathGuard guard;
    EXPECT_TRUE(engine::cpu_path_available(CpuPath::scalar));
    EXPECT_TRUE(engine::cpu_path_available(engine::cpu_path_best()));
    EXPECT_EQ(engine::cpu_path_active(), engine::cpu_path_best());
    EXPECT_TRUE(engine::cpu_path_force(CpuPath::scalar));
    EXPECT_EQ(engine::cpu_path_active(), CpuPath::scalar);
    engine::cpu_path_reset();
    EXPECT_EQ(engine::cpu_path_active(), engine::cpu_path_best());
}
