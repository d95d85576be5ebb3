// matmul_backward_input and matmul_accumulate_outer against plain double loops
// over dequantized weights, across thread counts and CPU paths.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "engine/matmul.h"
#include "engine/quant.h"

namespace {

using engine::CpuPath;
using engine::DType;

const DType kTypes[] = {DType::F32,  DType::F16,  DType::BF16, DType::Q8_0, DType::Q4_0, DType::Q4_1,
                        DType::Q5_0, DType::Q5_1, DType::Q4_K, DType::Q5_K, DType::Q6_K};
const CpuPath kPaths[] = {CpuPath::scalar, CpuPath::avx2, CpuPath::avx_vnni,
                          CpuPath::avx512, CpuPath::neon, CpuPath::neon_dotprod};

std::vector<float> random_vector(size_t n, uint32_t seed, float scale = 1.0f) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> normal(0.0f, scale);
    std::vector<float> v(n);
    for (float& x : v) x = normal(rng);
    return v;
}

struct Weights {
    engine::TensorView view;
    std::vector<uint8_t> bytes;
    std::vector<float> deq;  // [rows, k] reference dequantization
};

Weights make_weights(DType type, int64_t k, int64_t rows, uint32_t seed) {
    Weights w;
    const size_t row_bytes = engine::dtype_row_bytes(type, k);
    w.bytes.resize(row_bytes * size_t(rows));
    w.deq.resize(size_t(k * rows));
    const auto src = random_vector(size_t(k * rows), seed, 0.1f);
    for (int64_t r = 0; r < rows; ++r) {
        uint8_t* dst = w.bytes.data() + size_t(r) * row_bytes;
        EXPECT_TRUE(engine::quantize_row(type, src.data() + r * k, dst, k).ok());
        engine::dequantize_row(type, dst, w.deq.data() + r * k, k);
    }
    w.view.type = type;
    w.view.n_dims = 2;
    w.view.ne = {k, rows, 1, 1};
    w.view.data = w.bytes.data();
    return w;
}

// Checks got against dx0 + dy . deq elementwise, allowing float rounding of a
// running sum: |error| <= 1e-5 * (|dx0| + sum_r |dy * W|).
void expect_backward_input_close(const std::vector<float>& got, const std::vector<float>& dx0,
                                 const std::vector<float>& dy, const Weights& w, int64_t n_tokens) {
    const int64_t k = w.view.ne[0], rows = w.view.ne[1];
    int bad = 0;
    for (int64_t t = 0; t < n_tokens; ++t)
        for (int64_t c = 0; c < k; ++c) {
            double sum = dx0[size_t(t * k + c)], mag = std::abs(sum);
            for (int64_t r = 0; r < rows; ++r) {
                const double term = double(dy[size_t(t * rows + r)]) * double(w.deq[size_t(r * k + c)]);
                sum += term;
                mag += std::abs(term);
            }
            const double err = std::abs(double(got[size_t(t * k + c)]) - sum);
            if (!(err <= 1e-5 * mag + 1e-30) && bad++ < 5)
                ADD_FAILURE() << "dx[" << t << "][" << c << "] = " << got[size_t(t * k + c)] << ", want "
                              << sum;
        }
    EXPECT_EQ(bad, 0);
}

std::vector<float> backward_input(const Weights& w, const std::vector<float>& dy,
                                  const std::vector<float>& dx0, int64_t n_tokens, int n_threads) {
    engine::ThreadPool pool(n_threads);
    auto dx = dx0;
    engine::matmul_backward_input(w.view, dy.data(), n_tokens, dx.data(), pool);
    return dx;
}

// k per type: several column chunks with a partial last one (a float tail that
// is not a multiple of 16 for the plain types); rows past one dequantized panel.
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
            return 416;
    }
}

TEST(MatmulBackward, InputMatchesReferenceForEveryTypeAndThreadCount) {
    uint32_t seed = 1;
    for (DType type : kTypes) {
        SCOPED_TRACE(std::string(engine::dtype_name(type)));
        const int64_t k = k_for(type), rows = 150;
        const Weights w = make_weights(type, k, rows, seed++);
        for (int64_t n_tokens : {1, 5, 50}) {
            SCOPED_TRACE("n_tokens " + std::to_string(n_tokens));
            const auto dy = random_vector(size_t(n_tokens * rows), seed++);
            const auto dx0 = random_vector(size_t(n_tokens * k), seed++);  // accumulated onto
            const auto one = backward_input(w, dy, dx0, n_tokens, 1);
            expect_backward_input_close(one, dx0, dy, w, n_tokens);
            for (int n_threads : {2, 3}) EXPECT_EQ(backward_input(w, dy, dx0, n_tokens, n_threads), one);
        }
    }
}

