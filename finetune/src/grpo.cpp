#include "finetune/grpo.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>

#include "finetune/rng.h"

namespace finetune {
namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

// One sampled completion and what the update needs of it.
struct GrpoTrainer::Rollout {
    size_t prompt = 0;                // index into prompts_
    std::vector<int32_t> completion;  // sampled ids, the end-of-turn token included
    std::vector<double> sample_lp;    // [completion] the sampler's raw log-probs
    std::string text;
    bool truncated = false;
    Reward reward;
    double advantage = 0.0;
    bool used = false;  // its group had reward variance (and it is not a masked truncation)
};

engine::Result<std::unique_ptr<GrpoTrainer>> GrpoTrainer::create(const engine::ModelBundle& bundle,
                                                                 std::vector<GrpoPrompt> prompts,
                                                                 RewardFunction reward,
                                                                 engine::LoraAdapter adapter,
                                                                 GrpoOptions options) {
    if (prompts.empty()) return engine::make_error("[grpo] no prompts");
    if (!reward) return engine::make_error("[grpo] no reward function");
    if (options.steps < 1 || options.prompts_per_step < 1 || options.num_iterations < 1)
        return engine::make_error("[grpo] steps, prompts_per_step and num_iterations must be at least 1");
    if (options.group_size < 2)
        return engine::make_error(
            "[grpo] group_size must be at least 2 (advantages are relative to the group)");
    if (options.max_completion_tokens < 1)
        return engine::make_error("[grpo] max_completion_tokens must be positive");
    if (!(options.epsilon_low >= 0.0 && options.epsilon_low < 1.0 && options.epsilon_high >= 0.0))
        return engine::make_error("[grpo] epsilon_low must be in [0, 1) and epsilon_high >= 0");
    if (!(options.beta >= 0.0)) return engine::make_error("[grpo] beta must be >= 0");
    if (auto st = validate_lora_config(options.lora); !st) return st.error();
    options.schedule.total_steps = options.steps;
    if (auto st = options.schedule.validate(); !st) return st.error();

    std::unique_ptr<GrpoTrainer> t(new GrpoTrainer(bundle, std::move(prompts), std::move(reward),
                                                   std::move(adapter), std::move(options)));
    int64_t longest = 0;
    for (size_t i = 0; i < t->prompts_.size(); ++i) {
        auto ids = bundle.encode_chat(t->prompts_[i].messages, /*add_generation_prompt=*/true);
        if (!ids)
            return engine::make_error("[grpo] prompt " + t->prompts_[i].id + ": " + ids.error().message);
        longest = std::max(longest, static_cast<int64_t>(ids->size()));
        t->prompt_tokens_.push_back(std::move(*ids));
    }
    const int64_t max_tokens = longest + t->options_.max_completion_tokens + 1;
    engine::GeneratorOptions go;
    go.context_length = max_tokens;
    go.n_threads = t->options_.n_threads;
    auto gen = engine::Generator::create(bundle.model(), bundle.tokenizer(), go);
    if (!gen) return gen.error();
    t->generator_ = std::move(*gen);
    if (t->generator_->context_length() < max_tokens)
        return engine::make_error("[grpo] the longest prompt (" + std::to_string(longest) + " tokens) plus " +
                                  std::to_string(t->options_.max_completion_tokens) +
                                  " completion tokens exceeds the model's context");
    engine::TrainingPassOptions po;
    po.recompute =
        engine::should_recompute(bundle.model().config(), max_tokens);  // full tapes when they fit in 1 GiB
    auto pass = engine::TrainingPass::create(bundle.model(), max_tokens, po);
    if (!pass) return pass.error();
    t->pass_ = std::move(*pass);
    return t;
}

GrpoTrainer::GrpoTrainer(const engine::ModelBundle& bundle, std::vector<GrpoPrompt> prompts,
                         RewardFunction reward, engine::LoraAdapter adapter, GrpoOptions options)
    : bundle_(bundle),
      prompts_(std::move(prompts)),
      reward_(std::move(reward)),
      adapter_(std::move(adapter)),
      grads_(engine::LoraAdapter::zeros_like(adapter_)),
      options_(std::move(options)),
      optimizer_(options_.adamw) {}

GrpoTrainer::~GrpoTrainer() = default;

size_t GrpoTrainer::prompt_at(int64_t i) const {
    const auto n = static_cast<int64_t>(prompts_.size());
    std::vector<size_t> order(prompts_.size());
    std::iota(order.begin(), order.end(), size_t{0});
    Rng rng(derive_seed(options_.seed, {0x9e0, static_cast<uint64_t>(i / n)}));
    for (size_t k = order.size(); k > 1; --k) std::swap(order[k - 1], order[rng.next_u64() % k]);
    return order[static_cast<size_t>(i % n)];
}

engine::Result<GrpoStepReport> GrpoTrainer::step() {
    if (done()) return engine::make_error("[grpo] training already finished");
    GrpoStepReport r;
    r.step = step_ + 1;
    r.total_steps = options_.steps;
    const int64_t G = options_.group_size;

    // ---- Rollouts: G completions of each prompt with the current adapter.
    const auto t_sample = std::chrono::steady_clock::now();
    generator_->set_adapter(&adapter_);  // also drops keys/values computed with the previous weights
    std::vector<Rollout> rollouts;
    int64_t sampled_tokens = 0;
    for (int64_t p = 0; p < options_.prompts_per_step; ++p) {
        const size_t pi = prompt_at(step_ * options_.prompts_per_step + p);
        engine::GenerationOptions go;
        go.sampling.temperature = options_.temperature;
        go.sampling.top_p = options_.top_p;
        go.max_tokens = options_.max_completion_tokens;
        std::vector<uint64_t> seeds;
        for (int64_t g = 0; g < G; ++g)
            seeds.push_back(derive_seed(options_.seed, {0x5a3, static_cast<uint64_t>(step_),
                                                        static_cast<uint64_t>(p), static_cast<uint64_t>(g)}));
        // The group decodes as one batch; each completion is what a lone generate() would give.
        auto outs = generator_->generate_group(prompt_tokens_[pi], go, seeds);
        if (!outs)
            return engine::make_error("[grpo] sampling prompt " + prompts_[pi].id + ": " +
                                      outs.error().message);
        for (engine::GenerationResult& out : *outs) {
            Rollout ro;
            ro.prompt = pi;
            for (const engine::GeneratedToken& tok : out.tokens) {
                ro.completion.push_back(tok.id);
                ro.sample_lp.push_back(tok.logprob);
            }
            ro.text = std::move(out.text);
            ro.truncated = out.stop_reason == engine::StopReason::max_tokens;
            sampled_tokens += static_cast<int64_t>(ro.completion.size());
            auto reward = reward_(prompts_[pi], ro.text);
            if (!reward)
                return engine::make_error("[grpo] reward for prompt " + prompts_[pi].id + ": " +
                                          reward.error().message);
            ro.reward = std::move(*reward);
            rollouts.push_back(std::move(ro));
        }
    }
    r.sample_seconds = seconds_since(t_sample);
    r.sample_tokens_per_s = r.sample_seconds > 0 ? double(sampled_tokens) / r.sample_seconds : 0.0;

    // ---- Rewards -> advantages.
    std::vector<double> all;
    std::map<std::string, std::pair<double, int64_t>> components;
    for (const Rollout& ro : rollouts) {
        all.push_back(ro.reward.value);
        for (const auto& [name, value] : ro.reward.components) {
            auto& acc = components[name];
            acc.first += value;
            acc.second += 1;
        }
    }
    auto mean_std = [](const std::vector<double>& v) {
        double m = std::accumulate(v.begin(), v.end(), 0.0) / double(v.size()), s = 0.0;
        for (double x : v) s += (x - m) * (x - m);
        return std::pair{m,
                         v.size() > 1 ? std::sqrt(s / double(v.size() - 1)) : 0.0};  // unbiased, as torch.std
    };
    std::tie(r.reward_mean, r.reward_std) = mean_std(all);
    for (const auto& [name, acc] : components)
        r.component_means.emplace_back(name, acc.first / double(acc.second));
    const double batch_std = r.reward_std;
    int64_t completion_tokens = 0, truncated = 0;
    for (size_t g0 = 0; g0 < rollouts.size(); g0 += static_cast<size_t>(G)) {
        std::vector<double> group;
        for (int64_t g = 0; g < G; ++g) group.push_back(rollouts[g0 + static_cast<size_t>(g)].reward.value);
        const auto [mean, std] = mean_std(group);
        const bool flat = std::all_of(group.begin(), group.end(), [&](double x) { return x == group[0]; });
        if (flat) {
            ++r.groups_dropped;
            continue;
        }
        ++r.groups_used;
        const double scale = options_.scaling == RewardScaling::group   ? std + 1e-4
                             : options_.scaling == RewardScaling::batch ? batch_std + 1e-4
                                                                        : 1.0;
        for (int64_t g = 0; g < G; ++g) {
            Rollout& ro = rollouts[g0 + static_cast<size_t>(g)];
            ro.advantage = (ro.reward.value - mean) / scale;
            ro.used = !(options_.mask_truncated && ro.truncated) && !ro.completion.empty();
        }
    }
    double length_sum = 0.0;
    for (const Rollout& ro : rollouts) {
        length_sum += double(ro.completion.size());
        truncated += ro.truncated ? 1 : 0;
        if (ro.used) completion_tokens += static_cast<int64_t>(ro.completion.size());
    }
    r.completion_length = length_sum / double(rollouts.size());
    r.truncated_fraction = double(truncated) / double(rollouts.size());

    // ---- Policy updates on these rollouts.
    const auto t_train = std::chrono::steady_clock::now();
    engine::ThreadPool& pool = generator_->thread_pool();
    int64_t trained_tokens = 0;
    r.lr = options_.schedule.lr_at(step_);
    if (completion_tokens == 0) r.kl = r.clip_fraction = r.entropy = std::numeric_limits<double>::quiet_NaN();
    for (int64_t iter = 0; iter < options_.num_iterations && completion_tokens > 0; ++iter) {
        grads_.set_zero();
        double kl_sum = 0.0, entropy_sum = 0.0;
        int64_t clipped = 0;
        for (Rollout& ro : rollouts) {
            if (!ro.used) continue;
            const std::vector<int32_t>& prompt = prompt_tokens_[ro.prompt];
            std::vector<int32_t> seq(prompt);
            seq.insert(seq.end(), ro.completion.begin(), ro.completion.end());
            std::vector<int64_t> targets(ro.completion.size());
            std::iota(targets.begin(), targets.end(), static_cast<int64_t>(prompt.size()));

            std::vector<double> ref_lp;
            if (options_.beta > 0.0) {
                engine::ForwardOptions base;
                base.for_backward = false;  // the adapter switched off: the reference policy
                auto ref = pass_->forward(seq, targets, base, pool);
                if (!ref) return ref.error();
                ref_lp = std::move(ref->logprob);
            }
            engine::ForwardOptions fo;
            fo.adapter = &adapter_;
            fo.lora_dropout = options_.lora.dropout;
            fo.dropout_seed =
                derive_seed(options_.seed, {0xd0, static_cast<uint64_t>(step_), static_cast<uint64_t>(iter)});
            auto scores = pass_->forward(seq, targets, fo, pool);
            if (!scores) return scores.error();
            trained_tokens += static_cast<int64_t>(seq.size());

            std::vector<double> dlp(targets.size());
            for (size_t i = 0; i < targets.size(); ++i) {
                const double lp = scores->logprob[i];
                if (iter == 0)
                    r.max_logprob_diff = std::max(r.max_logprob_diff, std::abs(lp - ro.sample_lp[i]));
                const double ratio = std::exp(lp - ro.sample_lp[i]);
                const double A = ro.advantage;
                // min(ratio A, clip(ratio) A): the clipped branch wins (and has no gradient)
                // when the ratio has left the trust region in the direction A pushes it.
                const bool is_clipped = (A > 0 && ratio > 1.0 + options_.epsilon_high) ||
                                        (A < 0 && ratio < 1.0 - options_.epsilon_low);
                clipped += is_clipped ? 1 : 0;
                double g = is_clipped ? 0.0 : -A * ratio;  // d(-ratio A)/d lp
                if (options_.beta > 0.0) {
                    const double delta = ref_lp[i] - lp;
                    kl_sum += std::exp(delta) - delta - 1.0;
                    g += options_.beta * (1.0 - std::exp(delta));  // d k3 / d lp
                }
                dlp[i] = g / double(completion_tokens);
                entropy_sum += scores->entropy[i];
            }
            if (auto st = pass_->backward(dlp, grads_, pool); !st) return st.error();
        }
        r.grad_norm = clip_grad_norm(grads_, options_.max_grad_norm);
        if (!std::isfinite(r.grad_norm))
            return engine::make_error("[grpo] the gradient is not finite at step " +
                                      std::to_string(step_ + 1) +
                                      "; the adapter was left as before this step");
        if (auto st = optimizer_.step(adapter_, grads_, static_cast<float>(r.lr)); !st) return st.error();
        r.kl = kl_sum / double(completion_tokens);
        r.entropy = entropy_sum / double(completion_tokens);
        r.clip_fraction = double(clipped) / double(completion_tokens);
    }
    r.train_seconds = seconds_since(t_train);
    r.train_tokens_per_s = r.train_seconds > 0 ? double(trained_tokens) / r.train_seconds : 0.0;

    ++step_;
    if (options_.sample_every > 0 && (step_ % options_.sample_every == 0 || step_ == 1))
        for (size_t g0 = 0; g0 < rollouts.size(); g0 += static_cast<size_t>(G)) {
            const Rollout& ro = rollouts[g0];  // the first completion of each prompt
            r.samples.push_back({prompts_[ro.prompt].id, ro.text, ro.reward.value, ro.advantage});
        }
    return r;
}

engine::Status GrpoTrainer::restore(int64_t steps_taken, engine::LoraAdapter adapter, AdamWState state) {
    if (steps_taken < 0 || steps_taken > options_.steps)
        return engine::make_error("[grpo] checkpoint step " + std::to_string(steps_taken) +
                                  " is outside this run's " + std::to_string(options_.steps) + " steps");
    if (!same_layout(adapter, adapter_))
        return engine::make_error(
            "[grpo] the checkpoint's adapter does not match this run's LoRA configuration");
    if (auto st = optimizer_.set_state(std::move(state)); !st) return st.error();
    adapter_ = std::move(adapter);
    step_ = steps_taken;
    return {};
}

}  // namespace finetune
