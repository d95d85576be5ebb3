#include "finetune/sft.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>
#include <string>

#include "finetune/rng.h"

namespace finetune {

engine::Result<std::unique_ptr<SftTrainer>> SftTrainer::create(const engine::Model& model,
                                                               std::vector<SftExample> examples,
                                                               engine::LoraAdapter adapter,
                                                               SftOptions options, int n_threads) {
    if (examples.empty()) return engine::make_error("[sft] no training examples");
    if (options.epochs < 1 || options.batch_size < 1)
        return engine::make_error("[sft] epochs and batch_size must be at least 1");
    if (auto st = validate_lora_config(options.lora); !st) return st.error();
    int64_t longest = 0;
    for (size_t i = 0; i < examples.size(); ++i) {
        if (examples[i].targets.empty())
            return engine::make_error("[sft] example " + std::to_string(i) + " has no trained tokens");
        longest = std::max(longest, static_cast<int64_t>(examples[i].tokens.size()));
    }
    const auto n = static_cast<int64_t>(examples.size());
    const int64_t total = (n * options.epochs + options.batch_size - 1) / options.batch_size;
    options.schedule.total_steps = total;
    if (options.schedule.warmup_steps == 0 && options.warmup_ratio > 0.0)
        options.schedule.warmup_steps =
            std::min<int64_t>(total, static_cast<int64_t>(std::ceil(options.warmup_ratio * double(total))));
    if (auto st = options.schedule.validate(); !st) return st.error();
    std::unique_ptr<SftTrainer> t(
        new SftTrainer(model, std::move(examples), std::move(adapter), std::move(options), n_threads));
    t->total_steps_ = total;
    engine::TrainingPassOptions po;
    const int64_t tokens = std::max<int64_t>(longest, 2);
    po.recompute = t->options_.recompute == SftOptions::Recompute::always ||
                   (t->options_.recompute == SftOptions::Recompute::automatic &&
                    engine::should_recompute(model.config(), tokens));
    auto pass = engine::TrainingPass::create(model, tokens, po);
    if (!pass) return pass.error();
    t->pass_ = std::move(*pass);
    return t;
}

SftTrainer::SftTrainer(const engine::Model& model, std::vector<SftExample> examples,
                       engine::LoraAdapter adapter, SftOptions options, int n_threads)
    : model_(model),
      examples_(std::move(examples)),
      adapter_(std::move(adapter)),
      grads_(engine::LoraAdapter::zeros_like(adapter_)),
      options_(std::move(options)),
      optimizer_(options_.adamw),
      pool_(n_threads) {}

size_t SftTrainer::example_at(int64_t i) const {
    const auto n = static_cast<int64_t>(examples_.size());
    const int64_t epoch = i / n, within = i % n;
    if (order_epoch_ != epoch) {
        // A Fisher-Yates permutation of the epoch from its own seeded stream (kept for the epoch's steps).
        order_.resize(examples_.size());
        std::iota(order_.begin(), order_.end(), size_t{0});
        Rng rng(derive_seed(options_.seed, {0x5f7, static_cast<uint64_t>(epoch)}));
        for (size_t k = order_.size(); k > 1; --k) std::swap(order_[k - 1], order_[rng.next_u64() % k]);
        order_epoch_ = epoch;
    }
    return order_[static_cast<size_t>(within)];
}

engine::Result<SftStepReport> SftTrainer::step() {
    if (done()) return engine::make_error("[sft] training already finished");
    const auto t0 = std::chrono::steady_clock::now();
    const auto n = static_cast<int64_t>(examples_.size());
    const int64_t first = step_ * options_.batch_size;
    const int64_t last = std::min(first + options_.batch_size, n * options_.epochs);
    std::vector<size_t> batch;
    for (int64_t i = first; i < last; ++i) batch.push_back(example_at(i));

    // Token-level mean over the whole batch: every trained token weighs the same.
    int64_t trained = 0, seq_tokens = 0;
    for (size_t e : batch) {
        trained += static_cast<int64_t>(examples_[e].targets.size());
        seq_tokens += static_cast<int64_t>(examples_[e].tokens.size());
    }
    grads_.set_zero();
    double nll = 0.0;
    for (size_t k = 0; k < batch.size(); ++k) {
        const SftExample& ex = examples_[batch[k]];
        engine::ForwardOptions fo;
        fo.adapter = &adapter_;
        fo.lora_dropout = options_.lora.dropout;
        fo.dropout_seed = derive_seed(options_.seed, {0xd0, static_cast<uint64_t>(step_), k});
        auto scores = pass_->forward(ex.tokens, ex.targets, fo, pool_);
        if (!scores) return scores.error();
        for (double lp : scores->logprob) nll -= lp;
        std::vector<double> dlp(ex.targets.size(), -1.0 / double(trained));
        if (auto st = pass_->backward(dlp, grads_, pool_); !st) return st.error();
    }
    SftStepReport r;
    r.grad_norm = clip_grad_norm(grads_, options_.max_grad_norm);
    if (!std::isfinite(r.grad_norm))
        return engine::make_error("[sft] the gradient is not finite at step " + std::to_string(step_ + 1) +
                                  " (learning rate too high?); the adapter was left as before this step");
    r.lr = options_.schedule.lr_at(step_);
    if (auto st = optimizer_.step(adapter_, grads_, static_cast<float>(r.lr)); !st) return st.error();
    ++step_;
    r.step = step_;
    r.total_steps = total_steps_;
    r.loss = nll / double(trained);
    r.trained_tokens = trained;
    r.sequence_tokens = seq_tokens;
    r.step_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    r.tokens_per_s = r.step_seconds > 0 ? double(seq_tokens) / r.step_seconds : 0.0;
    return r;
}

engine::Status SftTrainer::restore(int64_t steps_taken, engine::LoraAdapter adapter, AdamWState state) {
    if (steps_taken < 0 || steps_taken > total_steps_)
        return engine::make_error("[sft] checkpoint step " + std::to_string(steps_taken) +
                                  " is outside this run's " + std::to_string(total_steps_) + " steps");
    if (!same_layout(adapter, adapter_))
        return engine::make_error(
            "[sft] the checkpoint's adapter does not match this run's LoRA configuration");
    if (auto st = optimizer_.set_state(std::move(state)); !st) return st.error();
    adapter_ = std::move(adapter);
    step_ = steps_taken;
    return {};
}

engine::Result<double> SftTrainer::evaluate(const std::vector<SftExample>& examples) {
    double nll = 0.0;
    int64_t count = 0;
    for (const SftExample& ex : examples) {
        if (static_cast<int64_t>(ex.tokens.size()) > pass_->max_tokens())
            return engine::make_error("[sft] an evaluation example is longer than the training examples");
        engine::ForwardOptions fo;
        fo.adapter = &adapter_;
        fo.for_backward = false;
        auto scores = pass_->forward(ex.tokens, ex.targets, fo, pool_);
        if (!scores) return scores.error();
        for (double lp : scores->logprob) nll -= lp;
        count += static_cast<int64_t>(scores->logprob.size());
    }
    if (count == 0) return engine::make_error("[sft] nothing to evaluate");
    return nll / double(count);
}

}  // namespace finetune
