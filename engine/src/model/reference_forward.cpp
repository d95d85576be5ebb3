#include "model/reference_forward.h"

#include <cmath>
#include <string>
#include <vector>

#include "engine/lora.h"
#include "engine/quant.h"

namespace engine {
namespace {

using Mat = std::vector<double>;  // row-major [rows, cols]

// y[t][r] = sum_k x[t][k] * W[r][k] with W dequantized one row at a time.
Mat linear(const TensorView& w, const Mat& x, int64_t n) {
    const int64_t in = w.ne[0], out = w.n_rows();
    Mat y(static_cast<size_t>(n * out), 0.0);
    std::vector<float> row(static_cast<size_t>(in));
    for (int64_t r = 0; r < out; ++r) {
        dequantize_row(w.type, w.row(r), row.data(), in);
        for (int64_t t = 0; t < n; ++t) {
            double acc = 0.0;
            for (int64_t k = 0; k < in; ++k)
                acc += x[static_cast<size_t>(t * in + k)] * row[static_cast<size_t>(k)];
            y[static_cast<size_t>(t * out + r)] = acc;
        }
    }
    return y;
}

double weight_at(const TensorView& v, int64_t i) { return reinterpret_cast<const float*>(v.data)[i]; }

// In place over rows of length n: x / sqrt(mean(x^2) + eps) * w.
void rms_norm_rows(Mat& x, int64_t n, const TensorView& w, double eps) {
    const int64_t rows = static_cast<int64_t>(x.size()) / n;
    for (int64_t r = 0; r < rows; ++r) {
        double* xr = &x[static_cast<size_t>(r * n)];
        double sum_sq = 0.0;
        for (int64_t i = 0; i < n; ++i) sum_sq += xr[i] * xr[i];
        const double inv_rms = 1.0 / std::sqrt(sum_sq / double(n) + eps);
        for (int64_t i = 0; i < n; ++i) xr[i] = xr[i] * inv_rms * weight_at(w, i);
    }
}

// Half-split rotary embedding of one head vector at position pos.
void rotate(double* v, int64_t head_dim, int64_t pos, double theta, double pos_scale,
            const std::vector<float>* factors) {
    const int64_t half = head_dim / 2;
    for (int64_t i = 0; i < half; ++i) {
        double freq = std::pow(theta, -double(2 * i) / double(head_dim));
        if (factors) freq /= double((*factors)[static_cast<size_t>(i)]);
        const double angle = double(pos) * pos_scale * freq;
        const double x1 = v[i], x2 = v[i + half];
        v[i] = x1 * std::cos(angle) - x2 * std::sin(angle);
        v[i + half] = x2 * std::cos(angle) + x1 * std::sin(angle);
    }
}

double gelu_tanh(double g) {
    const double k = std::sqrt(2.0 / 3.14159265358979323846);
    return 0.5 * g * (1.0 + std::tanh(k * (g + 0.044715 * g * g * g)));
}

double silu(double g) { return g / (1.0 + std::exp(-g)); }

}  // namespace

Status reference_forward(const Model& model, std::span<const int32_t> tokens, LogitsMode mode, float* logits,
                         const LoraAdapter* adapter) {
    const ModelConfig& c = model.config();
    const ModelWeights& W = model.weights();
    const auto n = static_cast<int64_t>(tokens.size());
    if (n == 0) return make_error("[reference_forward] no tokens");
    const int64_t d = c.n_embd, hd = c.head_dim;
    const size_t dn = static_cast<size_t>(d);

    // Embeddings.
    Mat x(static_cast<size_t>(n * d));
    std::vector<float> row(dn);
    for (int64_t t = 0; t < n; ++t) {
        const int32_t id = tokens[static_cast<size_t>(t)];
        if (id < 0 || id >= c.n_vocab)
            return make_error("[reference_forward] token id " + std::to_string(id) + " out of range");
        dequantize_row(W.token_embd.type, W.token_embd.row(id), row.data(), d);
        for (int64_t i = 0; i < d; ++i)
            x[static_cast<size_t>(t * d + i)] = double(row[static_cast<size_t>(i)]) * c.embd_scale;
    }

    const int64_t group = c.n_head / c.n_head_kv;
    for (int64_t il = 0; il < c.n_layer; ++il) {
        const LayerWeights& L = W.layers[static_cast<size_t>(il)];
        const bool sliding = c.is_sliding(il);

        Mat h = x;
        rms_norm_rows(h, d, L.attn_norm, c.rms_eps);
        // y = W x + scale * strength * B (A x), the adapter in double too.
        auto adapted = [&](const TensorView& w, LoraTarget target, const Mat& in) {
            Mat y = linear(w, in, n);
            const LoraPair* p = adapter ? adapter->find(il, target) : nullptr;
            if (!p) return y;
            const double coef = double(p->scale) * double(adapter->strength);
            std::vector<double> u(static_cast<size_t>(p->rank));
            for (int64_t t = 0; t < n; ++t) {
                for (int64_t r = 0; r < p->rank; ++r) {
                    double acc = 0.0;
                    for (int64_t i = 0; i < p->in; ++i)
                        acc += double(p->a[static_cast<size_t>(r * p->in + i)]) *
                               in[static_cast<size_t>(t * p->in + i)];
                    u[static_cast<size_t>(r)] = acc;
                }
                for (int64_t o = 0; o < p->out; ++o) {
                    double acc = 0.0;
                    for (int64_t r = 0; r < p->rank; ++r)
                        acc += double(p->b[static_cast<size_t>(o * p->rank + r)]) * u[static_cast<size_t>(r)];
                    y[static_cast<size_t>(t * p->out + o)] += coef * acc;
                }
            }
            return y;
        };
        Mat q = adapted(L.wq, LoraTarget::q, h), k = adapted(L.wk, LoraTarget::k, h),
            v = adapted(L.wv, LoraTarget::v, h);
        auto bias = [&](Mat& m, const TensorView& b, int64_t width) {
            if (!b.data) return;
            for (int64_t t = 0; t < n; ++t)
                for (int64_t i = 0; i < width; ++i) m[static_cast<size_t>(t * width + i)] += weight_at(b, i);
        };
        bias(q, L.bq, c.q_dim());
        bias(k, L.bk, c.kv_dim());
        bias(v, L.bv, c.kv_dim());
        if (c.qk_norm) {
            rms_norm_rows(q, hd, L.q_norm, c.rms_eps);
            rms_norm_rows(k, hd, L.k_norm, c.rms_eps);
        }
        const double theta = sliding ? c.rope_theta_local : c.rope_theta;
        const double pos_scale = sliding ? 1.0 : c.rope_freq_scale;
        const std::vector<float>* factors =
            (!sliding && !c.rope_freq_factors.empty()) ? &c.rope_freq_factors : nullptr;
        for (int64_t t = 0; t < n; ++t) {
            for (int64_t hh = 0; hh < c.n_head; ++hh)
                rotate(&q[static_cast<size_t>((t * c.n_head + hh) * hd)], hd, t, theta, pos_scale, factors);
            for (int64_t hh = 0; hh < c.n_head_kv; ++hh)
                rotate(&k[static_cast<size_t>((t * c.n_head_kv + hh) * hd)], hd, t, theta, pos_scale,
                       factors);
        }

        // Attention: query t sees keys s <= t, and only t - s < window on sliding layers.
        Mat att(static_cast<size_t>(n * c.q_dim()), 0.0);
        std::vector<double> p(static_cast<size_t>(n));
        for (int64_t t = 0; t < n; ++t)
            for (int64_t hh = 0; hh < c.n_head; ++hh) {
                const int64_t kvh = hh / group;
                const double* qv = &q[static_cast<size_t>((t * c.n_head + hh) * hd)];
                double best = -INFINITY;
                for (int64_t s = 0; s <= t; ++s) {
                    if (sliding && t - s >= c.sliding_window) {
                        p[static_cast<size_t>(s)] = -INFINITY;
                        continue;
                    }
                    const double* kv = &k[static_cast<size_t>((s * c.n_head_kv + kvh) * hd)];
                    double dot = 0.0;
                    for (int64_t i = 0; i < hd; ++i) dot += qv[i] * kv[i];
                    p[static_cast<size_t>(s)] = dot * c.attn_scale;
                    best = std::max(best, p[static_cast<size_t>(s)]);
                }
                double total = 0.0;
                for (int64_t s = 0; s <= t; ++s)
                    total += (p[static_cast<size_t>(s)] = std::exp(p[static_cast<size_t>(s)] - best));
                double* out = &att[static_cast<size_t>((t * c.n_head + hh) * hd)];
                for (int64_t s = 0; s <= t; ++s) {
                    const double* vv = &v[static_cast<size_t>((s * c.n_head_kv + kvh) * hd)];
                    for (int64_t i = 0; i < hd; ++i) out[i] += p[static_cast<size_t>(s)] / total * vv[i];
                }
            }
        Mat o = adapted(L.wo, LoraTarget::o, att);
        if (c.post_norms) rms_norm_rows(o, d, L.post_attn_norm, c.rms_eps);
        for (size_t i = 0; i < x.size(); ++i) x[i] += o[i];

        h = x;
        rms_norm_rows(h, d, L.ffn_norm, c.rms_eps);
        Mat g = adapted(L.w_gate, LoraTarget::gate, h), u = adapted(L.w_up, LoraTarget::up, h);
        for (size_t i = 0; i < g.size(); ++i)
            g[i] = (c.activation == Activation::silu ? silu(g[i]) : gelu_tanh(g[i])) * u[i];
        Mat f = adapted(L.w_down, LoraTarget::down, g);
        if (c.post_norms) rms_norm_rows(f, d, L.post_ffn_norm, c.rms_eps);
        for (size_t i = 0; i < x.size(); ++i) x[i] += f[i];
    }

    // Output head on the rows asked for.
    const int64_t first = mode == LogitsMode::all ? 0 : n - 1;
    Mat last(x.begin() + static_cast<std::ptrdiff_t>(first * d), x.end());
    rms_norm_rows(last, d, W.output_norm, c.rms_eps);
    Mat out = linear(W.output, last, n - first);
    for (size_t i = 0; i < out.size(); ++i) logits[i] = float(out[i]);
    return {};
}

}  // namespace engine
