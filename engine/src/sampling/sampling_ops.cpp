#include "sampling/sampling_ops.h"

#include <cmath>
#include <limits>

namespace engine::sampling {

LogNormalizer log_normalizer(std::span<const float> logits) {
    LogNormalizer norm;
    double max = -std::numeric_limits<double>::infinity();
    for (float v : logits) max = v > max ? v : max;
    norm.max = max;
    if (max == -std::numeric_limits<double>::infinity()) return norm;
    double sum = 0.0;  // >= 1: the maximum contributes exp(0)
    for (float v : logits) sum += std::exp(static_cast<double>(v) - max);
    norm.log_sum = std::log(sum);
    return norm;
}

int32_t top_logprobs(std::span<const float> logits, const LogNormalizer& norm, int32_t n, TokenLogprob* out) {
    if (n <= 0) return 0;
    // Insertion into a sorted array of at most 20 (holding raw logits until the end):
    // most entries fail the first comparison against the current n-th best, so
    // this is one pass over the vocabulary.
    int32_t count = 0;
    const float neg_inf = -std::numeric_limits<float>::infinity();
    for (size_t i = 0; i < logits.size(); ++i) {
        const float v = logits[i];
        if (v == neg_inf) continue;
        if (count == n && !(v > out[count - 1].logprob)) continue;  // ids ascend: equal keeps the earlier
        int32_t j = count < n ? count++ : n - 1;
        while (j > 0 && v > out[j - 1].logprob) {
            out[j] = out[j - 1];
            --j;
        }
        out[j] = TokenLogprob{static_cast<int32_t>(i), static_cast<double>(v)};
    }
    for (int32_t j = 0; j < count; ++j) out[j].logprob = norm.logprob(logits[static_cast<size_t>(out[j].id)]);
    return count;
}

void apply_penalties(std::span<float> logits, std::span<const int32_t> window, const SamplingParams& params,
                     std::span<int32_t> counts, std::vector<int32_t>* touched) {
    const float rep = params.repetition_penalty;
    const float freq = params.frequency_penalty;
    const float presence = params.presence_penalty;
    if (rep == 1.0f && freq == 0.0f && presence == 0.0f) return;
    const auto n_vocab = static_cast<int64_t>(logits.size());
    touched->clear();
    for (int32_t token : window) {
        if (token < 0 || token >= n_vocab) continue;
        if (counts[static_cast<size_t>(token)]++ == 0) touched->push_back(token);
    }
    for (int32_t token : *touched) {
        const auto t = static_cast<size_t>(token);
        float& logit = logits[t];
        logit = logit > 0.0f ? logit / rep : logit * rep;
        logit -= static_cast<float>(counts[t]) * freq + presence;
        counts[t] = 0;
    }
    touched->clear();
}

}  // namespace engine::sampling
