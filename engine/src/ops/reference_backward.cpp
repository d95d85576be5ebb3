// Plain double-precision backward of the reference ops, written from the
// derivatives of the formulas in reference_ops.cpp for clarity rather than
// speed; the tests hold them to finite differences of the reference forward
// and the fast kernels to them.
#include <cmath>
#include <vector>

#include "ops/ops_backward.h"

namespace engine::ops::reference {

void rms_norm_backward(const float* x, const float* w, const float* dy, float* dx, float* dw, int64_t n_rows,
                       int64_t n, float eps) {
    std::vector<double> g(static_cast<size_t>(n));
    for (int64_t r = 0; r < n_rows; ++r) {
        const float* xr = x + r * n;
        double mean_sq = 0.0;
        for (int64_t i = 0; i < n; ++i) mean_sq += double(xr[i]) * double(xr[i]);
        mean_sq /= double(n);
        const double inv = 1.0 / std::sqrt(mean_sq + double(eps));
        // y_i = x_i inv w_i; d inv / d x_j = -inv^3 x_j / n.
        double dot = 0.0;
        for (int64_t i = 0; i < n; ++i) {
            g[size_t(i)] = double(dy[r * n + i]);
            dot += g[size_t(i)] * double(w[i]) * double(xr[i]);
        }
        for (int64_t i = 0; i < n; ++i) {
            const double xi = double(xr[i]);
            if (dw) dw[i] = float(double(dw[i]) + g[size_t(i)] * xi * inv);
            dx[r * n + i] = float(g[size_t(i)] * double(w[i]) * inv - xi * inv * inv * inv * dot / double(n));
        }
    }
}

void rope_neox_backward(float* dx, int64_t n_heads, int64_t head_dim, int64_t pos, float theta,
                        float freq_scale, const float* factors) {
    const int64_t half = head_dim / 2;
    for (int64_t h = 0; h < n_heads; ++h) {
        float* xh = dx + h * head_dim;
        for (int64_t i = 0; i < half; ++i) {
            double freq = 1.0 / std::pow(double(theta), double(2 * i) / double(head_dim));
            if (factors) freq = freq / double(factors[i]);
            const double angle = double(pos) * double(freq_scale) * freq;
            const double c = std::cos(angle), s = std::sin(angle);
            // Transpose of [[c, -s], [s, c]].
            const double a = xh[i], b = xh[i + half];
            xh[i] = float(a * c + b * s);
            xh[i + half] = float(-a * s + b * c);
        }
    }
}

void swiglu_backward(const float* gate, const float* up, const float* dout, float* dgate, float* dup,
                     int64_t n) {
    for (int64_t i = 0; i < n; ++i) {
        const double g = gate[i], u = up[i], d = dout[i];
        const double sigmoid = 1.0 / (1.0 + std::exp(-g));
        const double silu = g * sigmoid;
        const double dsilu = sigmoid + g * sigmoid * (1.0 - sigmoid);
        dgate[i] = float(d * u * dsilu);
        dup[i] = float(d * silu);
    }
}

void geglu_tanh_backward(const float* gate, const float* up, const float* dout, float* dgate, float* dup,
                         int64_t n) {
    const double pi = 3.14159265358979323846;
    const double c = std::sqrt(2.0 / pi);
    for (int64_t i = 0; i < n; ++i) {
        const double g = gate[i], u = up[i], d = dout[i];
        const double z = c * (g + 0.044715 * g * g * g);
        const double t = std::tanh(z);
        const double gelu = 0.5 * g * (1.0 + t);
        const double dz = c * (1.0 + 3.0 * 0.044715 * g * g);
        const double dgelu = 0.5 * (1.0 + t) + 0.5 * g * (1.0 - t * t) * dz;
        dgate[i] = float(d * u * dgelu);
        dup[i] = float(d * gelu);
    }
}

void attention_backward(const AttentionShape& sh, const float* q, const float* k, const float* v,
                        const float* dout, float* dq, float* dk, float* dv) {
    const int64_t hd = sh.head_dim;
    const int64_t row = sh.n_head * hd;
    const int64_t group = sh.n_head / sh.n_head_kv;
    const int64_t n = sh.n_tokens;
    // Key/value gradients summed in double over all queries and the heads of a group.
    std::vector<double> dk_acc(size_t(sh.n_head_kv * n * hd), 0.0), dv_acc(dk_acc.size(), 0.0);
    std::vector<double> p(static_cast<size_t>(n)), dp(static_cast<size_t>(n));
    for (int64_t t = 0; t < n; ++t) {
        for (int64_t h = 0; h < sh.n_head; ++h) {
            const int64_t g = h / group;
            const float* qv = q + t * row + h * hd;
            const float* dov = dout + t * row + h * hd;
            const float* kh = k + g * sh.capacity * hd;
            const float* vh = v + g * sh.capacity * hd;
            // Softmax over the visible keys, as in reference::attention.
            double max_score = -1e300;
            for (int64_t j = 0; j <= t; ++j) {
                p[size_t(j)] = 0.0;
                if (sh.window != 0 && t - j >= sh.window) continue;
                double s = 0.0;
                for (int64_t i = 0; i < hd; ++i) s += double(qv[i]) * double(kh[j * hd + i]);
                p[size_t(j)] = s * double(sh.scale);
                if (p[size_t(j)] > max_score) max_score = p[size_t(j)];
            }
            double total = 0.0;
            for (int64_t j = 0; j <= t; ++j) {
                const bool visible = sh.window == 0 || t - j < sh.window;
                p[size_t(j)] = visible ? std::exp(p[size_t(j)] - max_score) : 0.0;
                total += p[size_t(j)];
            }
            for (int64_t j = 0; j <= t; ++j) p[size_t(j)] /= total;
            // out = sum_j p_j v_j: dp_j = dout . v_j; through the softmax
            // ds_j = p_j (dp_j - sum_l p_l dp_l); s_j = scale q . k_j.
            double delta = 0.0;
            for (int64_t j = 0; j <= t; ++j) {
                double d = 0.0;
                for (int64_t i = 0; i < hd; ++i) d += double(dov[i]) * double(vh[j * hd + i]);
                dp[size_t(j)] = d;
                delta += p[size_t(j)] * d;
            }
            for (int64_t i = 0; i < hd; ++i) {
                double acc = 0.0;
                for (int64_t j = 0; j <= t; ++j)
                    acc += p[size_t(j)] * (dp[size_t(j)] - delta) * double(kh[j * hd + i]);
                dq[t * row + h * hd + i] = float(acc * double(sh.scale));
            }
            for (int64_t j = 0; j <= t; ++j) {
                const double ds = p[size_t(j)] * (dp[size_t(j)] - delta) * double(sh.scale);
                for (int64_t i = 0; i < hd; ++i) {
                    dk_acc[size_t((g * n + j) * hd + i)] += ds * double(qv[i]);
                    dv_acc[size_t((g * n + j) * hd + i)] += p[size_t(j)] * double(dov[i]);
                }
            }
        }
    }
    for (int64_t g = 0; g < sh.n_head_kv; ++g)
        for (int64_t j = 0; j < n; ++j)
            for (int64_t i = 0; i < hd; ++i) {
                dk[(g * sh.capacity + j) * hd + i] = float(dk_acc[size_t((g * n + j) * hd + i)]);
                dv[(g * sh.capacity + j) * hd + i] = float(dv_acc[size_t((g * n + j) * hd + i)]);
            }
}

}  // namespace engine::ops::reference
