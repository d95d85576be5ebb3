// crucible-cli sft MODEL --out DIR [--data FILE | workspace filters]: LoRA
// supervised fine-tuning on OpenAI chat JSONL ({"messages": [...]}, an
// assistant message's "weight": 0 excludes it) or on the workspace's good
// traces and corrected answers; a progress line per step.
#include <cstdio>

#include "cli_common.h"
#include "engine/json.h"
#include "finetune/peft.h"
#include "finetune/sft.h"
#include "train_common.h"

namespace cli {
namespace {

std::optional<std::vector<finetune::SftMessage>> sft_messages(const DataLine& line) {
    const nlohmann::json& j = line.value;
    if (!j.contains("messages") || !j["messages"].is_array()) {
        std::fprintf(stderr, "%s: skipped: no \"messages\" array\n", line.where.c_str());
        return std::nullopt;
    }
    std::vector<finetune::SftMessage> out;
    for (const auto& m : j["messages"]) {
        if (!m.is_object() || !m.contains("role") || !m["role"].is_string()) {
            std::fprintf(stderr, "%s: skipped: a message without a role\n", line.where.c_str());
            return std::nullopt;
        }
        finetune::SftMessage sm;
        sm.message.role = m["role"].get<std::string>();
        sm.message.content = m.contains("content") ? content_text(m["content"]) : std::string();
        if (m.contains("weight") && m["weight"].is_number()) sm.weight = m["weight"].get<float>();
        out.push_back(std::move(sm));
    }
    return out;
}

}  // namespace

int run_sft(int argc, char** argv) {
    Args args("sft", "MODEL --out DIR [--data FILE] [options]");
    declare_training_options(args, 2e-4, "cosine");
    args.option("epochs", "N", "passes over the data", "1");
    args.option("batch", "N", "conversations per optimizer step", "4");
    args.option("max-seq", "N", "longest conversation in tokens (longer ones are skipped)", "1024");
    int code = 0;
    if (!args.parse(argc, argv, &code)) return code;
    if (args.positional().size() != 1 || !args.has("out")) {
        args.print_help();
        return 2;
    }
    auto lora = lora_config_from(args);
    auto schedule = schedule_from(args);
    auto adamw = adamw_from(args);
    auto epochs = args.get_int("epochs");
    auto batch = args.get_int("batch");
    auto max_seq = args.get_int("max-seq");
    auto every = args.get_int("checkpoint-every");
    if (!lora || !schedule || !adamw || !epochs || !batch || !max_seq || !every) return 2;
    int threads = 0;
    if (args.has("threads")) {
        auto t = args.get_int("threads");
        if (!t) return 2;
        threads = static_cast<int>(*t);
    }

    auto bundle = load_bundle_or_report(args.positional()[0]);
    if (!bundle) return 1;
    auto lines = read_training_lines(args, "sft", "sft");
    if (!lines) return 1;
    std::vector<finetune::SftExample> examples;
    int64_t skipped = 0;
    for (const DataLine& line : *lines) {
        auto messages = sft_messages(line);
        if (!messages) {
            ++skipped;
            continue;
        }
        auto ex = finetune::build_sft_example(*bundle, *messages, *max_seq);
        if (!ex) {
            std::fprintf(stderr, "%s: skipped: %s\n", line.where.c_str(), ex.error().message.c_str());
            ++skipped;
            continue;
        }
        examples.push_back(std::move(*ex));
    }
    std::fprintf(stderr, "%zu conversations to train on, %lld skipped\n", examples.size(),
                 static_cast<long long>(skipped));
    if (examples.empty()) return 1;

    finetune::SftOptions o;
    o.lora = *lora;
    o.schedule = *schedule;
    o.warmup_ratio = 0.0;
    o.epochs = *epochs;
    o.batch_size = *batch;
    o.max_grad_norm = *args.get_double("max-grad-norm");
    o.adamw = *adamw;
    o.seed = lora->seed;
    nlohmann::json config = {
        {"command", "sft"},
        {"model", args.positional()[0]},
        {"data", args.has("data") ? args.get("data") : "workspace"},
        {"examples", examples.size()},
        {"lora", nlohmann::json::parse(engine::json::dump(finetune::lora_config_to_json(o.lora)))},
        {"lr", o.schedule.peak_lr},
        {"schedule", std::string(finetune::lr_schedule_name(o.schedule.kind))},
        {"warmup", o.schedule.warmup_steps},
        {"epochs", o.epochs},
        {"batch", o.batch_size},
        {"max_grad_norm", o.max_grad_norm},
        {"weight_decay", o.adamw.weight_decay}};

    auto adapter = finetune::make_adapter(o.lora, bundle->model().config());
    if (!adapter) {
        std::fprintf(stderr, "crucible-cli sft: %s\n", adapter.error().message.c_str());
        return 1;
    }
    auto trainer =
        finetune::SftTrainer::create(bundle->model(), std::move(examples), std::move(*adapter), o, threads);
    if (!trainer) {
        std::fprintf(stderr, "crucible-cli sft: %s\n", trainer.error().message.c_str());
        return 1;
    }
    TrainingRun run("sft", args.get("out"));
    const finetune::PeftOptions peft = finetune::peft_options(o.lora, bundle->model().summary().name);
    return drive_training(
        "sft", **trainer, run, config, args.has("resume"), bundle->model().config(), peft, *every,
        [&](const finetune::SftStepReport& r) {
            std::fprintf(stderr,
                         "step %lld/%lld  loss %.4f  lr %.2e  grad-norm %.3f  %lld tokens  %.0f tok/s\n",
                         static_cast<long long>(r.step), static_cast<long long>(r.total_steps), r.loss, r.lr,
                         r.grad_norm, static_cast<long long>(r.trained_tokens), r.tokens_per_s);
            return nlohmann::json{{"step", r.step},
                                  {"loss", r.loss},
                                  {"lr", r.lr},
                                  {"grad_norm", r.grad_norm},
                                  {"trained_tokens", r.trained_tokens},
                                  {"tokens_per_s", r.tokens_per_s},
                                  {"seconds", r.step_seconds}};
        });
}

}  // namespace cli
