// Text generation: prompt processing, the decode loop, sampling, stop
// conditions, streaming and per-token log-probabilities, over one KV cache.
//
// A Generator holds one sequence. Successive calls reuse the KV cache for the
// longest common prefix of the new prompt and the tokens already processed, so
// a chat turn only computes the new messages. Not thread-safe: one caller at a
// time (the inference thread that owns it).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/model.h"
#include "engine/result.h"
#include "engine/sampler.h"
#include "engine/thread_pool.h"
#include "engine/token_constraint.h"
#include "engine/tokenizer.h"

namespace engine {

class KvCache;
class LoraAdapter;

struct GeneratorOptions {
    int64_t context_length = 4096;  // KV-cache capacity in tokens (clamped to the model's trained context)
    int n_threads = 0;              // 0 = all hardware threads
};

struct GenerationOptions {
    SamplingParams sampling;
    int64_t max_tokens = 512;
    std::vector<std::string>
        stop_strings;  // generation ends before the first occurrence; not included in text
    bool stop_at_end_of_generation = true;  // stop on the model's end-of-turn / end-of-text tokens
    // Constrained decoding (not owned; null = none). generate() resets it, then per step gives it
    // the token budget (what max_tokens and the context leave), applies its mask after the logit
    // bias (sampler.h), and accepts the sampled token. The generation ends when the constraint is
    // complete and an end token is sampled (whatever stop_at_end_of_generation says), or as soon
    // as it is complete and nothing else can follow. A step where it allows no token is an error.
    // Reported log-probs stay those of the raw model.
    TokenConstraint* constraint = nullptr;
};

enum class StopReason { end_of_generation = 1, stop_string, max_tokens, context_full, cancelled };
std::string_view stop_reason_name(StopReason reason);

struct GeneratedToken {
    int32_t id = -1;
    double logprob = 0.0;           // log p(token) under the model's raw distribution
    std::vector<TokenLogprob> top;  // the most likely alternatives, best first (n_top_logprobs)
};

struct GenerationTimings {
    int64_t prompt_tokens = 0;  // tokens in the prompt
    int64_t cached_tokens = 0;  // of which reused from the KV cache
    int64_t generated_tokens = 0;
    double prompt_ms = 0.0;      // computing the uncached prompt tokens
    double generation_ms = 0.0;  // the decode loop (includes sampling)
    double prompt_tokens_per_s() const;
    double generation_tokens_per_s() const;
};

struct GenerationResult {
    std::string text;                    // decoded output, stop string excluded
    std::vector<GeneratedToken> tokens;  // every generated token, the end-of-generation token included
    StopReason stop_reason = StopReason::max_tokens;
    GenerationTimings timings;
};

// Called with each new piece of complete UTF-8 text (possibly empty while a
// stop string or a multi-byte character is pending) and the token behind it.
// Returning false cancels the generation.
using StreamCallback = std::function<bool(std::string_view text, const GeneratedToken& token)>;

class Generator {
public:
    static Result<std::unique_ptr<Generator>> create(const Model& model, const Tokenizer& tokenizer,
                                                     GeneratorOptions options = {});
    ~Generator();

    Result<GenerationResult> generate(std::span<const int32_t> prompt, const GenerationOptions& options,
                                      const StreamCallback& on_token = {},
                                      const std::atomic<bool>* cancel = nullptr);

    // Several completions of one prompt, decoded together: the prompt is computed
    // once (reusing the cache as generate() does), its keys and values are copied
    // to one cache per sequence, and every decode step runs the unfinished
    // sequences as one batch, so the weights are read once per step for all of
    // them. Sequence i samples with options.sampling and seed seeds[i]; each result
    // (tokens, log-probs, text, stop reason) is exactly what generate() gives with
    // that seed. No streaming and no constraint here; at most 64 sequences.
    Result<std::vector<GenerationResult>> generate_group(std::span<const int32_t> prompt,
                                                         const GenerationOptions& options,
                                                         std::span<const uint64_t> seeds,
                                                         const std::atomic<bool>* cancel = nullptr);

    // Computes the prompt into the cache without generating (e.g. to time prefill).
    Status prefill(std::span<const int32_t> prompt);
    // Forgets the cached sequence.
    void reset();
    // Applies a LoRA adapter (null = none) to every following forward pass and
    // forgets the cache, whose keys and values were computed without it. The
    // adapter must outlive its use; after changing its values, call reset().
    void set_adapter(const LoraAdapter* adapter);
    const LoraAdapter* adapter() const { return adapter_; }

    const Model& model() const { return model_; }
    const Tokenizer& tokenizer() const { return tokenizer_; }
    int64_t context_length() const;
    ThreadPool& thread_pool() { return pool_; }
    // Tokens that end a turn for this model (eos plus end-of-turn control tokens).
    const std::vector<int32_t>& end_of_generation_ids() const { return end_ids_; }

private:
    Generator(const Model& model, const Tokenizer& tokenizer, int n_threads);
    // Brings the cache to hold exactly `prompt` and leaves the logits of its last token in logits_.
    Status process_prompt(std::span<const int32_t> prompt, GenerationTimings* timings);

    const Model& model_;
    const Tokenizer& tokenizer_;
    ThreadPool pool_;
    std::unique_ptr<KvCache> cache_;
    std::vector<int32_t> cached_;  // tokens whose keys/values are in the cache, in order
    std::vector<float> logits_;    // [n_vocab] logits after the last processed token
    std::vector<int32_t> end_ids_;
    const LoraAdapter* adapter_ = nullptr;
    std::vector<std::unique_ptr<KvCache>>
        group_caches_;  // generate_group's per-sequence caches, kept for reuse
};

// End-of-generation token ids of a tokenizer: eos and known end-of-turn control
// tokens (<|im_end|>, <end_of_turn>, <|eot_id|>, <|endoftext|>, <|end|>, </s>).
std::vector<int32_t> end_of_generation_tokens(const Tokenizer& tokenizer);

}  // namespace engine
