#include "engine/generator.h"

#include <algorithm>
#include <chrono>
#include <optional>

#include "engine/kv_cache.h"
#include "engine/stop_matcher.h"

namespace engine {
namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point start) {
    return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// The error for a step where the constraint (with the bias and the budget) left no token.
Error constraint_dead_end(const TokenConstraint& constraint, const GenerationOptions& options, int64_t step,
                          std::string_view sampler_error) {
    std::string message = "[generate] the constraint allows no token at step " + std::to_string(step);
    if (constraint.allowed_count() > 0)
        message += " that the sampling settings leave (a logit bias or mask forbids every allowed one: " +
                   std::string(sampler_error) + ")";
    else if (step == 0 && options.max_tokens > 0)
        message += " (max_tokens " + std::to_string(options.max_tokens) +
                   " or the context is too small for the shortest valid output)";
    return make_error(std::move(message));
}

}  // namespace

std::string_view stop_reason_name(StopReason reason) {
    switch (reason) {
        case StopReason::end_of_generation:
            return "end_of_generation";
        case StopReason::stop_string:
            return "stop_string";
        case StopReason::max_tokens:
            return "max_tokens";
        case StopReason::context_full:
            return "context_full";
        case StopReason::cancelled:
            return "cancelled";
    }
    return "unknown";
}

double GenerationTimings::prompt_tokens_per_s() const {
    int64_t computed = prompt_tokens - cached_tokens;
    return prompt_ms > 0 ? computed * 1000.0 / prompt_ms : 0.0;
}

double GenerationTimings::generation_tokens_per_s() const {
    return generation_ms > 0 ? generated_tokens * 1000.0 / generation_ms : 0.0;
}

std::vector<int32_t> end_of_generation_tokens(const Tokenizer& tokenizer) {
    std::vector<int32_t> ids;
    if (tokenizer.eos_id() >= 0) ids.push_back(tokenizer.eos_id());
    // End-of-turn markers of the chat formats we support. Only control tokens
    // count, so a plain-text token that happens to spell one is never a stop.
    for (std::string_view marker : {"<|im_end|>", "<end_of_turn>", "<|eot_id|>", "<|endoftext|>", "<|end|>",
                                    "</s>", "<|end_of_text|>", "<eos>"}) {
        auto id = tokenizer.find_token(marker);
        if (id && tokenizer.is_control(*id) && std::find(ids.begin(), ids.end(), *id) == ids.end())
            ids.push_back(*id);
    }
    return ids;
}

Generator::Generator(const Model& model, const Tokenizer& tokenizer, int n_threads)
    : model_(model), tokenizer_(tokenizer), pool_(n_threads) {}

Generator::~Generator() = default;

Result<std::unique_ptr<Generator>> Generator::create(const Model& model, const Tokenizer& tokenizer,
                                                     GeneratorOptions options) {
    const ModelConfig& config = model.config();
    if (tokenizer.vocab_size() > config.n_vocab)
        return make_error("[Generator] tokenizer has " + std::to_string(tokenizer.vocab_size()) +
                          " tokens but the model only " + std::to_string(config.n_vocab));
    int64_t capacity = options.context_length;
    if (config.n_ctx_train > 0) capacity = std::min(capacity, config.n_ctx_train);
    if (capacity < 1) return make_error("[Generator] context length must be at least 1");
    std::unique_ptr<Generator> generator(new Generator(model, tokenizer, options.n_threads));
    auto cache = KvCache::create(config, capacity);
    if (!cache) return cache.error();
    generator->cache_ = std::move(*cache);
    generator->logits_.resize(static_cast<size_t>(config.n_vocab));
    generator->end_ids_ = end_of_generation_tokens(tokenizer);
    return generator;
}

int64_t Generator::context_length() const { return cache_->capacity(); }

void Generator::reset() {
    cache_->clear();
    cached_.clear();
}

void Generator::set_adapter(const LoraAdapter* adapter) {
    adapter_ = adapter;
    reset();
}

