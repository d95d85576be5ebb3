#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "engine/quant.h"
#include "quant_golden.h"

using engine::DType;

namespace {

struct TypeCase {
    DType type;
    const char* file;
};

const TypeCase kGoldenTypes[] = {
    {DType::F32, "f32"},   {DType::F16, "f16"},   {DType::BF16, "bf16"}, {DType::Q8_0, "q8_0"},
    {DType::Q4_0, "q4_0"}, {DType::Q4_1, "q4_1"}, {DType::Q5_0, "q5_0"}, {DType::Q5_1, "q5_1"},
    {DType::Q4_K, "q4_k"}, {DType::Q5_K, "q5_k"}, {DType::Q6_K, "q6_k"},
};

std::string golden_path(const char* name) {
    return std::string(CRUCIBLE_TEST_DATA_DIR) + "/golden/quant/" + name + ".bin";
}

// The exact value of a binary16 bit pattern, computed independently of the engine.
double half_value(uint16_t h) {
    const int exp = (h >> 10) & 0x1F, mant = h & 0x3FF;
    const double sign = (h & 0x8000) ? -1.0 : 1.0;
    if (exp == 0) return sign * std::ldexp(mant, -24);
    if (exp == 31) return mant ? NAN : sign * INFINITY;
    return sign * std::ldexp(1024 + mant, exp - 25);
}

}  // namespace

TEST(Quant, DequantizeMatchesGgufPyBitForBit) {
    for (const auto& tc : kGoldenTypes) {
        SCOPED_TRACE(tc.file);
        auto g = quant_test::read_golden(golden_path(tc.file));
        ASSERT_TRUE(g.error.empty()) << g.error;
        ASSERT_EQ(g.ggml_type, static_cast<uint32_t>(tc.type));
        int n_checked = 0;
        for (const auto& c : g.cases) {
            if (c.kind != 0) continue;
            const int64_t n = static_cast<int64_t>(c.floats.size());
            ASSERT_EQ(c.bytes.size(), engine::dtype_row_bytes(tc.type, n));
            std::vector<float> out(c.floats.size(), -1.0f);
            engine::dequantize_row(tc.type, c.bytes.data(), out.data(), n);
            for (size_t i = 0; i < out.size(); ++i)
                ASSERT_EQ(std::bit_cast<uint32_t>(out[i]), std::bit_cast<uint32_t>(c.floats[i]))
                    << "element " << i << ": " << out[i] << " vs " << c.floats[i];
            ++n_checked;
        }
        EXPECT_EQ(n_checked, 1);
    }
}

TEST(Quant, QuantizeMatchesGgufPyForTheTypesItQuantizes) {
    int n_files_with_quant = 0;
    for (const auto& tc : kGoldenTypes) {
        SCOPED_TRACE(tc.file);
        auto g = quant_test::read_golden(golden_path(tc.file));
        ASSERT_TRUE(g.error.empty()) << g.error;
        for (const auto& c : g.cases) {
            if (c.kind != 1) continue;
            ++n_files_with_quant;
            const int64_t n = static_cast<int64_t>(c.floats.size());
            std::vector<uint8_t> out(engine::dtype_row_bytes(tc.type, n), 0xAB);
            ASSERT_TRUE(engine::quantize_row(tc.type, c.floats.data(), out.data(), n).ok());
            ASSERT_EQ(out.size(), c.bytes.size());
            for (size_t i = 0; i < out.size(); ++i) ASSERT_EQ(out[i], c.bytes[i]) << "byte " << i;
        }
    }
    EXPECT_EQ(n_files_with_quant, 8);  // f32 f16 bf16 q8_0 q4_0 q4_1 q5_0 q5_1
}

TEST(Quant, Fp16ToFp32IsExactForAllPatterns) {
    for (uint32_t h = 0; h < 65536; ++h) {
        const float f = engine::fp16_to_fp32(static_cast<uint16_t>(h));
        const double ref = half_value(static_cast<uint16_t>(h));
        if (std::isnan(ref)) {
            ASSERT_TRUE(std::isnan(f)) << h;
        } else {
            ASSERT_EQ(static_cast<double>(f), ref) << h;
            ASSERT_EQ(std::signbit(f), (h & 0x8000) != 0) << h;
        }
    }
}

