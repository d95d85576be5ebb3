// The output head over target positions, chunk by chunk: log-probabilities
// and entropies in the forward pass, and in the backward pass the gradient
// (onehot - softmax) * dL/dlogprob pushed through the head and the final norm.
// Only [logits_chunk, n_vocab] logits exist at any time.
#include <cmath>
#include <cstring>

#include "engine/matmul.h"
#include "ops/ops.h"
#include "ops/ops_backward.h"
#include "sampling/sampling_ops.h"
#include "train/training_state.h"

namespace engine {
namespace {

const float* f32(const TensorView& t) { return reinterpret_cast<const float*>(t.data); }

// Normalised final states of the rows predicting targets [i0, i1) into s.xn_rows,
// then their logits into s.logits ([i1 - i0, n_vocab]).
void chunk_logits(TrainingPass::State& s, int64_t i0, int64_t i1, ThreadPool& pool) {
    const ModelConfig& c = s.model->config();
    const int64_t d = c.n_embd;
    const float* x_final = s.x_at(c.n_layer);
    for (int64_t i = i0; i < i1; ++i) {
        const int64_t row =
            s.targets[static_cast<size_t>(i)] - 1;  // the position whose logits predict the target
        // One row at a time, exactly as Model::forward normalises its last row.
        ops::rms_norm(x_final + row * d, f32(s.model->weights().output_norm),
                      &s.xn_rows[static_cast<size_t>((i - i0) * d)], 1, d, c.rms_eps);
    }
    matmul(s.model->weights().output, s.xn_rows.data(), i1 - i0, s.logits.data(), pool);
}

}  // namespace

void score_targets(TrainingPass::State& s, ThreadPool& pool, SequenceScores& out) {
    const ModelConfig& c = s.model->config();
    const auto n_targets = static_cast<int64_t>(s.targets.size());
    const int64_t V = c.n_vocab;
    out.logprob.assign(static_cast<size_t>(n_targets), 0.0);
    out.entropy.assign(static_cast<size_t>(n_targets), 0.0f);
    s.norm_max.assign(static_cast<size_t>(n_targets), 0.0);
    s.norm_log_sum.assign(static_cast<size_t>(n_targets), 0.0);
    for (int64_t i0 = 0; i0 < n_targets; i0 += s.options.logits_chunk) {
        const int64_t i1 = std::min(n_targets, i0 + s.options.logits_chunk);
        chunk_logits(s, i0, i1, pool);
        pool.parallel_for(i1 - i0, [&](int64_t r0, int64_t r1) {
            for (int64_t r = r0; r < r1; ++r) {
                const int64_t i = i0 + r;
                std::span<const float> row(&s.logits[static_cast<size_t>(r * V)], static_cast<size_t>(V));
                // The sampler's normaliser: the same double arithmetic as a sampled token's logprob.
                const sampling::LogNormalizer norm = sampling::log_normalizer(row);
                const int32_t target = s.tokens[static_cast<size_t>(s.targets[static_cast<size_t>(i)])];
                out.logprob[static_cast<size_t>(i)] = norm.logprob(row[static_cast<size_t>(target)]);
                double entropy = 0.0;
                for (float v : row) {
                    const double lp = norm.logprob(v);
                    if (std::isfinite(lp)) entropy -= std::exp(lp) * lp;
                }
                out.entropy[static_cast<size_t>(i)] = static_cast<float>(entropy);
                s.norm_max[static_cast<size_t>(i)] = norm.max;
                s.norm_log_sum[static_cast<size_t>(i)] = norm.log_sum;
            }
        });
    }
}

void backward_lm_head(TrainingPass::State& s, std::span<const double> dloss_dlogprob, float* dx_final,
                      ThreadPool& pool) {
    const ModelConfig& c = s.model->config();
    const auto n_targets = static_cast<int64_t>(s.targets.size());
    const int64_t V = c.n_vocab, d = c.n_embd;
    const float* x_final = s.x_at(c.n_layer);
    std::vector<float>& d_xn = s.grad->d_xn;  // [chunk, n_embd]
    std::vector<float>& d_row = s.grad->d_a;  // [chunk, n_embd]
    for (int64_t i0 = 0; i0 < n_targets; i0 += s.options.logits_chunk) {
        const int64_t i1 = std::min(n_targets, i0 + s.options.logits_chunk);
        bool any = false;
        for (int64_t i = i0; i < i1; ++i) any = any || dloss_dlogprob[static_cast<size_t>(i)] != 0.0;
        if (!any) continue;
        chunk_logits(s, i0, i1, pool);
        // d logprob_i / d logit_j = [j == target] - p_j; the logits buffer becomes dL/dlogits.
        pool.parallel_for(i1 - i0, [&](int64_t r0, int64_t r1) {
            for (int64_t r = r0; r < r1; ++r) {
                const int64_t i = i0 + r;
                const double g = dloss_dlogprob[static_cast<size_t>(i)];
                const double mx = s.norm_max[static_cast<size_t>(i)],
                             ls = s.norm_log_sum[static_cast<size_t>(i)];
                float* row = &s.logits[static_cast<size_t>(r * V)];
                const int32_t target = s.tokens[static_cast<size_t>(s.targets[static_cast<size_t>(i)])];
                for (int64_t j = 0; j < V; ++j) {
                    const double p = std::exp((static_cast<double>(row[j]) - mx) - ls);
                    row[j] = static_cast<float>(-g * p);
                }
                row[target] += static_cast<float>(g);
            }
        });
        const int64_t rows = i1 - i0;
        std::fill(d_xn.begin(), d_xn.begin() + rows * d, 0.0f);
        matmul_backward_input(s.model->weights().output, s.logits.data(), rows, d_xn.data(), pool);
        for (int64_t i = i0; i < i1; ++i) {
            const int64_t row = s.targets[static_cast<size_t>(i)] - 1;
            float* dr = &d_row[static_cast<size_t>((i - i0) * d)];
            ops::rms_norm_backward(x_final + row * d, f32(s.model->weights().output_norm),
                                   &d_xn[static_cast<size_t>((i - i0) * d)], dr, nullptr, 1, d, c.rms_eps);
            ops::add(dx_final + row * d, dr, d);
        }
    }
}

}  // namespace engine
