// crucible-cli grpo MODEL (--reward SPEC | --rubric R) --out DIR [--data FILE | workspace
// filters]: LoRA reinforcement fine-tuning with GRPO on prompts from RFT JSONL
// ({"messages": [...], "reference_answer" or "ground_truth": ...}) or the
// workspace's RFT export, rewarded by programmatic checks (evals/checks.h
// spec grammar, e.g. "max_words:30" or "0.5*json_valid+0.5*exact") and/or a workspace rubric judged
// by a local model, which must first agree with the human labels (calibration gate).
#include <cstdio>
#include <memory>

#include "cli_common.h"
#include "engine/json.h"
#include "evals/checks.h"
#include "evals/judge_prompt.h"
#include "finetune/grpo.h"
#include "finetune/peft.h"
#include "judge_common.h"
#include "train_common.h"

namespace cli {

std::unique_ptr<crucible::Database> open_workspace_or_report(const Args& args);

namespace {

std::optional<finetune::GrpoPrompt> grpo_prompt(const DataLine& line, size_t index) {
    const nlohmann::json& j = line.value;
    if (!j.contains("messages") || !j["messages"].is_array() || j["messages"].empty()) {
        std::fprintf(stderr, "%s: skipped: no \"messages\" array\n", line.where.c_str());
        return std::nullopt;
    }
    finetune::GrpoPrompt p;
    p.id = j.contains("id") && j["id"].is_string() ? j["id"].get<std::string>()
                                                   : "prompt-" + std::to_string(index);
    for (const auto& m : j["messages"]) {
        if (!m.is_object() || !m.contains("role") || !m["role"].is_string()) {
            std::fprintf(stderr, "%s: skipped: a message without a role\n", line.where.c_str());
            return std::nullopt;
        }
        p.messages.push_back(
            text_message(m["role"].get<std::string>(), content_text(m.value("content", nlohmann::json()))));
    }
    if (p.messages.back().role == "assistant") p.messages.pop_back();  // the answer is what is sampled
    for (const char* key : {"reference_answer", "ground_truth"})
        if (j.contains(key)) {
            p.reference = j[key].is_string() ? j[key].get<std::string>() : j[key].dump();
            break;
        }
    return p;
}

// The check as a reward: its score, and for composites each part's score by its spec.
finetune::RewardFunction check_reward(evals::Check check, const engine::Tokenizer& tokenizer) {
    evals::CheckContext context;
    context.count_tokens = [&tokenizer](std::string_view text) -> engine::Result<size_t> {
        return tokenizer.encode(text).size();
    };
    std::vector<std::string> part_names;
    for (const evals::Check& part : check.parts) part_names.push_back(evals::check_to_spec(part));
    return [check = std::move(check), context, part_names](
               const finetune::GrpoPrompt& prompt,
               const std::string& completion) -> engine::Result<finetune::Reward> {
        evals::Sample sample;
        sample.id = prompt.id;
        for (const engine::ChatMessage& m : prompt.messages)
            sample.messages.push_back({m.role, m.content.value_or("")});
        sample.response = completion;
        if (!prompt.reference.empty()) sample.reference = prompt.reference;
        auto result = evals::run_check(check, sample, context);
        if (!result) return result.error();
        finetune::Reward r;
        r.value = result->score;
        for (size_t i = 0; i < result->parts.size() && i < part_names.size(); ++i)
            r.components.emplace_back(part_names[i], result->parts[i].score);
        if (r.components.empty()) r.components.emplace_back(evals::check_to_spec(check), result->score);
        return r;
    };
}

// A rubric judged by a local model as a reward in [0, 1] (evals::verdict_reward); a verdict that
// does not parse scores 0 and is counted in the "rubric_unparsed" component.
finetune::RewardFunction rubric_reward(std::shared_ptr<JudgeSetup> setup) {
    auto cache = std::make_shared<evals::MemoryJudgmentCache>();
    const std::string name = "rubric:" + setup->rubric.name + "@" + std::to_string(setup->rubric.version);
    return [setup, cache, name](const finetune::GrpoPrompt& prompt,
                                const std::string& completion) -> engine::Result<finetune::Reward> {
        evals::Sample sample;
        sample.id = prompt.id;
        for (const engine::ChatMessage& m : prompt.messages)
            sample.messages.push_back({m.role, m.content.value_or("")});
        sample.response = completion;
        if (!prompt.reference.empty()) sample.reference = prompt.reference;
        evals::JudgeConfig config = setup->config;
        config.cache = cache.get();
        auto judged = evals::judge_samples(setup->rubric, std::span<const evals::Sample>(&sample, 1), config,
                                           setup->backend);
        if (!judged) return judged.error();
        const evals::Judgment& j = judged->front();
        finetune::Reward r;
        r.value = j.error.empty() ? evals::verdict_reward(setup->rubric, j.verdict) : 0.0;
        r.components.emplace_back(name, r.value);
        r.components.emplace_back("rubric_unparsed", j.error.empty() ? 0.0 : 1.0);
        return r;
    };
}

// Weighted mean of two rewards, keeping both sets of components.
finetune::RewardFunction combine(finetune::RewardFunction a, double weight_a, finetune::RewardFunction b) {
    return [a, b, weight_a](const finetune::GrpoPrompt& prompt,
                            const std::string& completion) -> engine::Result<finetune::Reward> {
        auto ra = a(prompt, completion);
        if (!ra) return ra.error();
        auto rb = b(prompt, completion);
        if (!rb) return rb.error();
        finetune::Reward r;
        r.value = weight_a * ra->value + (1.0 - weight_a) * rb->value;
        r.components = ra->components;
        r.components.insert(r.components.end(), rb->components.begin(), rb->components.end());
        return r;
    };
}

// Refuses (returns false) when the rubric's judge does not agree with the workspace's human labels
// well enough to be a reward, unless allowed; prints the calibration either way.
bool calibration_gate(const Args& args, JudgeSetup& setup, double min_agreement, bool allow) {
    auto db = open_workspace_or_report(args);
    if (!db) return false;
    crucible::TraceStore traces(*db);
    crucible::RubricStore rubrics(*db);
    crucible::JudgmentStore store(*db);
    auto selected = select_samples(args, traces, /*labelled_only=*/true);
    std::optional<evals::CalibrationReport> report;
    size_t skipped = 0;
    if (selected && !selected->empty())
        report = calibration_report(setup.rubric, *selected, setup, rubrics, store, &skipped);
    if (!report) {
        std::fprintf(stderr, "rubric '%s' v%d: no labelled traces to calibrate it against%s\n",
                     setup.rubric.name.c_str(), setup.rubric.version,
                     allow ? " (--allow-uncalibrated: training anyway)" : "");
        if (!allow)
            std::fprintf(
                stderr,
                "crucible-cli grpo: label some traces (crucible-cli traces label) so the judge's agreement "
                "can be checked, or pass --allow-uncalibrated\n");
        return allow;
    }
    evals::AgreementRequirement req = evals::default_agreement_requirement(setup.rubric);
    req.minimum = min_agreement;
    auto ok = evals::check_agreement(*report, req);
    std::fprintf(stderr, "rubric '%s' v%d vs human labels: agreement %.2f, kappa %.2f on %zu traces\n",
                 setup.rubric.name.c_str(), setup.rubric.version, report->agreement, report->kappa,
                 report->n);
    if (ok) return true;
    std::fprintf(stderr, "%s%s\n", allow ? "warning: " : "crucible-cli grpo: ", ok.error().message.c_str());
    return allow;
}

}  // namespace

int run_grpo(int argc, char** argv) {
    Args args("grpo", "MODEL --reward SPEC --out DIR [--data FILE] [options]");
    args.option("reward", "SPEC", "programmatic reward, e.g. max_words:30 or 0.5*json_valid+0.5*exact");
    args.option("rubric", "NAME[@V]", "a workspace rubric judged by --judge-model as (part of) the reward");
    args.option("judge-model", "MODEL", "the judge for --rubric", "default");
    args.option("rubric-weight", "W", "share of the rubric when --reward is given too", "0.5");
    args.option("min-agreement", "X",
                "refuse a rubric whose judge agrees with human labels less (kappa/Spearman)", "0.6");
    args.flag("allow-uncalibrated", "train with a rubric below --min-agreement (or with no labels to check)");
    declare_training_options(args, 5e-5, "constant");
    args.option("steps", "N", "optimizer steps", "50");
    args.option("prompts-per-step", "N", "prompts per step", "2");
    args.option("group-size", "G", "completions per prompt", "8");
    args.option("max-completion", "N", "longest completion in tokens", "128");
    args.option("temperature", "T", "sampling temperature", "1.0");
    args.option("top-p", "P", "nucleus sampling", "1.0");
    args.option("epsilon-low", "E", "lower clip of the ratio", "0.2");
    args.option("epsilon-high", "E", "upper clip of the ratio (DAPO clip-higher)", "0.28");
    args.option("beta", "B", "KL weight against the base model (0 = no KL)", "0");
    args.option("scale-rewards", "group|batch|none", "std used to scale advantages", "group");
    args.flag("mask-truncated", "completions cut at --max-completion carry no loss");
    args.option("iterations", "N", "updates per batch of rollouts (mu)", "1");
    args.option("sample-every", "N", "print sample completions every N steps", "10");
    int code = 0;
    if (!args.parse(argc, argv, &code)) return code;
    if (args.positional().size() != 1 || !args.has("out") || (!args.has("reward") && !args.has("rubric"))) {
        args.print_help();
        return 2;
    }
    std::optional<evals::Check> check;
    if (args.has("reward")) {
        auto parsed = evals::parse_check_spec(args.get("reward"));
        if (!parsed) {
            std::fprintf(stderr, "crucible-cli grpo: --reward: %s\n", parsed.error().message.c_str());
            return 2;
        }
        check = std::move(*parsed);
    }
    auto rubric_weight = args.get_double("rubric-weight");
    auto min_agreement = args.get_double("min-agreement");
    if (!rubric_weight || !min_agreement) return 2;
    auto lora = lora_config_from(args);
    auto schedule = schedule_from(args);
    auto adamw = adamw_from(args);
    auto every = args.get_int("checkpoint-every");
    finetune::GrpoOptions o;
    {
        auto steps = args.get_int("steps"), pps = args.get_int("prompts-per-step"),
             g = args.get_int("group-size"), maxc = args.get_int("max-completion"),
             iters = args.get_int("iterations"), sample = args.get_int("sample-every");
        auto temp = args.get_double("temperature"), top_p = args.get_double("top-p"),
             el = args.get_double("epsilon-low"), eh = args.get_double("epsilon-high"),
             beta = args.get_double("beta"), clip = args.get_double("max-grad-norm");
        if (!lora || !schedule || !adamw || !every || !steps || !pps || !g || !maxc || !iters || !sample ||
            !temp || !top_p || !el || !eh || !beta || !clip)
            return 2;
        const std::string scaling = args.get("scale-rewards");
        if (scaling != "group" && scaling != "batch" && scaling != "none") {
            std::fprintf(stderr, "crucible-cli grpo: --scale-rewards must be group, batch or none\n");
            return 2;
        }
        o.lora = *lora;
        o.schedule = *schedule;
        o.adamw = *adamw;
        o.steps = *steps;
        o.prompts_per_step = *pps;
        o.group_size = *g;
        o.max_completion_tokens = *maxc;
        o.num_iterations = *iters;
        o.sample_every = *sample;
        o.temperature = static_cast<float>(*temp);
        o.top_p = static_cast<float>(*top_p);
        o.epsilon_low = *el;
        o.epsilon_high = *eh;
        o.beta = *beta;
        o.max_grad_norm = *clip;
        o.scaling = scaling == "group"   ? finetune::RewardScaling::group
                    : scaling == "batch" ? finetune::RewardScaling::batch
                                         : finetune::RewardScaling::none;
        o.mask_truncated = args.has("mask-truncated");
        o.seed = lora->seed;
        if (args.has("threads")) {
            auto t = args.get_int("threads");
            if (!t) return 2;
            o.n_threads = static_cast<int>(*t);
        }
    }

    auto bundle = load_bundle_or_report(args.positional()[0]);
    if (!bundle) return 1;
    auto lines = read_training_lines(args, "grpo", "rft");
    if (!lines) return 1;
    std::vector<finetune::GrpoPrompt> prompts;
    for (size_t i = 0; i < lines->size(); ++i)
        if (auto p = grpo_prompt((*lines)[i], i)) prompts.push_back(std::move(*p));
    std::fprintf(stderr, "%zu prompts, %zu skipped\n", prompts.size(), lines->size() - prompts.size());
    if (prompts.empty()) return 1;

    nlohmann::json config = {
        {"command", "grpo"},
        {"model", args.positional()[0]},
        {"data", args.has("data") ? args.get("data") : "workspace"},
        {"prompts", prompts.size()},
        {"reward", check ? evals::check_to_spec(*check) : ""},
        {"rubric", args.get("rubric")},
        {"judge_model", args.has("rubric") ? args.get("judge-model") : ""},
        {"rubric_weight", args.has("rubric") && check ? *rubric_weight : (args.has("rubric") ? 1.0 : 0.0)},
        {"lora", nlohmann::json::parse(engine::json::dump(finetune::lora_config_to_json(o.lora)))},
        {"lr", o.schedule.peak_lr},
        {"schedule", std::string(finetune::lr_schedule_name(o.schedule.kind))},
        {"warmup", o.schedule.warmup_steps},
        {"steps", o.steps},
        {"prompts_per_step", o.prompts_per_step},
        {"group_size", o.group_size},
        {"max_completion", o.max_completion_tokens},
        {"temperature", o.temperature},
        {"top_p", o.top_p},
        {"epsilon_low", o.epsilon_low},
        {"epsilon_high", o.epsilon_high},
        {"beta", o.beta},
        {"scale_rewards", args.get("scale-rewards")},
        {"mask_truncated", o.mask_truncated},
        {"iterations", o.num_iterations},
        {"max_grad_norm", o.max_grad_norm},
        {"weight_decay", o.adamw.weight_decay}};

    auto adapter = finetune::make_adapter(o.lora, bundle->model().config());
    if (!adapter) {
        std::fprintf(stderr, "crucible-cli grpo: %s\n", adapter.error().message.c_str());
        return 1;
    }
    finetune::RewardFunction reward;
    if (check) reward = check_reward(std::move(*check), bundle->tokenizer());
    if (args.has("rubric")) {
        auto db = open_workspace_or_report(args);
        if (!db) return 1;
        crucible::RubricStore rubrics(*db);
        evals::EngineJudgeOptions jo;
        jo.max_tokens = 256;
        jo.n_threads = o.n_threads;
        auto setup = judge_setup_from(args.get("rubric"), args.get("judge-model"), jo, 8, rubrics);
        if (!setup) return 1;
        auto shared = std::make_shared<JudgeSetup>(std::move(*setup));
        if (!args.has("resume") &&
            !calibration_gate(args, *shared, *min_agreement, args.has("allow-uncalibrated")))
            return 1;
        auto judged = rubric_reward(shared);
        reward = reward ? combine(judged, *rubric_weight, reward) : judged;
    }
    auto trainer = finetune::GrpoTrainer::create(*bundle, std::move(prompts), reward, std::move(*adapter), o);
    if (!trainer) {
        std::fprintf(stderr, "crucible-cli grpo: %s\n", trainer.error().message.c_str());
        return 1;
    }
    TrainingRun run("grpo", args.get("out"));
    const finetune::PeftOptions peft = finetune::peft_options(o.lora, bundle->model().summary().name);
    return drive_training(
        "grpo", **trainer, run, config, args.has("resume"), bundle->model().config(), peft, *every,
        [&](const finetune::GrpoStepReport& r) {
            if (r.groups_used == 0)
                std::fprintf(stderr,
                             "step %lld/%lld  reward %.3f +- %.3f  len %.1f  no group with reward variance: "
                             "no update\n",
                             static_cast<long long>(r.step), static_cast<long long>(r.total_steps),
                             r.reward_mean, r.reward_std, r.completion_length);
            else
                std::fprintf(
                    stderr,
                    "step %lld/%lld  reward %.3f +- %.3f  kl %.4f  clip %.3f  entropy %.2f  len %.1f  "
                    "lp-diff %.1e  lr %.2e  grad-norm %.3f  groups %lld/%lld  sample %.0f tok/s  train "
                    "%.0f tok/s\n",
                    static_cast<long long>(r.step), static_cast<long long>(r.total_steps), r.reward_mean,
                    r.reward_std, r.kl, r.clip_fraction, r.entropy, r.completion_length, r.max_logprob_diff,
                    r.lr, r.grad_norm, static_cast<long long>(r.groups_used),
                    static_cast<long long>(r.groups_used + r.groups_dropped), r.sample_tokens_per_s,
                    r.train_tokens_per_s);
            nlohmann::json components = nlohmann::json::object();
            for (const auto& [name, value] : r.component_means) components[name] = value;
            nlohmann::json samples = nlohmann::json::array();
            for (const finetune::GrpoSample& s : r.samples) {
                samples.push_back(
                    {{"prompt", s.prompt_id}, {"completion", s.completion}, {"reward", s.reward}});
                std::fprintf(stderr, "  sample [%s] reward %.3f: %s\n", s.prompt_id.c_str(), s.reward,
                             s.completion.c_str());
            }
            return nlohmann::json{{"step", r.step},
                                  {"reward_mean", r.reward_mean},
                                  {"reward_std", r.reward_std},
                                  {"reward_components", components},
                                  {"kl", r.kl},
                                  {"clip_fraction", r.clip_fraction},
                                  {"entropy", r.entropy},
                                  {"completion_length", r.completion_length},
                                  {"truncated_fraction", r.truncated_fraction},
                                  {"max_logprob_diff", r.max_logprob_diff},
                                  {"lr", r.lr},
                                  {"grad_norm", r.grad_norm},
                                  {"groups_used", r.groups_used},
                                  {"groups_dropped", r.groups_dropped},
                                  {"sample_seconds", r.sample_seconds},
                                  {"train_seconds", r.train_seconds},
                                  {"sample_tokens_per_s", r.sample_tokens_per_s},
                                  {"train_tokens_per_s", r.train_tokens_per_s},
                                  {"samples", samples}};
        });
}

}  // namespace cli
