// Row-wise and elementwise kernels. Plain loops written so that GCC
// vectorizes them at -O2/-O3 (no data-dependent branches inside).
#include <cmath>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "ops/ops.h"

namespace engine::ops {

void rms_norm(const float* x, const float* w, float* y, int64_t n_rows, int64_t n, float eps) {
    for (int64_t r = 0; r < n_rows; ++r) {
        const float* xr = x + r * n;
        float* yr = y + r * n;
        // Sum of squares in double: rows are short (<= a few thousand) and this
        // keeps the fast path within float rounding of the reference.
        double ss = 0.0;
        for (int64_t i = 0; i < n; ++i) ss += static_cast<double>(xr[i]) * xr[i];
        float inv = static_cast<float>(1.0 / std::sqrt(ss / static_cast<double>(n) + eps));
        for (int64_t i = 0; i < n; ++i) yr[i] = xr[i] * inv * w[i];
    }
}

void swiglu(const float* gate, const float* up, float* out, int64_t n) {
    for (int64_t i = 0; i < n; ++i) {
        float g = gate[i];
        out[i] = g / (1.0f + std::exp(-g)) * up[i];
    }
}

namespace {

void geglu_tanh_scalar(const float* gate, const float* up, float* out, int64_t n) {
    constexpr float kSqrt2OverPi = 0.7978845608028654f;
    for (int64_t i = 0; i < n; ++i) {
        float g = gate[i];
        float inner = kSqrt2OverPi * (g + 0.044715f * g * g * g);
        out[i] = 0.5f * g * (1.0f + std::tanh(inner)) * up[i];
    }
}

#if defined(__x86_64__)
// GELU-tanh without libm: 0.5 g (1 + tanh(u)) = g * sigmoid(2u) = g / (1 + exp(z)),
// z = -2u = g * (k0 + k1 g^2). exp(z) = 2^m * e^r with m = round(z / ln 2) and
// r = z - m ln 2 in [-ln2/2, ln2/2] (ln 2 split in two so that m ln2_hi is exact),
// e^r by its degree-6 Taylor polynomial (truncation < 1.3e-7 relative). z is
// clamped to [-87, 88] so 2^m stays a normal float; beyond it sigmoid is 0 or 1 to
// float precision anyway. The AVX2 and AVX-512 forms run the same IEEE operations
// lane by lane, and the tail goes through the same vector code (padded or
// masked), so each output depends only on its own inputs: not on n, the batch or
// the thread split.
constexpr float kK0 = -2.0f * 0.7978845608028654f;
constexpr float kK1 = -2.0f * 0.7978845608028654f * 0.044715f;
constexpr float kLog2e = 1.4426950408889634f;
constexpr float kLn2Hi = 0.693145751953125f;
constexpr float kLn2Lo = 1.428606765330187045e-06f;
constexpr float kC[7] = {1.0f, 1.0f, 1.0f / 2.0f, 1.0f / 6.0f, 1.0f / 24.0f, 1.0f / 120.0f, 1.0f / 720.0f};

__attribute__((target("avx2,fma"))) __m256 gelu_tanh8(__m256 g) {
    __m256 z =
        _mm256_mul_ps(g, _mm256_fmadd_ps(_mm256_mul_ps(g, g), _mm256_set1_ps(kK1), _mm256_set1_ps(kK0)));
    z = _mm256_min_ps(_mm256_max_ps(z, _mm256_set1_ps(-87.0f)), _mm256_set1_ps(88.0f));
    const __m256 m = _mm256_round_ps(_mm256_mul_ps(z, _mm256_set1_ps(kLog2e)),
                                     _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(m, _mm256_set1_ps(kLn2Hi), z);
    r = _mm256_fnmadd_ps(m, _mm256_set1_ps(kLn2Lo), r);
    __m256 p = _mm256_set1_ps(kC[6]);
    for (int i = 5; i >= 0; --i) p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(kC[i]));
    const __m256i bits =
        _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(m), _mm256_set1_epi32(127)), 23);
    const __m256 e = _mm256_mul_ps(p, _mm256_castsi256_ps(bits));
    return _mm256_div_ps(g, _mm256_add_ps(_mm256_set1_ps(1.0f), e));
}

