#include <cmath>

#include "ops/ops.h"

namespace engine::ops {

void rope_angles(int64_t pos, int64_t head_dim, float theta, float freq_scale, const float* factors,
                 float* cos_sin) {
    // Angles in double: at positions in the tens of thousands a float angle
    // loses ~1e-3 rad, which is visible in the logits.
    const int64_t half = head_dim / 2;
    for (int64_t i = 0; i < half; ++i) {
        double inv_freq = std::pow(static_cast<double>(theta), -2.0 * static_cast<double>(i) / head_dim);
        if (factors) inv_freq /= factors[i];
        double a = static_cast<double>(pos) * freq_scale * inv_freq;
        cos_sin[2 * i] = static_cast<float>(std::cos(a));
        cos_sin[2 * i + 1] = static_cast<float>(std::sin(a));
    }
}

void rope_neox(float* x, int64_t n_heads, int64_t head_dim, const float* cos_sin) {
    const int64_t half = head_dim / 2;
    for (int64_t h = 0; h < n_heads; ++h) {
        float* xh = x + h * head_dim;
        for (int64_t i = 0; i < half; ++i) {
            float c = cos_sin[2 * i], s = cos_sin[2 * i + 1];
            float a = xh[i], b = xh[i + half];
            xh[i] = a * c - b * s;
            xh[i + half] = b * c + a * s;
        }
    }
}

}  // namespace engine::ops