TEST(Quant, Fp32ToFp16RoundsToNearestEven) {
    for (uint32_t h = 0; h < 0x7C00; ++h) {
        const uint16_t hp = static_cast<uint16_t>(h);
        const double v = half_value(hp);
        ASSERT_EQ(engine::fp32_to_fp16(static_cast<float>(v)), hp) << h;
        ASSERT_EQ(engine::fp32_to_fp16(static_cast<float>(-v)), hp | 0x8000) << h;
        // Halfway to the next half (exactly representable in binary32): ties to even.
        const double next = h + 1 < 0x7C00 ? half_value(static_cast<uint16_t>(h + 1)) : 65536.0;
        const float mid = static_cast<float>((v + next) / 2);
        ASSERT_EQ(static_cast<double>(mid), (v + next) / 2);
        const uint16_t even = (h & 1) ? static_cast<uint16_t>(h + 1) : hp;
        ASSERT_EQ(engine::fp32_to_fp16(mid), even) << h;
        // Just above / below the midpoint go to the nearer neighbour.
        ASSERT_EQ(engine::fp32_to_fp16(std::nextafter(mid, 1e9f)), static_cast<uint16_t>(h + 1)) << h;
        ASSERT_EQ(engine::fp32_to_fp16(std::nextafter(mid, -1e9f)), hp) << h;
    }
    EXPECT_EQ(engine::fp32_to_fp16(1e6f), 0x7C00);
    EXPECT_EQ(engine::fp32_to_fp16(-INFINITY), 0xFC00);
    EXPECT_EQ(engine::fp32_to_fp16(1e-10f), 0x0000);
    EXPECT_TRUE(std::isnan(engine::fp16_to_fp32(engine::fp32_to_fp16(NAN))));
}

TEST(Quant, Bf16RoundsToNearestEvenAndKeepsNan) {
    EXPECT_EQ(engine::fp32_to_bf16(1.0f), 0x3F80);
    EXPECT_EQ(engine::fp32_to_bf16(std::bit_cast<float>(0x3F808000u)), 0x3F80);  // tie, even stays
    EXPECT_EQ(engine::fp32_to_bf16(std::bit_cast<float>(0x3F818000u)), 0x3F82);  // tie, odd rounds up
    EXPECT_EQ(engine::fp32_to_bf16(std::bit_cast<float>(0x3F808001u)), 0x3F81);
    EXPECT_EQ(engine::fp32_to_bf16(std::bit_cast<float>(0x7F7FFFFFu)), 0x7F80);  // overflow to inf
    EXPECT_TRUE(std::isnan(engine::bf16_to_fp32(engine::fp32_to_bf16(std::bit_cast<float>(0x7F800001u)))));
    for (uint32_t h = 0; h < 65536; h += 7) {
        if ((h & 0x7F80) == 0x7F80) continue;
        EXPECT_EQ(engine::fp32_to_bf16(engine::bf16_to_fp32(static_cast<uint16_t>(h))), h);
    }
}

