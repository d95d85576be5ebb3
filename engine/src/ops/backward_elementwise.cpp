// Backward of the row-wise and elementwise kernels (rms_norm, rope_neox,
// swiglu, geglu_tanh). Cheap next to the matrix products, so plain loops.
#include <cmath>

#include "ops/ops_backward.h"

namespace engine::ops {

void rms_norm_backward(const float* x, const float* w, const float* dy, float* dx, float* dw, int64_t n_rows,
                       int64_t n, float eps) {
    // y_i = x_i * inv * w_i with inv = (mean(x^2) + eps)^(-1/2), so
    // dx_i = inv * w_i * dy_i - x_i * inv^3 / n * sum_j w_j dy_j x_j.
    // Row sums in double, as in the forward kernel.
    for (int64_t r = 0; r < n_rows; ++r) {
        const float* xr = x + r * n;
        const float* dyr = dy + r * n;
        float* dxr = dx + r * n;
        double ss = 0.0, dot = 0.0;
        for (int64_t i = 0; i < n; ++i) {
            ss += static_cast<double>(xr[i]) * xr[i];
            dot += static_cast<double>(w[i]) * dyr[i] * xr[i];
        }
        const double inv_d = 1.0 / std::sqrt(ss / static_cast<double>(n) + eps);
        const float inv = static_cast<float>(inv_d);
        const float coef = static_cast<float>(inv_d * inv_d * inv_d * dot / static_cast<double>(n));
        for (int64_t i = 0; i < n; ++i) {
            const float g = dyr[i];  // read before dx (which may alias dy) is written
            if (dw) dw[i] += g * xr[i] * inv;
            dxr[i] = inv * w[i] * g - xr[i] * coef;
        }
    }
}

void rope_neox_backward(float* dx, int64_t n_heads, int64_t head_dim, const float* cos_sin) {
    // The forward rotates each pair (a, b) by +angle; the transpose of a rotation
    // is the rotation by -angle.
    const int64_t half = head_dim / 2;
    for (int64_t h = 0; h < n_heads; ++h) {
        float* xh = dx + h * head_dim;
        for (int64_t i = 0; i < half; ++i) {
            const float c = cos_sin[2 * i], s = cos_sin[2 * i + 1];
            const float a = xh[i], b = xh[i + half];
            xh[i] = a * c + b * s;
            xh[i + half] = b * c - a * s;
        }
    }
}

void swiglu_backward(const float* gate, const float* up, const float* dout, float* dgate, float* dup,
                     int64_t n) {
    // silu(g) = g * sig(g); silu'(g) = sig(g) * (1 + g * (1 - sig(g))).
    for (int64_t i = 0; i < n; ++i) {
        const float g = gate[i], u = up[i], d = dout[i];
        const float sig = 1.0f / (1.0f + std::exp(-g));
        dgate[i] = d * u * (sig * (1.0f + g * (1.0f - sig)));
        dup[i] = d * g * sig;
    }
}

void geglu_tanh_backward(const float* gate, const float* up, const float* dout, float* dgate, float* dup,
                         int64_t n) {
    // gelu(g) = 0.5 g (1 + tanh(z)), z = c (g + 0.044715 g^3);
    // gelu'(g) = 0.5 (1 + tanh(z)) + 0.5 g (1 - tanh(z)^2) c (1 + 3 * 0.044715 g^2).
    constexpr float kC = 0.7978845608028654f;  // sqrt(2 / pi)
    constexpr float kA = 0.044715f;
    for (int64_t i = 0; i < n; ++i) {
        const float g = gate[i], u = up[i], d = dout[i];
        const float th = std::tanh(kC * (g + kA * g * g * g));
        const float gelu = 0.5f * g * (1.0f + th);
        const float dgelu =
            0.5f * (1.0f + th) + 0.5f * g * (1.0f - th * th) * kC * (1.0f + 3.0f * kA * g * g);
        dgate[i] = d * u * dgelu;
        dup[i] = d * gelu;
    }
}

}  // namespace engine::ops