__attribute__((target("avx2,fma"))) void geglu_tanh_avx2(const float* gate, const float* up, float* out,
                                                         int64_t n) {
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(out + i,
                         _mm256_mul_ps(gelu_tanh8(_mm256_loadu_ps(gate + i)), _mm256_loadu_ps(up + i)));
    if (i < n) {
        float g[8] = {}, u[8] = {}, o[8];
        for (int64_t j = i; j < n; ++j) g[j - i] = gate[j], u[j - i] = up[j];
        _mm256_storeu_ps(o, _mm256_mul_ps(gelu_tanh8(_mm256_loadu_ps(g)), _mm256_loadu_ps(u)));
        for (int64_t j = i; j < n; ++j) out[j] = o[j - i];
    }
}

// GCC 12's AVX-512 headers pass _mm512_undefined_ps() as the unused merge source,
// which -Wmaybe-uninitialized reports (a known false positive).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
__attribute__((target("avx512f"))) __m512 gelu_tanh16(__m512 g) {
    __m512 z =
        _mm512_mul_ps(g, _mm512_fmadd_ps(_mm512_mul_ps(g, g), _mm512_set1_ps(kK1), _mm512_set1_ps(kK0)));
    z = _mm512_min_ps(_mm512_max_ps(z, _mm512_set1_ps(-87.0f)), _mm512_set1_ps(88.0f));
    const __m512 m = _mm512_roundscale_ps(_mm512_mul_ps(z, _mm512_set1_ps(kLog2e)),
                                          _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fnmadd_ps(m, _mm512_set1_ps(kLn2Hi), z);
    r = _mm512_fnmadd_ps(m, _mm512_set1_ps(kLn2Lo), r);
    __m512 p = _mm512_set1_ps(kC[6]);
    for (int i = 5; i >= 0; --i) p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(kC[i]));
    const __m512i bits =
        _mm512_slli_epi32(_mm512_add_epi32(_mm512_cvtps_epi32(m), _mm512_set1_epi32(127)), 23);
    const __m512 e = _mm512_mul_ps(p, _mm512_castsi512_ps(bits));
    return _mm512_div_ps(g, _mm512_add_ps(_mm512_set1_ps(1.0f), e));
}

__attribute__((target("avx512f"))) void geglu_tanh_avx512(const float* gate, const float* up, float* out,
                                                          int64_t n) {
    for (int64_t i = 0; i < n; i += 16) {
        const __mmask16 k = n - i >= 16 ? __mmask16(0xFFFF) : static_cast<__mmask16>((1u << (n - i)) - 1u);
        const __m512 g = _mm512_maskz_loadu_ps(k, gate + i);
        _mm512_mask_storeu_ps(out + i, k, _mm512_mul_ps(gelu_tanh16(g), _mm512_maskz_loadu_ps(k, up + i)));
    }
}
#pragma GCC diagnostic pop
#endif

using GatedFn = void (*)(const float*, const float*, float*, int64_t);

GatedFn pick_geglu_tanh() {
#if defined(__x86_64__)
    if (__builtin_cpu_supports("avx512f")) return geglu_tanh_avx512;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return geglu_tanh_avx2;
#endif
    return geglu_tanh_scalar;
}

}  // namespace

void geglu_tanh(const float* gate, const float* up, float* out, int64_t n) {
    static const GatedFn fn = pick_geglu_tanh();
    fn(gate, up, out, n);
}

void add(float* y, const float* x, int64_t n) {
    for (int64_t i = 0; i < n; ++i) y[i] += x[i];
}

void scale(float* y, float s, int64_t n) {
    for (int64_t i = 0; i < n; ++i) y[i] *= s;
}

}  // namespace engine::ops
