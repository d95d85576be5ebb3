// Token sampling for generation: logit bias, constraint mask, repetition /
// presence / frequency penalties, temperature, top-k, top-p, min-p, and a
// seeded, platform-independent random draw. Also reports the chosen token's
// log-probability under the model's raw distribution and the top-N raw
// alternatives (OpenAI-style `logprobs` / `top_logprobs`).
//
// Order of transformations (fixed; each step sees the output of the previous):
//   1. logit_bias            additive, per token (-inf forbids)
//   2. logit_mask hook       constrained decoding forbids tokens (sets -inf)
//   3. penalties             repetition (CTRL: positive logit / r, negative * r),
//                            then frequency (- count * f) and presence (- p if seen)
//   4. temperature           logits / T; T == 0 means greedy argmax of step 3
//   5. top-k                 keep the k highest
//   6. top-p                 keep the smallest prefix whose mass >= top_p
//   7. min-p                 keep tokens with p >= min_p * p_max
//   8. draw                  inverse CDF with a xoshiro256** uniform
// Why this order: bias and mask are hard user/grammar constraints, so every later
// step must already see them (a forbidden token must not soak up top-k slots or
// probability mass). Penalties are defined on raw logits (as in CTRL, llama.cpp and
// the OpenAI API), so they come before temperature rescales them. Temperature comes
// before the truncations so that top-p and min-p thresholds apply to the distribution
// that is actually sampled (the HF transformers / vLLM convention, so user settings
// mean the same thing here). Top-k runs first among the truncations because it is a
// cheap partial selection that shrinks the set the top-p sort works on; top-p then
// renormalises over the top-k survivors, and min-p (relative to the maximum, which
// every truncation keeps) ends the chain.
//
// Determinism: the random stream is xoshiro256** seeded through splitmix64 (both
// implemented here, no std:: distributions), and the draw walks candidates in a
// canonical order (logit descending, id ascending, or plain id order when nothing
// was truncated), so the same seed and the same logits give the same tokens on
// every platform whose libm exp() rounds alike and whose compiler does not fuse
// the penalty's multiply-add into an FMA (x86-64 g++ at -std=c++20 does not).
//
// Cost: O(n_vocab) per call plus O(m log m) for the m candidates that top-k /
// top-p keep; top-p over a large untruncated set first bins the mass by
// log-weight so that only the nucleus is sorted. No full sort of the vocabulary,
// and no heap allocation after the first call for a given vocabulary size
// (scratch buffers are kept).
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/result.h"

namespace engine {

// Receives the working logits (after logit_bias, before penalties) and may lower
// entries, typically to -inf to forbid tokens. It must not write NaN or +inf.
using LogitMask = std::function<void(std::span<float> logits)>;

struct SamplingParams {
    float temperature = 1.0f;         // 0 = greedy (argmax after bias, mask and penalties)
    int32_t top_k = 0;                // 0 = off
    float top_p = 1.0f;               // (0, 1]; 1 = off
    float min_p = 0.0f;               // [0, 1]; 0 = off
    float repetition_penalty = 1.0f;  // > 0; 1 = off
    float presence_penalty = 0.0f;    // subtracted once from every token seen in the window
    float frequency_penalty = 0.0f;   // subtracted once per occurrence in the window
    int32_t penalty_last_n = 64;      // window of accepted tokens; -1 = all, 0 = penalties off
    uint64_t seed = 0;
    int32_t n_top_logprobs = 0;           // 0..kMaxTopLogprobs alternatives to report
    std::map<int32_t, float> logit_bias;  // token id -> additive bias (finite or -inf)
    LogitMask logit_mask;                 // optional constrained-decoding hook
};

inline constexpr int32_t kMaxTopLogprobs = 20;

struct TokenLogprob {
    int32_t id = -1;
    double logprob = 0.0;  // under the raw (unmodified) model distribution
};

struct SampledToken {
    int32_t id = -1;
    double logprob = 0.0;  // log-softmax of the raw logits at `id` (-inf if the model gave it -inf)
    // The n_top highest raw log-probabilities, descending (ties: lower id first);
    // tokens with raw logit -inf are never listed.
    std::array<TokenLogprob, kMaxTopLogprobs> top{};
    int32_t n_top = 0;

    std::span<const TokenLogprob> top_logprobs() const { return {top.data(), static_cast<size_t>(n_top)}; }
};

// Checks ranges: temperature >= 0, top_k >= 0, top_p in (0, 1], min_p in [0, 1],
// repetition_penalty > 0, finite penalties, penalty_last_n >= -1,
// n_top_logprobs in [0, kMaxTopLogprobs], bias ids >= 0 with finite or -inf values.
Status validate_sampling_params(const SamplingParams& params);

class Sampler {
public:
    static Result<Sampler> create(SamplingParams params);

    // Picks a token from one row of logits ([n_vocab]). Fills *info when non-null
    // (the raw log-softmax costs one extra pass over the vocabulary). Returns -1
    // when no token can be drawn (empty logits, NaN or +inf logits, a logit_bias id
    // outside the vocabulary, every token forbidden); last_error() then says why.
    // Does not record the token: call accept() with the token actually used.
    int32_t sample(std::span<const float> logits, SampledToken* info = nullptr);

    // Records a token for the penalties (feed prompt tokens too if they should count).
    void accept(int32_t token);

    // Forgets the history and restarts the random stream from the seed.
    void reset();

    // Replaces the constrained-decoding hook (empty = none).
    void set_logit_mask(LogitMask mask) { params_.logit_mask = std::move(mask); }

    const SamplingParams& params() const { return params_; }

    // Above this many candidates, top-p bins the mass by log-weight before sorting.
    static constexpr size_t kHistogramMin = 4096;
    std::string_view last_error() const { return last_error_; }

private:
    explicit Sampler(SamplingParams params);

    struct Candidate {
        float logit;  // working logit (after bias, mask, penalties)
        int32_t id;
        double weight;  // exp((logit - max) / T), unnormalised probability
    };

    int32_t fail(std::string message, SampledToken* info);
    void apply_penalties(std::span<float> logits);
    int32_t draw(size_t n_candidates);
    size_t drop_outside_nucleus(size_t n_candidates, double max_logit, double inv_t, double target);

    SamplingParams params_;
    std::vector<std::pair<int32_t, float>> bias_;  // params_.logit_bias flattened
    std::array<uint64_t, 4> rng_state_{};
    std::vector<int32_t> history_;  // accepted tokens, oldest first (trimmed to the window)
    std::vector<float> work_;       // [n_vocab] working logits
    std::vector<Candidate> cand_;   // [n_vocab] candidates, prefix in use
    std::vector<int32_t> counts_;   // [n_vocab] occurrences in the penalty window, zero between calls
    std::vector<int32_t> touched_;  // distinct ids with counts_ != 0
    std::string last_error_;
};

}  // namespace engine
