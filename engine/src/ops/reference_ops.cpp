// Plain double-precision versions of the kernels in ops.h, written for
// clarity rather than speed; the tests measure the fast kernels against them.
#include <cmath>
#include <vector>

#include "ops/ops.h"

namespace engine::ops::reference {

void rms_norm(const float* x, const float* w, float* y, int64_t n_rows, int64_t n, float eps) {
    for (int64_t r = 0; r < n_rows; ++r) {
        double mean_sq = 0.0;
        for (int64_t i = 0; i < n; ++i) mean_sq += double(x[r * n + i]) * double(x[r * n + i]);
        mean_sq /= double(n);
        double inv = 1.0 / std::sqrt(mean_sq + double(eps));
        for (int64_t i = 0; i < n; ++i) y[r * n + i] = float(double(x[r * n + i]) * inv * double(w[i]));
    }
}

void rope_neox(float* x, int64_t n_heads, int64_t head_dim, int64_t pos, float theta, float freq_scale,
               const float* factors) {
    int64_t half = head_dim / 2;
    for (int64_t h = 0; h < n_heads; ++h) {
        float* xh = x + h * head_dim;
        for (int64_t i = 0; i < half; ++i) {
            double freq = 1.0 / std::pow(double(theta), double(2 * i) / double(head_dim));
            if (factors) freq = freq / double(factors[i]);
            double angle = double(pos) * double(freq_scale) * freq;
            double a = xh[i], b = xh[i + half];
            xh[i] = float(a * std::cos(angle) - b * std::sin(angle));
            xh[i + half] = float(b * std::cos(angle) + a * std::sin(angle));
        }
    }
}

void swiglu(const float* gate, const float* up, float* out, int64_t n) {
    for (int64_t i = 0; i < n; ++i) {
        double g = gate[i];
        double sigmoid = 1.0 / (1.0 + std::exp(-g));
        out[i] = float(g * sigmoid * double(up[i]));
    }
}

void geglu_tanh(const float* gate, const float* up, float* out, int64_t n) {
    const double pi = 3.14159265358979323846;
    for (int64_t i = 0; i < n; ++i) {
        double g = gate[i];
        double gelu = 0.5 * g * (1.0 + std::tanh(std::sqrt(2.0 / pi) * (g + 0.044715 * g * g * g)));
        out[i] = float(gelu * double(up[i]));
    }
}

void attention(const AttentionShape& sh, const float* q, const float* k, const float* v, float* out) {
    const int64_t hd = sh.head_dim;
    const int64_t row = sh.n_head * hd;
    const int64_t group = sh.n_head / sh.n_head_kv;
    std::vector<double> weights;
    for (int64_t t = 0; t < sh.n_tokens; ++t) {
        const int64_t pos_q = sh.pos0 + t;
        for (int64_t h = 0; h < sh.n_head; ++h) {
            const float* qv = q + t * row + h * hd;
            const float* kh = k + (h / group) * sh.capacity * hd;
            const float* vh = v + (h / group) * sh.capacity * hd;
            // Visible keys: causal, and within the window when there is one.
            weights.assign(size_t(pos_q + 1), 0.0);
            double max_score = -1e300;
            for (int64_t j = 0; j <= pos_q; ++j) {
                bool visible = sh.window == 0 || pos_q - j < sh.window;
                if (!visible) continue;
                double s = 0.0;
                for (int64_t i = 0; i < hd; ++i) s += double(qv[i]) * double(kh[j * hd + i]);
                weights[size_t(j)] = s * double(sh.scale);
                if (weights[size_t(j)] > max_score) max_score = weights[size_t(j)];
            }
            double total = 0.0;
            for (int64_t j = 0; j <= pos_q; ++j) {
                bool visible = sh.window == 0 || pos_q - j < sh.window;
                weights[size_t(j)] = visible ? std::exp(weights[size_t(j)] - max_score) : 0.0;
                total += weights[size_t(j)];
            }
            for (int64_t i = 0; i < hd; ++i) {
                double acc = 0.0;
                for (int64_t j = 0; j <= pos_q; ++j) acc += weights[size_t(j)] * double(vh[j * hd + i]);
                out[t * row + h * hd + i] = float(acc / total);
            }
        }
    }
}

}  // namespace engine::ops::reference
