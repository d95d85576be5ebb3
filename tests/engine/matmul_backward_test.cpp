// cpu::gemm_accumulate, and matmul_backward_input / matmul_accumulate_outer
// built on it, against plain double loops (over dequantized weights), across
// thread counts, ways of splitting the work, and CPU paths.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "cpu/gemm_accumulate.h"
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

// C += A B with A read through strides; checked against double sums, and for
// the property the drivers rely on: computing C in pieces (rows, columns, or r
// in consecutive chunks) gives the same bits as one call.
TEST(GemmAccumulate, MatchesReferenceAndIsSplitInvariantOnEveryPath) {
    struct Case {
        int64_t M, N, R;
        bool a_transposed;
    };
    const Case cases[] = {{1, 1, 1, false},    {7, 70, 33, false}, {13, 131, 64, true},
                          {6, 64, 200, false}, {25, 9, 17, true},  {3, 200, 5, false}};
    for (CpuPath path : kPaths) {
        if (!engine::cpu_path_force(path)) continue;
        SCOPED_TRACE(engine::cpu_path_name(path));
        uint32_t seed = 40;
        for (const Case& cs : cases) {
            SCOPED_TRACE("M " + std::to_string(cs.M) + " N " + std::to_string(cs.N) + " R " +
                         std::to_string(cs.R));
            const int64_t ldb = cs.N + 3, ldc = cs.N + 5;
            // A(m, r) = a[m * sam + r * sar]: row-major [M, R] or transposed [R, M], padded.
            const int64_t sam = cs.a_transposed ? 1 : cs.R + 2, sar = cs.a_transposed ? cs.M + 2 : 1;
            const auto a = random_vector(size_t(cs.a_transposed ? cs.R * sar : cs.M * sam), seed++);
            const auto b = random_vector(size_t(cs.R * ldb), seed++);
            const auto c0 = random_vector(size_t(cs.M * ldc), seed++);
            auto whole = c0;
            engine::cpu::gemm_accumulate(cs.M, cs.N, cs.R, a.data(), sam, sar, b.data(), ldb, whole.data(),
                                         ldc);
            int bad = 0;
            for (int64_t m = 0; m < cs.M; ++m)
                for (int64_t n = 0; n < ldc; ++n) {
                    const size_t i = size_t(m * ldc + n);
                    if (n >= cs.N) {  // padding untouched
                        if (whole[i] != c0[i] && bad++ < 5)
                            ADD_FAILURE() << "wrote padding at " << m << "," << n;
                        continue;
                    }
                    double sum = c0[i], mag = std::abs(sum);
                    for (int64_t r = 0; r < cs.R; ++r) {
                        const double term =
                            double(a[size_t(m * sam + r * sar)]) * double(b[size_t(r * ldb + n)]);
                        sum += term;
                        mag += std::abs(term);
                    }
                    if (!(std::abs(double(whole[i]) - sum) <= 1e-6 * mag) && bad++ < 5)
                        ADD_FAILURE() << "C[" << m << "][" << n << "] = " << whole[i] << ", want " << sum;
                }
            EXPECT_EQ(bad, 0);
            // Pieces: rows split at m1, columns at n1, r in two chunks.
            const int64_t m1 = cs.M / 2 + 1 > cs.M ? cs.M : cs.M / 2 + 1, n1 = cs.N / 3, r1 = cs.R / 2;
            auto pieces = c0;
            for (auto [mb, me] : {std::pair{int64_t{0}, m1}, std::pair{m1, cs.M}})
                for (auto [nb, ne] : {std::pair{int64_t{0}, n1}, std::pair{n1, cs.N}})
                    for (auto [rb, re] : {std::pair{int64_t{0}, r1}, std::pair{r1, cs.R}})
                        engine::cpu::gemm_accumulate(
                            me - mb, ne - nb, re - rb, a.data() + mb * sam + rb * sar, sam, sar,
                            b.data() + rb * ldb + nb, ldb, pieces.data() + mb * ldc + nb, ldc);
            EXPECT_EQ(pieces, whole);
        }
    }
    engine::cpu_path_reset();
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