TEST(MatmulBackward, InputOnEveryCpuPath) {
    const int64_t n_tokens = 13, rows = 70;
    std::vector<float> fma_result;  // the AVX2 and AVX-512 paths both fuse: same bits
    for (CpuPath path : kPaths) {
        if (!engine::cpu_path_force(path)) continue;
        SCOPED_TRACE(engine::cpu_path_name(path));
        uint32_t seed = 100;
        std::vector<float> all;
        for (DType type : {DType::F32, DType::F16, DType::Q4_1, DType::Q6_K}) {
            const Weights w = make_weights(type, k_for(type), rows, seed++);
            const auto dy = random_vector(size_t(n_tokens * rows), seed++);
            const auto dx0 = random_vector(size_t(n_tokens * k_for(type)), seed++);
            const auto dx = backward_input(w, dy, dx0, n_tokens, 2);
            expect_backward_input_close(dx, dx0, dy, w, n_tokens);
            all.insert(all.end(), dx.begin(), dx.end());
        }
        if (path == CpuPath::avx2 || path == CpuPath::avx_vnni || path == CpuPath::avx512) {
            if (fma_result.empty())
                fma_result = all;
            else
                EXPECT_EQ(all, fma_result);
        }
    }
    engine::cpu_path_reset();
}

TEST(MatmulBackward, InputWithLoraShapes) {
    // LoRA B (k = rank, many rows) and LoRA A (k = model width, rows = rank).
    for (auto [k, rows] : {std::pair<int64_t, int64_t>{8, 576}, {16, 1536}, {576, 16}, {3, 5}}) {
        SCOPED_TRACE("k " + std::to_string(k) + " rows " + std::to_string(rows));
        const Weights w = make_weights(DType::F32, k, rows, 7);
        const int64_t n_tokens = 37;
        const auto dy = random_vector(size_t(n_tokens * rows), 8);
        const auto dx0 = random_vector(size_t(n_tokens * k), 9);
        const auto one = backward_input(w, dy, dx0, n_tokens, 1);
        expect_backward_input_close(one, dx0, dy, w, n_tokens);
        for (int n_threads : {2, 3, 8}) EXPECT_EQ(backward_input(w, dy, dx0, n_tokens, n_threads), one);
    }
}

TEST(MatmulBackward, InputWithBadShapeGivesNaN) {
    Weights w = make_weights(DType::Q8_0, 64, 4, 3);
    w.view.ne[0] = 48;  // not a multiple of the block size
    engine::ThreadPool pool(1);
    std::vector<float> dy(8, 1.0f), dx(96, 0.0f);
    engine::matmul_backward_input(w.view, dy.data(), 2, dx.data(), pool);
    for (float x : dx) ASSERT_TRUE(std::isnan(x));
}

std::vector<float> outer(const std::vector<float>& a, int64_t a_cols, const std::vector<float>& b,
                         int64_t b_cols, int64_t n_tokens, const std::vector<float>& dw0, int n_threads) {
    engine::ThreadPool pool(n_threads);
    auto dw = dw0;
    engine::matmul_accumulate_outer(a.data(), a_cols, b.data(), b_cols, n_tokens, dw.data(), pool);
    return dw;
}

TEST(MatmulBackward, AccumulateOuterMatchesReferenceAndThreadCount) {
    struct Case {
        int64_t n_tokens, a_cols, b_cols;
    };
    // Token counts across the 256-token chunks; LoRA dA ([rank, in]) and dB ([out, rank]) shapes.
    for (const Case c :
         {Case{300, 30, 70}, Case{5, 8, 576}, Case{33, 100, 8}, Case{1, 1, 1}, Case{64, 16, 1536}}) {
        SCOPED_TRACE("tokens " + std::to_string(c.n_tokens) + " a_cols " + std::to_string(c.a_cols) +
                     " b_cols " + std::to_string(c.b_cols));
        const auto a = random_vector(size_t(c.n_tokens * c.a_cols), 11);
        const auto b = random_vector(size_t(c.n_tokens * c.b_cols), 12);
        const auto dw0 = random_vector(size_t(c.a_cols * c.b_cols), 13);
        const auto one = outer(a, c.a_cols, b, c.b_cols, c.n_tokens, dw0, 1);
        int bad = 0;
        for (int64_t i = 0; i < c.a_cols; ++i)
            for (int64_t j = 0; j < c.b_cols; ++j) {
                double sum = dw0[size_t(i * c.b_cols + j)], mag = std::abs(sum);
                for (int64_t t = 0; t < c.n_tokens; ++t) {
                    const double term =
                        double(a[size_t(t * c.a_cols + i)]) * double(b[size_t(t * c.b_cols + j)]);
                    sum += term;
                    mag += std::abs(term);
                }
                const float got = one[size_t(i * c.b_cols + j)];
                if (!(std::abs(double(got) - sum) <= 1e-5 * mag) && bad++ < 5)
                    ADD_FAILURE() << "dw[" << i << "][" << j << "] = " << got << ", want " << sum;
            }
        EXPECT_EQ(bad, 0);
        for (int n_threads : {2, 3, 8})
            EXPECT_EQ(outer(a, c.a_cols, b, c.b_cols, c.n_tokens, dw0, n_threads), one)
                << n_threads << " threads";
    }
}

}  // namespace