Status Generator::process_prompt(std::span<const int32_t> prompt, GenerationTimings* timings) {
    if (prompt.empty()) return make_error("[generate] the prompt is empty");
    if (static_cast<int64_t>(prompt.size()) > cache_->capacity())
        return make_error("[generate] the prompt has " + std::to_string(prompt.size()) +
                          " tokens, more than the context length " + std::to_string(cache_->capacity()));
    // Reuse the cached prefix; always recompute at least the last prompt token,
    // because only its logits start the generation.
    size_t common = 0;
    while (common < cached_.size() && common < prompt.size() && cached_[common] == prompt[common]) ++common;
    if (common == prompt.size()) --common;
    ENGINE_TRY(cache_->truncate(static_cast<int64_t>(common)));
    cached_.resize(common);

    auto start = Clock::now();
    std::span<const int32_t> rest = prompt.subspan(common);
    Status status = model_.forward(*cache_, rest, static_cast<int64_t>(common), LogitsMode::last,
                                   logits_.data(), pool_, adapter_);
    if (!status) {
        reset();  // the cache may hold a partial batch
        return status;
    }
    cached_.insert(cached_.end(), rest.begin(), rest.end());
    if (timings) {
        timings->prompt_tokens = static_cast<int64_t>(prompt.size());
        timings->cached_tokens = static_cast<int64_t>(common);
        timings->prompt_ms = ms_since(start);
    }
    return {};
}

Status Generator::prefill(std::span<const int32_t> prompt) { return process_prompt(prompt, nullptr); }

Result<GenerationResult> Generator::generate(std::span<const int32_t> prompt,
                                             const GenerationOptions& options, const StreamCallback& on_token,
                                             const std::atomic<bool>* cancel) {
    auto sampler = Sampler::create(options.sampling);
    if (!sampler) return sampler.error();
    if (options.max_tokens < 0) return make_error("[generate] max_tokens must not be negative");
    TokenConstraint* constraint = options.constraint;
    if (constraint) {
        constraint->reset();
        // The caller's own hook (if any) first, then the constraint: both only forbid tokens.
        sampler->set_logit_mask([constraint, user = options.sampling.logit_mask](std::span<float> logits) {
            if (user) user(logits);
            constraint->mask(logits);
        });
    }

    GenerationResult result;
    ENGINE_TRY(process_prompt(prompt, &result.timings));
    // Sized once, so the decode loop itself does not allocate as it goes.
    result.tokens.reserve(static_cast<size_t>(std::min(options.max_tokens, cache_->capacity() + 1)));
    result.text.reserve(static_cast<size_t>(std::min<int64_t>(options.max_tokens, 4096)) * 4);

    Utf8StreamDecoder decoder(tokenizer_, /*skip_special=*/true);
    StopMatcher stops(options.stop_strings);
    SampledToken sampled;
    auto start = Clock::now();
    result.stop_reason = StopReason::max_tokens;
    for (int64_t n = 0; n < options.max_tokens; ++n) {
        if (cancel && cancel->load(std::memory_order_relaxed)) {
            result.stop_reason = StopReason::cancelled;
            break;
        }
        if (constraint) {
            // Tokens that may still be sampled: this one, then one per free cache slot.
            const int64_t left = std::min(options.max_tokens - n, 1 + cache_->capacity() - cache_->size());
            constraint->set_token_budget(left);
        }
        int32_t id = sampler->sample(logits_, &sampled);
        if (id < 0 && constraint) return constraint_dead_end(*constraint, options, n, sampler->last_error());
        if (id < 0) return make_error(std::string(sampler->last_error()));
        if (constraint) ENGINE_TRY(constraint->accept(id));
        sampler->accept(id);
        GeneratedToken token;
        token.id = id;
        token.logprob = sampled.logprob;
        auto top = sampled.top_logprobs();
        token.top.assign(top.begin(), top.end());
        result.tokens.push_back(token);

        const bool end_token = std::find(end_ids_.begin(), end_ids_.end(), id) != end_ids_.end();
        // With a constraint, an end token is only allowed (and always ends) once the value is complete
        // (a constraint built with other end tokens may have taken this one as text: then it goes on).
        bool end = end_token && (constraint ? constraint->complete() : options.stop_at_end_of_generation);
        std::string piece = end ? decoder.flush() : decoder.push(id);
        if (!end && constraint && constraint->must_end()) {
            piece += decoder.flush();  // nothing can follow: done without sampling an end token
            end = true;
        }
        StopMatch match = stops.push(piece);
        result.text += match.text;
        bool keep_going = !on_token || on_token(match.text, token);
        if (match.stopped) {
            result.stop_reason = StopReason::stop_string;
            break;
        }
        if (end) {
            result.stop_reason = StopReason::end_of_generation;
            break;
        }
        if (!keep_going) {
            result.stop_reason = StopReason::cancelled;
            break;
        }
        if (n + 1 == options.max_tokens) break;
        if (cache_->size() >= cache_->capacity()) {
            result.stop_reason = StopReason::context_full;
            break;
        }
        const int32_t one[1] = {id};
        Status status =
            model_.forward(*cache_, one, cache_->size(), LogitsMode::last, logits_.data(), pool_, adapter_);
        if (!status) {
            reset();
            return status.error();
        }
        cached_.push_back(id);
    }
    // Text still held back (a partial character or a possible stop-string prefix) belongs to the output.
    if (result.stop_reason != StopReason::stop_string) {
        bool decoder_flushed = result.stop_reason == StopReason::end_of_generation;
        StopMatch tail = stops.push(decoder_flushed ? std::string() : decoder.flush());
        std::string rest = tail.text + (tail.stopped ? std::string() : stops.flush());
        if (tail.stopped) result.stop_reason = StopReason::stop_string;
        result.text += rest;
        if (on_token && !rest.empty() && !result.tokens.empty()) on_token(rest, result.tokens.back());
    }
    result.timings.generated_tokens = static_cast<int64_t>(result.tokens.size());
    result.timings.generation_ms = ms_since(start);
    return result;
}

