// Row-wise and elementwise kernels. Plain loops written so that GCC
// vectorizes them at -O2/-O3 (no data-dependent branches inside).
#include <cmath>

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

void geglu_tanh(const float* gate, const float* up, float* out, int64_t n) {
    constexpr float kSqrt2OverPi = 0.7978845608028654f;
    for (int64_t i = 0; i < n; ++i) {
        float g = gate[i];
        float inner = kSqrt2OverPi * (g + 0.044715f * g * g * g);
        out[i] = 0.5f * g * (1.0f + std::tanh(inner)) * up[i];
    }
}

void add(float* y, const float* x, int64_t n) {
    for (int64_t i = 0; i < n; ++i) y[i] += x[i];
}

void scale(float* y, float s, int64_t n) {
    for (int64_t i = 0; i < n; ++i) y[i] *= s;
}

}  // namespace engine::ops
