// GRPO (group relative policy optimisation) of a LoRA adapter.
//
// Each step takes `prompts_per_step` prompts, samples `group_size`
// completions of each with the engine's Generator (the adapter applied), scores
// them with a pluggable reward function, and turns rewards into advantages
// relative to the group: A = (r - mean) / (std + 1e-4) (or r - mean without
// std scaling). Groups whose rewards are all equal carry no signal and are
// dropped. The loss per completion token is the clipped surrogate with separate
// low/high epsilons (DAPO's clip-higher), optionally plus beta times the k3 KL
// estimate against the base model (the adapter switched off), normalised over
// all completion tokens of the step (token-level, as TRL's "dapo" loss).
//
// Log-probabilities are the raw model's (temperature 1), in sampling and in
// training alike; the training pass reproduces the sampler's numbers exactly,
// so the importance ratio of the first iteration is exactly 1 and the step
// report's max_logprob_diff is 0 (anything else would be a bug worth seeing).
//
// Like SftTrainer this is a step function; the random streams of step s depend
// only on (seed, s), so restoring (step, adapter, optimizer) resumes exactly.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "engine/chat_template.h"
#include "engine/generator.h"
#include "engine/lora.h"
#include "engine/model_bundle.h"
#include "engine/result.h"
#include "engine/train.h"
#include "finetune/lora_config.h"
#include "finetune/optimizer.h"
#include "finetune/schedule.h"

namespace finetune {

struct GrpoPrompt {
    std::string id;
    std::vector<engine::ChatMessage> messages;  // the conversation to complete (ends with a user turn)
    std::string reference;                      // ground truth for rewards that compare (may be empty)
};

struct Reward {
    double value = 0.0;                                      // the scalar the advantages use
    std::vector<std::pair<std::string, double>> components;  // named parts, reported per step
};

// Scores one completion of a prompt. Errors stop the step with their message.
using RewardFunction =
    std::function<engine::Result<Reward>(const GrpoPrompt& prompt, const std::string& completion)>;

enum class RewardScaling { group, batch, none };  // std used to scale advantages ("none" = Dr. GRPO)

struct GrpoOptions {
    LoraConfig lora;
    LrSchedule schedule{LrScheduleKind::constant, 5e-5, 0, 1, 0.0};  // total_steps = steps (set by create)
    int64_t steps = 50;
    int64_t prompts_per_step = 2;
    int64_t group_size = 8;  // completions per prompt (G)
    int64_t max_completion_tokens = 128;
    float temperature = 1.0f;
    float top_p = 1.0f;
    double epsilon_low = 0.2;
    double epsilon_high = 0.28;
    double beta = 0.0;  // KL weight; > 0 runs the base model once more per completion
    RewardScaling scaling = RewardScaling::group;
    bool mask_truncated = false;  // completions that hit max_completion_tokens carry no loss
    int64_t num_iterations = 1;   // optimizer updates per batch of rollouts (mu)
    double max_grad_norm = 1.0;
    AdamWOptions adamw;
    uint64_t seed = 0;
    int64_t sample_every = 10;  // include sample completions in every Nth step's report (0 = never)
    int n_threads = 0;          // 0 = all hardware threads
};

struct GrpoSample {
    std::string prompt_id;
    std::string completion;
    double reward = 0.0;
    double advantage = 0.0;
};

struct GrpoStepReport {
    int64_t step = 0;  // 1-based
    int64_t total_steps = 0;
    double reward_mean = 0.0;
    double reward_std = 0.0;
    std::vector<std::pair<std::string, double>> component_means;
    // Measured on the tokens trained this step; NaN when no group had reward variance (no update).
    double kl = 0.0;             // mean k3 estimate per completion token (computed when beta > 0)
    double clip_fraction = 0.0;  // share of tokens whose ratio was clipped
    double entropy = 0.0;        // mean per completion token, nats
    double completion_length = 0.0;
    double truncated_fraction = 0.0;
    double max_logprob_diff = 0.0;  // max |training - sampling| log-prob over the step's tokens
    double lr = 0.0;
    double grad_norm = 0.0;  // before clipping (last iteration)
    int64_t groups_used = 0;
    int64_t groups_dropped = 0;  // zero reward variance
    double sample_seconds = 0.0;
    double train_seconds = 0.0;
    double sample_tokens_per_s = 0.0;
    double train_tokens_per_s = 0.0;  // prompt + completion tokens through forward and backward
    std::vector<GrpoSample> samples;
};

class GrpoTrainer {
public:
    static engine::Result<std::unique_ptr<GrpoTrainer>> create(const engine::ModelBundle& bundle,
                                                               std::vector<GrpoPrompt> prompts,
                                                               RewardFunction reward,
                                                               engine::LoraAdapter adapter,
                                                               GrpoOptions options);
    ~GrpoTrainer();

    engine::Result<GrpoStepReport> step();
    bool done() const { return step_ >= options_.steps; }
    int64_t steps_taken() const { return step_; }
    const engine::LoraAdapter& adapter() const { return adapter_; }
    const AdamW& optimizer() const { return optimizer_; }
    const GrpoOptions& options() const { return options_; }
    engine::Status restore(int64_t steps_taken, engine::LoraAdapter adapter, AdamWState state);

private:
    struct Rollout;
    GrpoTrainer(const engine::ModelBundle& bundle, std::vector<GrpoPrompt> prompts, RewardFunction reward,
                engine::LoraAdapter adapter, GrpoOptions options);
    size_t prompt_at(int64_t i) const;

    const engine::ModelBundle& bundle_;
    std::vector<GrpoPrompt> prompts_;
    std::vector<std::vector<int32_t>> prompt_tokens_;  // rendered with the generation prompt
    RewardFunction reward_;
    engine::LoraAdapter adapter_;
    engine::LoraAdapter grads_;
    GrpoOptions options_;
    AdamW optimizer_;
    std::unique_ptr<engine::Generator> generator_;
    std::unique_ptr<engine::TrainingPass> pass_;
    int64_t step_ = 0;
};

}  // namespace finetune