Result<std::vector<GenerationResult>> Generator::generate_group(std::span<const int32_t> prompt,
                                                                const GenerationOptions& options,
                                                                std::span<const uint64_t> seeds,
                                                                const std::atomic<bool>* cancel) {
    constexpr size_t kMaxGroup = 64;
    if (seeds.empty() || seeds.size() > kMaxGroup)
        return make_error("[generate_group] need 1 to " + std::to_string(kMaxGroup) + " sequences, got " +
                          std::to_string(seeds.size()));
    if (options.constraint)
        return make_error("[generate_group] constraints are not supported; use generate()");
    if (options.max_tokens < 0) return make_error("[generate_group] max_tokens must not be negative");
    const size_t G = seeds.size();
    struct Sequence {
        std::optional<Sampler> sampler;
        std::unique_ptr<Utf8StreamDecoder> decoder;
        std::unique_ptr<StopMatcher> stops;
        GenerationResult result;
        bool active = true;
        int32_t last = -1;
    };
    std::vector<Sequence> seqs(G);
    for (size_t i = 0; i < G; ++i) {
        SamplingParams params = options.sampling;
        params.seed = seeds[i];
        auto sampler = Sampler::create(std::move(params));
        if (!sampler) return sampler.error();
        seqs[i].sampler.emplace(std::move(*sampler));
        seqs[i].decoder = std::make_unique<Utf8StreamDecoder>(tokenizer_, /*skip_special=*/true);
        seqs[i].stops = std::make_unique<StopMatcher>(options.stop_strings);
    }

    GenerationTimings prompt_timings;
    ENGINE_TRY(process_prompt(prompt, &prompt_timings));
    const auto n_prompt = static_cast<int64_t>(prompt.size());
    // Sequence caches just large enough: the prompt plus max_tokens (within the context).
    const int64_t capacity =
        std::min(cache_->capacity(), n_prompt + std::max<int64_t>(options.max_tokens, 1));
    const ModelConfig& c = model_.config();
    if (group_caches_.size() < G || group_caches_[0]->capacity() != capacity ||
        group_caches_[0]->max_batch() < static_cast<int64_t>(G)) {
        group_caches_.clear();
        for (size_t i = 0; i < G; ++i) {
            // Whichever cache comes first in a step lends its scratch to the batch, so each is
            // sized for the group (a few hundred KB of activations each).
            auto kc = KvCache::create(c, capacity, static_cast<int64_t>(G));
            if (!kc) return kc.error();
            group_caches_.push_back(std::move(*kc));
        }
    }
    const size_t hd = static_cast<size_t>(c.head_dim), main_cap = static_cast<size_t>(cache_->capacity());
    for (size_t i = 0; i < G; ++i) {
        KvCache& kc = *group_caches_[i];
        for (int64_t il = 0; il < c.n_layer; ++il)
            for (int64_t h = 0; h < c.n_head_kv; ++h) {
                const size_t from = static_cast<size_t>(h) * main_cap * hd;
                const size_t to = static_cast<size_t>(h) * static_cast<size_t>(capacity) * hd;
                std::copy_n(cache_->k(il) + from, static_cast<size_t>(n_prompt) * hd, kc.k(il) + to);
                std::copy_n(cache_->v(il) + from, static_cast<size_t>(n_prompt) * hd, kc.v(il) + to);
            }
        kc.set_size(n_prompt);
    }

    const auto V = static_cast<size_t>(c.n_vocab);
    std::vector<float> logits(G * V);  // [G, n_vocab] each sequence's latest row
    for (size_t i = 0; i < G; ++i)
        std::copy(logits_.begin(), logits_.end(), logits.begin() + static_cast<std::ptrdiff_t>(i * V));
    std::vector<KvCache*> batch_caches;
    std::vector<int32_t> batch_tokens;
    std::vector<size_t> batch_index;
    std::vector<float> batch_logits(G * V);
    SampledToken sampled;
    auto start = Clock::now();
    for (int64_t n = 0; n < options.max_tokens; ++n) {
        const bool cancelled = cancel && cancel->load(std::memory_order_relaxed);
        batch_caches.clear();
        batch_tokens.clear();
        batch_index.clear();
        for (size_t i = 0; i < G; ++i) {
            Sequence& q = seqs[i];
            if (!q.active) continue;
            if (cancelled) {
                q.result.stop_reason = StopReason::cancelled;
                q.active = false;
                continue;
            }
            std::span<const float> row(&logits[i * V], V);
            const int32_t id = q.sampler->sample(row, &sampled);
            if (id < 0) return make_error(std::string(q.sampler->last_error()));
            q.sampler->accept(id);
            GeneratedToken token;
            token.id = id;
            token.logprob = sampled.logprob;
            auto top = sampled.top_logprobs();
            token.top.assign(top.begin(), top.end());
            q.result.tokens.push_back(std::move(token));
            const bool end = options.stop_at_end_of_generation &&
                             std::find(end_ids_.begin(), end_ids_.end(), id) != end_ids_.end();
            const std::string piece = end ? q.decoder->flush() : q.decoder->push(id);
            StopMatch match = q.stops->push(piece);
            q.result.text += match.text;
            q.active = false;
            if (match.stopped)
                q.result.stop_reason = StopReason::stop_string;
            else if (end)
                q.result.stop_reason = StopReason::end_of_generation;
            else if (n + 1 == options.max_tokens)
                q.result.stop_reason = StopReason::max_tokens;
            else if (group_caches_[i]->size() >= capacity)
                q.result.stop_reason =
                    cache_->capacity() == capacity ? StopReason::context_full : StopReason::max_tokens;
            else
                q.active = true;
            if (!q.active) continue;
            batch_caches.push_back(group_caches_[i].get());
            batch_tokens.push_back(id);
            batch_index.push_back(i);
        }
        if (batch_caches.empty()) break;
        Status status =
            model_.forward_batch(batch_caches, batch_tokens, batch_logits.data(), pool_, adapter_);
        if (!status) return status.error();
        for (size_t b = 0; b < batch_index.size(); ++b)
            std::copy_n(&batch_logits[b * V], V, &logits[batch_index[b] * V]);
    }
    const double ms = ms_since(start);
    std::vector<GenerationResult> out;
    out.reserve(G);
    for (Sequence& q : seqs) {
        if (q.result.stop_reason != StopReason::stop_string) {
            const bool flushed = q.result.stop_reason == StopReason::end_of_generation;
            StopMatch tail = q.stops->push(flushed ? std::string() : q.decoder->flush());
            q.result.text += tail.text + (tail.stopped ? std::string() : q.stops->flush());
            if (tail.stopped) q.result.stop_reason = StopReason::stop_string;
        }
        q.result.timings = prompt_timings;
        q.result.timings.generated_tokens = static_cast<int64_t>(q.result.tokens.size());
        q.result.timings.generation_ms = ms;
        out.push_back(std::move(q.result));
    }
    return out;
}

}  // namespace engine
