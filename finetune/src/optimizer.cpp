#include "finetune/optimizer.h"

#include <cmath>
#include <string>

namespace finetune {

using engine::LoraAdapter;
using engine::LoraPair;
using engine::LoraTarget;
using engine::make_error;

namespace {

struct PairKey {
    int64_t layer, rank, in, out;
    LoraTarget target;
    bool operator==(const PairKey&) const = default;
};

std::vector<PairKey> layout(const LoraAdapter& a) {
    std::vector<PairKey> keys;
    a.for_each([&](int64_t layer, LoraTarget target, const LoraPair& p) {
        keys.push_back({layer, p.rank, p.in, p.out, target});
    });
    return keys;
}

// fp32 coefficients of one update, each rounded once from double.
struct Coefficients {
    float decay, beta1, one_minus_beta1, beta2, one_minus_beta2, eps, step_size, bias2_sqrt;
};

// The Adam update of n values; m and v advance in place.
void adamw_update(float* p, const float* g, float* m, float* v, size_t n, const Coefficients& c) {
    for (size_t i = 0; i < n; ++i) {
        p[i] *= c.decay;
        m[i] = c.beta1 * m[i] + c.one_minus_beta1 * g[i];
        v[i] = c.beta2 * v[i] + c.one_minus_beta2 * g[i] * g[i];
        const float denom = std::sqrt(v[i]) / c.bias2_sqrt + c.eps;
        p[i] -= c.step_size * (m[i] / denom);
    }
}

}  // namespace

bool same_layout(const LoraAdapter& a, const LoraAdapter& b) { return layout(a) == layout(b); }

engine::Status AdamW::step(LoraAdapter& params, const LoraAdapter& grads, float lr) {
    if (!same_layout(params, grads))
        return make_error("[adamw] the gradients do not have the parameters' layers, targets and ranks");
    if (!std::isfinite(lr) || lr < 0.0f)
        return make_error("[adamw] learning rate must be finite and non-negative, got " + std::to_string(lr));
    const auto n = static_cast<size_t>(params.n_params());
    if (state_.m.empty() && state_.step == 0) {
        state_.m.assign(n, 0.0f);
        state_.v.assign(n, 0.0f);
    }
    if (state_.m.size() != n || state_.v.size() != n)
        return make_error("[adamw] optimizer state holds " + std::to_string(state_.m.size()) +
                          " values but the adapter has " + std::to_string(n) + " parameters");
    const int64_t t = state_.step + 1;
    const AdamWOptions& o = options_;
    Coefficients c;
    c.decay = static_cast<float>(1.0 - static_cast<double>(lr) * o.weight_decay);
    c.beta1 = static_cast<float>(o.beta1);
    c.one_minus_beta1 = static_cast<float>(1.0 - o.beta1);
    c.beta2 = static_cast<float>(o.beta2);
    c.one_minus_beta2 = static_cast<float>(1.0 - o.beta2);
    c.eps = static_cast<float>(o.eps);
    c.step_size =
        static_cast<float>(static_cast<double>(lr) / (1.0 - std::pow(o.beta1, static_cast<double>(t))));
    c.bias2_sqrt = static_cast<float>(std::sqrt(1.0 - std::pow(o.beta2, static_cast<double>(t))));

    // Gradients in the same for_each order as the parameters.
    std::vector<const LoraPair*> grad_pairs;
    grads.for_each([&](int64_t, LoraTarget, const LoraPair& g) { grad_pairs.push_back(&g); });
    size_t offset = 0, index = 0;
    params.for_each([&](int64_t, LoraTarget, LoraPair& p) {
        const LoraPair& g = *grad_pairs[index++];
        adamw_update(p.a.data(), g.a.data(), &state_.m[offset], &state_.v[offset], p.a.size(), c);
        offset += p.a.size();
        adamw_update(p.b.data(), g.b.data(), &state_.m[offset], &state_.v[offset], p.b.size(), c);
        offset += p.b.size();
    });
    state_.step = t;
    return {};
}

engine::Status AdamW::set_state(AdamWState state) {
    if (state.step < 0) return make_error("[adamw] negative step " + std::to_string(state.step));
    if (state.m.size() != state.v.size())
        return make_error("[adamw] first and second moments differ in size (" +
                          std::to_string(state.m.size()) + " vs " + std::to_string(state.v.size()) + ")");
    if (state.m.empty() && state.step != 0)
        return make_error("[adamw] step " + std::to_string(state.step) + " without moments");
    state_ = std::move(state);
    return {};
}

double grad_norm(const LoraAdapter& grads) {
    double sum = 0.0;
    grads.for_each([&](int64_t, LoraTarget, const LoraPair& g) {
        for (float x : g.a) sum += static_cast<double>(x) * x;
        for (float x : g.b) sum += static_cast<double>(x) * x;
    });
    return std::sqrt(sum);
}

double clip_grad_norm(LoraAdapter& grads, double max_norm) {
    const double norm = grad_norm(grads);
    if (max_norm > 0.0 && std::isfinite(norm)) {
        const double coef = max_norm / (norm + 1e-6);
        if (coef < 1.0) scale_gradients(grads, static_cast<float>(coef));
    }
    return norm;
}

void scale_gradients(LoraAdapter& grads, float factor) {
    grads.for_each([&](int64_t, LoraTarget, LoraPair& g) {
        for (float& x : g.a) x *= factor;
        for (float& x : g.b) x *= factor;
    });
}

}  // namespace finetune
