// Pure building blocks of the sampler, kept apart so tests can check each
// transformation exactly. None of them allocates.
#pragma once

#include <cstdint>
#include <limits>
#include <span>

#include "engine/sampler.h"

namespace engine::sampling {

// The log-softmax normaliser of a row, kept as (max, log of the shifted sum) so a
// log-probability is formed as (logit - max) - log_sum: with logits near 1e30,
// folding the two into one number would round log_sum away entirely.
struct LogNormalizer {
    double max = 0.0;      // largest logit (-inf when every entry is -inf)
    double log_sum = 0.0;  // log(sum_i exp(logit_i - max)), in [0, log n]

    double logprob(float logit) const {
        if (logit == -std::numeric_limits<float>::infinity()) return -std::numeric_limits<double>::infinity();
        return (static_cast<double>(logit) - max) - log_sum;
    }
};

// Accumulates in double after subtracting the maximum, so +-1e30 entries neither
// overflow nor lose the normaliser; -inf entries count as zero probability.
// Precondition: no NaN or +inf (the sampler rejects those first).
LogNormalizer log_normalizer(std::span<const float> logits);

// Writes the n highest entries (logit descending, lower id first on ties, -inf
// never listed) with their log-probabilities under `norm` into out[0..n); returns how many.
int32_t top_logprobs(std::span<const float> logits, const LogNormalizer& norm, int32_t n, TokenLogprob* out);

// Applies the repetition, frequency and presence penalties of `params` to the
// tokens in `window` (ids outside the vocabulary are ignored):
//   repetition: logit > 0 ? logit / r : logit * r   (once per distinct token)
//   frequency:  logit -= count * frequency_penalty
//   presence:   logit -= presence_penalty           (once per distinct token)
// counts must hold logits.size() zeros and touched must have capacity for every
// distinct id; both are returned in that state.
void apply_penalties(std::span<float> logits, std::span<const int32_t> window, const SamplingParams& params,
                     std::span<int32_t> counts, std::vector<int32_t>* touched);

}  // namespace engine::sampling
