// Pieces shared by `crucible-cli sft` and `crucible-cli grpo`: LoRA and
// optimizer options, training data from a JSONL file or a workspace
// selection, and the run folder (run.json, metrics.jsonl, checkpoints, the
// final PEFT adapter) with resume and Ctrl-C handling.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "args.h"
#include "engine/lora.h"
#include "engine/model.h"
#include "finetune/checkpoint.h"
#include "finetune/lora_config.h"
#include "finetune/optimizer.h"
#include "finetune/peft.h"
#include "finetune/schedule.h"

namespace cli {

// --rank, --alpha, --rslora, --lora-dropout, --targets, --lr, --schedule, --warmup,
// --max-grad-norm, --weight-decay, --seed, --threads, --checkpoint-every, --out, --resume.
void declare_training_options(Args& args, double default_lr, const char* default_schedule);
std::optional<finetune::LoraConfig> lora_config_from(const Args& args);
std::optional<finetune::LrSchedule> schedule_from(const Args& args);
std::optional<finetune::AdamWOptions> adamw_from(const Args& args);

// Training records as JSONL lines: from --data FILE, or else from the
// workspace selection exported in `format` ("sft" or "rft"). Each line is
// parsed JSON; `where` strings say "FILE:LINE".
struct DataLine {
    nlohmann::json value;
    std::string where;
};
std::optional<std::vector<DataLine>> read_training_lines(const Args& args, const std::string& command,
                                                         const std::string& export_format);
// Text of an OpenAI message's content: a string, or the text parts of a list.
std::string content_text(const nlohmann::json& content);

// The run folder. Steps are 1-based; checkpoints are "checkpoint-<step>".
class TrainingRun {
public:
    TrainingRun(std::string command, std::string dir) : command_(std::move(command)), dir_(std::move(dir)) {}
    // Creates the folder and writes run.json, or with resume checks that run.json
    // matches `config` (a resumed run must be the same run) and loads the latest checkpoint.
    bool open(const nlohmann::json& config, bool resume, const engine::ModelConfig& model,
              std::optional<finetune::Checkpoint>* resumed);
    bool checkpoint(const finetune::Checkpoint& c);
    void log_step(const nlohmann::json& metrics);  // one metrics.jsonl line
    bool export_adapter(const engine::LoraAdapter& adapter, const finetune::PeftOptions& options);
    const std::string& dir() const { return dir_; }

private:
    std::string command_, dir_;
};

// Ctrl-C asks the loop to stop after the current step (a second Ctrl-C kills).
void install_stop_handler();
bool stop_requested();

// Runs a trainer (finetune::SftTrainer or GrpoTrainer) in its run folder: opens the run (resuming
// from its latest checkpoint when asked), takes steps until done, hands each report to
// `on_step` (which prints its line and returns the metrics.jsonl object), checkpoints every
// `every` steps, at the end and on Ctrl-C (exit code 130), and exports the final adapter.
template <class Trainer, class OnStep>
int drive_training(const std::string& command, Trainer& trainer, TrainingRun& run,
                   const nlohmann::json& config, bool resume, const engine::ModelConfig& model,
                   const finetune::PeftOptions& peft, int64_t every, OnStep&& on_step) {
    std::optional<finetune::Checkpoint> resumed;
    if (!run.open(config, resume, model, &resumed)) return 1;
    if (resumed) {
        if (auto st =
                trainer.restore(resumed->step, std::move(resumed->adapter), std::move(resumed->optimizer));
            !st) {
            std::fprintf(stderr, "crucible-cli %s: %s\n", command.c_str(), st.error().message.c_str());
            return 1;
        }
        std::fprintf(stderr, "resumed at step %lld\n", static_cast<long long>(trainer.steps_taken()));
    }
    auto save = [&] {
        finetune::Checkpoint c;
        c.step = trainer.steps_taken();
        c.adapter = trainer.adapter();
        c.peft = peft;
        c.optimizer = trainer.optimizer().state();
        c.config_json = config.dump();
        return run.checkpoint(c);
    };
    install_stop_handler();
    const auto started = std::chrono::steady_clock::now();
    while (!trainer.done()) {
        auto r = trainer.step();
        if (!r) {
            std::fprintf(stderr, "crucible-cli %s: %s\n", command.c_str(), r.error().message.c_str());
            return 1;
        }
        nlohmann::json metrics = on_step(*r);
        // Wall time of this session of the run (a resumed run starts counting again).
        metrics["elapsed_s"] =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        run.log_step(metrics);
        const bool stop = stop_requested();
        if ((every > 0 && r->step % every == 0) || stop || trainer.done())
            if (!save()) return 1;
        if (stop) {
            std::fprintf(stderr, "stopped at step %lld; continue with --resume\n",
                         static_cast<long long>(r->step));
            return 130;
        }
    }
    return run.export_adapter(trainer.adapter(), peft) ? 0 : 1;
}

}  // namespace cli
