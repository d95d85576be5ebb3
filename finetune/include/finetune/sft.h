// Supervised fine-tuning of a LoRA adapter: next-token cross-entropy on the
// assistant tokens of good traces and corrected answers (see sft_data.h).
//
// The trainer is a step function: each step() is one optimizer update over a
// batch of examples (gradient accumulation, one sequence at a time), so a
// driver (the CLI, the studio's service) owns the loop, progress, cancel and
// checkpoints. The data order is a seeded permutation per epoch and the
// batch of step s is fixed by s alone, so restoring (step, adapter, optimizer
// state) resumes exactly where a run stopped.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "engine/lora.h"
#include "engine/model.h"
#include "engine/result.h"
#include "engine/thread_pool.h"
#include "engine/train.h"
#include "finetune/lora_config.h"
#include "finetune/optimizer.h"
#include "finetune/schedule.h"
#include "finetune/sft_data.h"

namespace finetune {

struct SftOptions {
    LoraConfig lora;
    LrSchedule schedule{LrScheduleKind::cosine, 2e-4, 0, 1, 0.0};  // total_steps is filled in by create()
    double warmup_ratio = 0.03;  // warmup steps = ceil(ratio * total) unless schedule.warmup_steps > 0
    int64_t epochs = 1;
    int64_t batch_size = 4;      // sequences per optimizer update
    double max_grad_norm = 1.0;  // <= 0: no clipping
    AdamWOptions adamw;
    uint64_t seed = 0;  // data order and dropout masks
    // Activation recomputation in the backward pass: always, never, or (automatic) only
    // when the full activation tapes of the longest example would exceed 1 GiB.
    enum class Recompute { automatic, always, never };
    Recompute recompute = Recompute::automatic;
};

struct SftStepReport {
    int64_t step = 0;  // 1-based index of the update just taken
    int64_t total_steps = 0;
    double loss = 0.0;  // mean negative log-likelihood per trained token
    double lr = 0.0;
    double grad_norm = 0.0;  // before clipping
    int64_t trained_tokens = 0;
    int64_t sequence_tokens = 0;
    double tokens_per_s = 0.0;  // sequence tokens (forward + backward) per second
    double step_seconds = 0.0;
};

class SftTrainer {
public:
    // examples: non-empty; adapter: the starting adapter (make_adapter()).
    static engine::Result<std::unique_ptr<SftTrainer>> create(const engine::Model& model,
                                                              std::vector<SftExample> examples,
                                                              engine::LoraAdapter adapter, SftOptions options,
                                                              int n_threads);

    engine::Result<SftStepReport> step();
    bool done() const { return step_ >= total_steps_; }

    int64_t steps_taken() const { return step_; }
    int64_t total_steps() const { return total_steps_; }
    const engine::LoraAdapter& adapter() const { return adapter_; }
    const AdamW& optimizer() const { return optimizer_; }
    const SftOptions& options() const { return options_; }
    // Resumes from a checkpoint: the adapter and optimizer state after `steps_taken` updates.
    engine::Status restore(int64_t steps_taken, engine::LoraAdapter adapter, AdamWState state);
    // Mean NLL per trained token over `examples` with the current adapter (no update).
    engine::Result<double> evaluate(const std::vector<SftExample>& examples);

private:
    SftTrainer(const engine::Model& model, std::vector<SftExample> examples, engine::LoraAdapter adapter,
               SftOptions options, int n_threads);
    // Example index at global position i of the epoch-major data stream.
    size_t example_at(int64_t i) const;

    const engine::Model& model_;
    std::vector<SftExample> examples_;
    engine::LoraAdapter adapter_;
    engine::LoraAdapter grads_;
    SftOptions options_;
    AdamW optimizer_;
    engine::ThreadPool pool_;
    std::unique_ptr<engine::TrainingPass> pass_;
    int64_t step_ = 0;
    int64_t total_steps_ = 0;
    mutable std::vector<size_t> order_;  // the data order of epoch order_epoch_
    mutable int64_t order_epoch_ = -1;
};

}  // namespace finetune