// Round trip through our quantizers: every element within a bound derived from
// the format's step size for its block (half a step, plus slack for scale
// rounding where the scales are themselves quantized).
TEST(Quant, RoundTripErrorIsWithinTheFormatsStep) {
    // An element is off by at most half a step, plus the rounding of the fp16 scale (relative
    // 2^-11, absolute 2^-25 once subnormal) times the largest |q|, plus the fp16 rounding of a
    // stored minimum. K-quants (quantized 6/8-bit sub-block scales) are bounded by one full
    // nominal step of their super-block instead.
    struct Bound {
        DType type;
        int group;      // elements the step is computed over
        double levels;  // step = absmax / levels, or (max - min) / levels
        double q_max;   // largest |q| multiplying the fp16 scale (K: |q| * largest sub-block scale)
        bool use_absmax;
        bool k_quant;
        double steps = 0.5;  // Q4_0/Q5_0 give the extreme opposite the absmax a full step (q clamps at 7/15)
    };
    const Bound bounds[] = {
        {DType::Q8_0, 32, 127, 127, true, false},
        {DType::Q4_0, 32, 8, 8, true, false, 1.0},
        {DType::Q5_0, 32, 16, 16, true, false, 1.0},
        {DType::Q4_1, 32, 15, 15, false, false},
        {DType::Q5_1, 32, 31, 31, false, false},
        {DType::Q4_K, 256, 15, 15 * 63, false, true},
        {DType::Q5_K, 256, 31 / 1.2, 31 * 63, false, true},
        {DType::Q6_K, 256, 32, 32 * 127, true, true},
    };
    std::mt19937 rng(7);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    const int64_t n = 256 * 8;
    std::vector<float> x(n), y(n);
    for (const auto& b : bounds) {
        SCOPED_TRACE(std::string(engine::dtype_name(b.type)));
        for (int trial = 0; trial < 3; ++trial) {
            const float scale = trial == 0 ? 1.0f : trial == 1 ? 1e-3f : 40.0f;
            const float shift = trial == 2 ? 30.0f : 0.0f;  // a block with no negative values
            for (auto& v : x) v = normal(rng) * scale + shift;
            std::vector<uint8_t> q(engine::dtype_row_bytes(b.type, n));
            ASSERT_TRUE(engine::quantize_row(b.type, x.data(), q.data(), n).ok());
            engine::dequantize_row(b.type, q.data(), y.data(), n);
            const int64_t group = b.group;
            double sum_sq = 0.0, sum_sq_ref = 0.0;
            for (int64_t g = 0; g < n; g += group) {
                float mn = x[g], mx = x[g], amax = 0.0f;
                for (int64_t i = g; i < g + group; ++i) {
                    mn = std::min(mn, x[i]);
                    mx = std::max(mx, x[i]);
                    amax = std::max(amax, std::fabs(x[i]));
                }
                if (b.type == DType::Q4_K || b.type == DType::Q5_K) mn = std::min(mn, 0.0f);
                const double step = (b.use_absmax ? amax : static_cast<double>(mx) - mn) / b.levels;
                const double fp16_err = std::ldexp(1.0, -25);
                double bound =
                    b.k_quant ? step + b.q_max * fp16_err
                              : b.steps * step + b.q_max * std::max(step * std::ldexp(1.0, -11), fp16_err);
                if (!b.use_absmax) bound += std::fabs(mn) * std::ldexp(1.0, -11) + fp16_err;
                for (int64_t i = g; i < g + group; ++i) {
                    ASSERT_LE(std::fabs(static_cast<double>(y[i]) - x[i]), bound)
                        << "element " << i << " x=" << x[i] << " y=" << y[i] << " trial " << trial;
                    sum_sq += (static_cast<double>(y[i]) - x[i]) * (y[i] - x[i]);
                    sum_sq_ref += static_cast<double>(x[i]) * x[i];
                }
            }
            EXPECT_LT(sum_sq, 0.02 * sum_sq_ref) << "relative squared error too large";
        }
    }
}

TEST(Quant, QuantizeRowRejectsBadInput) {
    std::vector<float> x(48, 1.0f);
    std::vector<uint8_t> out(64);
    auto s = engine::quantize_row(DType::Q4_0, x.data(), out.data(), 48);
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.error().message.find("[quantize_row]"), std::string::npos);
    EXPECT_NE(s.error().message.find("48"), std::string::npos);
    EXPECT_FALSE(engine::quantize_row(DType::Q2_K, x.data(), out.data(), 32).ok());
    EXPECT_FALSE(engine::quant_supported(DType::Q8_K));
    std::vector<float> y(48, 0.0f);
    engine::dequantize_row(DType::Q4_0, out.data(), y.data(), 48);  // bad n: NaN, not a crash
    EXPECT_TRUE(std::isnan(y[0]));
}
