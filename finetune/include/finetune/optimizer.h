// AdamW over the parameters of a LoRA adapter, and the gradient utilities a
// trainer needs around it (global-norm clipping, scaling for accumulation).
//
// Parameters are flattened in LoraAdapter::for_each order, A before B within
// each pair; the first and second moments m and v are fp32 arrays in that
// order. Every update is elementwise and every reduction runs sequentially in
// that order, so results are bitwise reproducible on any machine and thread count.
#pragma once

#include <cstdint>
#include <vector>

#include "engine/lora.h"
#include "engine/result.h"

namespace finetune {

// Doubles, like the Python floats of torch.optim.AdamW: coefficients such as
// 1 - beta2 are formed in double and rounded to fp32 once.
struct AdamWOptions {
    double beta1 = 0.9;
    double beta2 = 0.999;
    double eps = 1e-8;
    double weight_decay = 0.0;  // decoupled: p -= lr * weight_decay * p before the Adam step
};

struct AdamWState {
    int64_t step = 0;      // updates taken so far
    std::vector<float> m;  // [n_params] first moment (empty before the first step)
    std::vector<float> v;  // [n_params] second moment
};

// True when a and b have the same pairs (layer, target, rank, in, out) in the same order.
bool same_layout(const engine::LoraAdapter& a, const engine::LoraAdapter& b);

class AdamW {
public:
    explicit AdamW(AdamWOptions options = {}) : options_(options) {}

    const AdamWOptions& options() const { return options_; }

    // One update, as torch.optim.AdamW computes it (step t = state.step + 1):
    //   p -= lr * wd * p;  m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2
    //   p -= (lr / (1 - b1^t)) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
    // grads must have params' layout; the state is created on the first step and
    // must match params' parameter count after that.
    engine::Status step(engine::LoraAdapter& params, const engine::LoraAdapter& grads, float lr);

    const AdamWState& state() const { return state_; }
    // Restores a saved state (m and v of equal size; step >= 0; empty m and v only with step 0).
    engine::Status set_state(AdamWState state);
    void reset() { state_ = {}; }

private:
    AdamWOptions options_;
    AdamWState state_;
};

// The L2 norm of every gradient value (summed in double, in for_each order).
double grad_norm(const engine::LoraAdapter& grads);

// Clips the global norm to max_norm as torch.nn.utils.clip_grad_norm_ does
// (multiplies by max_norm / (norm + 1e-6) when that is below 1) and returns
// the norm before clipping. A non-finite norm leaves the gradients unchanged,
// so the caller can see it and skip the step. max_norm <= 0 only measures.
double clip_grad_norm(engine::LoraAdapter& grads, double max_norm);

// grads *= factor (e.g. 1 / accumulation steps).
void scale_gradients(engine::LoraAdapter& grads, float factor);

}  // namespace finetune
