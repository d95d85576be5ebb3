#include "eval_runner.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <set>

#include "cli_common.h"
#include "engine/model_bundle.h"
#include "evals/judge_prompt.h"
#include "evals/pairwise.h"
#include "evals/summary.h"
#include "finetune/adapter_io.h"
#include "judge_common.h"
#include "model_path.h"

namespace cli {

namespace {

engine::Error eval_error(const std::string& message) { return engine::make_error("[eval] " + message); }

std::string trim(const std::string& s) {
    const size_t begin = s.find_first_not_of(" \t");
    if (begin == std::string::npos) return "";
    return s.substr(begin, s.find_last_not_of(" \t") - begin + 1);
}

std::string default_label(const EvalModelSpec& spec) {
    if (!spec.adapter.empty()) {
        std::filesystem::path p(spec.adapter);
        while (!p.empty() && p.filename().empty()) p = p.parent_path();  // "dir/" -> "dir"
        return p.stem().string();
    }
    if (spec.model == "default") return "default";
    return std::filesystem::path(spec.model).stem().string();
}

nlohmann::json estimate_json(const evals::Estimate& e) {
    auto number = [](double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); };
    return {{"value", number(e.value)}, {"lower", number(e.lower)}, {"upper", number(e.upper)}};
}

// The mean of 0/1 indicators with its bootstrap interval, as JSON.
engine::Result<nlohmann::json> rate_json(const std::vector<double>& indicators,
                                         const evals::BootstrapOptions& options) {
    auto estimate = evals::bootstrap_mean(indicators, options);
    if (!estimate.ok()) return estimate.error();
    return estimate_json(*estimate);
}

// Loaded model files, shared by the specs that name the same file.
class BundleCache {
public:
    engine::Result<engine::ModelBundle*> get(const std::string& spec) {
        const std::string path = resolve_model_path(spec);
        auto it = bundles_.find(path);
        if (it != bundles_.end()) return it->second.get();
        auto bundle = engine::ModelBundle::load(path);
        if (!bundle.ok()) return eval_error("cannot load model '" + spec + "': " + bundle.error().message);
        engine::ModelBundle* raw = bundle->get();
        bundles_.emplace(path, std::move(*bundle));
        return raw;
    }

private:
    std::map<std::string, std::unique_ptr<engine::ModelBundle>> bundles_;
};

// responses[i]: the model's answer to items[i].
engine::Result<std::vector<std::string>> generate_responses(const std::vector<EvalItem>& items,
                                                            const EvalModelSpec& spec, BundleCache& bundles,
                                                            const EvalOptions& options) {
    auto bundle = bundles.get(spec.model);
    if (!bundle.ok()) return bundle.error();
    const engine::ModelBundle& b = **bundle;
    std::optional<engine::LoraAdapter> adapter;
    if (!spec.adapter.empty()) {
        auto loaded = finetune::read_adapter(spec.adapter, b.model().config());
        if (!loaded.ok()) return eval_error("model '" + spec.label + "': adapter: " + loaded.error().message);
        adapter = std::move(loaded->adapter);
    }
    auto generator = engine::Generator::create(b.model(), b.tokenizer(), options.generator);
    if (!generator.ok()) return eval_error("model '" + spec.label + "': " + generator.error().message);
    if (adapter) (*generator)->set_adapter(&*adapter);
    std::vector<std::string> out;
    out.reserve(items.size());
    if (!options.quiet)
        std::fprintf(stderr, "generating %zu responses with %s\n", items.size(), spec.label.c_str());
    for (size_t i = 0; i < items.size(); ++i) {
        std::vector<engine::ChatMessage> messages;
        for (const evals::Message& m : items[i].prompt) messages.push_back(text_message(m.role, m.content));
        auto prompt = b.encode_chat(messages, /*add_generation_prompt=*/true);
        if (!prompt.ok())
            return eval_error("model '" + spec.label + "', trace " + std::to_string(items[i].trace_id) +
                              ": " + prompt.error().message);
        auto result = (*generator)->generate(*prompt, options.generation);
        if (!result.ok())
            return eval_error("model '" + spec.label + "', trace " + std::to_string(items[i].trace_id) +
                              ": " + result.error().message);
        out.push_back(std::move(result->text));
    }
    return out;
}

evals::Sample sample_of(const EvalItem& item, const std::string& response) {
    evals::Sample s;
    s.id = std::to_string(item.trace_id);
    s.messages = item.prompt;
    s.response = response;
    s.reference = item.reference;
    return s;
}

struct Judging {
    const evals::JudgeConfig& config;
    const evals::JudgeBackend& backend;
    const EvalOptions& options;
    EvalOutcome& outcome;
};

// One rubric (not pairwise) over one model's responses: result rows and the summary entry.
engine::Status judge_model(const evals::Rubric& rubric, const EvalModelSpec& model,
                           const std::vector<EvalItem>& items, const std::vector<std::string>& responses,
                           Judging& j) {
    std::vector<evals::Sample> samples;
    for (size_t i = 0; i < items.size(); ++i) samples.push_back(sample_of(items[i], responses[i]));
    if (!j.options.quiet)
        std::fprintf(stderr, "judging %s with %s@%d\n", model.label.c_str(), rubric.name.c_str(),
                     rubric.version);
    auto judgments = evals::judge_samples(rubric, samples, j.config, j.backend);
    if (!judgments.ok()) return eval_error(judgments.error().message);
    for (size_t i = 0; i < judgments->size(); ++i) {
        const evals::Judgment& g = (*judgments)[i];
        crucible::EvalResult r;
        r.traceId = items[i].trace_id;
        r.modelLabel = model.label;
        r.response = responses[i];
        r.rubricName = rubric.name;
        r.rubricVersion = rubric.version;
        if (g.error.empty()) {
            r.score = g.verdict.score;
            r.rationale = g.verdict.rationale;
        } else {
            r.error = g.error;
        }
        j.outcome.results.push_back(std::move(r));
        ++j.outcome.judgments;
        j.outcome.cached += g.from_cache ? 1 : 0;
    }
    nlohmann::json entry = {{"model", model.label},
                            {"rubric", rubric.name},
                            {"rubric_version", rubric.version},
                            {"scale", std::string(evals::scale_name(rubric.scale))}};
    auto summary = evals::summarize_judgments(rubric, *judgments, j.options.bootstrap);
    if (summary.ok()) {
        entry["n"] = summary->n;
        entry["parse_failures"] = summary->invalid;
        entry["mean_score"] = estimate_json(summary->mean_score);
        entry["mean_reward"] = estimate_json(summary->mean_reward);
    } else {  // no verdict at all: nothing to average
        entry["n"] = 0;
        entry["parse_failures"] = judgments->size();
        entry["mean_score"] = nullptr;
        entry["mean_reward"] = nullptr;
    }
    j.outcome.summary["scores"].push_back(std::move(entry));
    return {};
}

double outcome_score(evals::Preference p) {
    return p == evals::Preference::a ? 1.0 : p == evals::Preference::b ? 0.0 : 0.5;
}

// A pairwise rubric over models a and b (a shown first in the original order).
engine::Status judge_pair(const evals::Rubric& rubric, const EvalModelSpec& a, const EvalModelSpec& b,
                          const std::vector<EvalItem>& items, const std::vector<std::string>& responses_a,
                          const std::vector<std::string>& responses_b, Judging& j) {
    std::vector<evals::PairInput> pairs;
    for (size_t i = 0; i < items.size(); ++i)
        pairs.push_back({sample_of(items[i], ""), responses_a[i], responses_b[i]});
    if (!j.options.quiet)
        std::fprintf(stderr, "judging %s vs %s with %s@%d (positions swapped)\n", a.label.c_str(),
                     b.label.c_str(), rubric.name.c_str(), rubric.version);
    auto judged = evals::judge_pairs(rubric, pairs, j.config, j.backend);
    if (!judged.ok()) return eval_error(judged.error().message);
    std::vector<double> wins, ties, losses;
    size_t failures = 0;
    for (size_t i = 0; i < judged->size(); ++i) {
        const evals::PairwiseJudgment& p = (*judged)[i];
        j.outcome.judgments += 2;
        j.outcome.cached += (p.original.from_cache ? 1 : 0) + (p.swapped.from_cache ? 1 : 0);
        std::string rationale, error;
        if (p.valid) {
            rationale =
                "A first: " + p.original.verdict.rationale + " | B first: " + p.swapped.verdict.rationale;
            wins.push_back(p.outcome == evals::Preference::a ? 1.0 : 0.0);
            ties.push_back(p.outcome == evals::Preference::tie ? 1.0 : 0.0);
            losses.push_back(p.outcome == evals::Preference::b ? 1.0 : 0.0);
        } else {
            ++failures;
            error = !p.original.error.empty() ? p.original.error : p.swapped.error;
        }
        // One row from each side, so each model's own response sits in its own row.
        for (int side = 0; side < 2; ++side) {
            crucible::EvalResult r;
            r.traceId = items[i].trace_id;
            r.modelLabel = side == 0 ? a.label : b.label;
            r.opponentLabel = side == 0 ? b.label : a.label;
            r.response = side == 0 ? responses_a[i] : responses_b[i];
            r.rubricName = rubric.name;
            r.rubricVersion = rubric.version;
            if (p.valid) {
                const double s = outcome_score(p.outcome);
                r.score = side == 0 ? s : 1.0 - s;
            }
            r.rationale = rationale;
            r.error = error;
            j.outcome.results.push_back(std::move(r));
        }
    }
    nlohmann::json entry = {{"rubric", rubric.name}, {"rubric_version", rubric.version},
                            {"model_a", a.label},    {"model_b", b.label},
                            {"n", wins.size()},      {"parse_failures", failures}};
    const auto verdicts = evals::swapped_verdicts(*judged);
    auto summary = evals::summarize_pairwise(verdicts, j.options.bootstrap);
    if (summary.ok()) {
        entry["wins_a"] = summary->wins_a;
        entry["wins_b"] = summary->wins_b;
        entry["ties"] = summary->ties;
        entry["inconsistent"] = summary->inconsistent;
        entry["position_biased"] = summary->position_biased;
        entry["first_position_favored"] = summary->first_position_favored;
        entry["position_bias_rate"] = summary->position_bias_rate;
        entry["score_a"] = estimate_json(summary->win_rate_a);  // (wins + ties / 2) / n
        using Rate = std::pair<const char*, const std::vector<double>*>;
        for (const Rate& rate_of :
             {Rate{"win_rate", &wins}, Rate{"tie_rate", &ties}, Rate{"loss_rate", &losses}}) {
            const auto& [name, values] = rate_of;
            auto rate = rate_json(*values, j.options.bootstrap);
            if (!rate.ok()) return rate.error();
            entry[name] = std::move(*rate);
        }
    } else {  // no pair with two verdicts
        for (const char* key :
             {"wins_a", "wins_b", "ties", "inconsistent", "position_biased", "first_position_favored"})
            entry[key] = 0;
        for (const char* key : {"position_bias_rate", "score_a", "win_rate", "tie_rate", "loss_rate"})
            entry[key] = nullptr;
    }
    j.outcome.summary["pairwise"].push_back(std::move(entry));
    return {};
}

}  // namespace

engine::Result<std::vector<EvalModelSpec>> parse_model_specs(const std::string& list) {
    std::vector<EvalModelSpec> out;
    std::vector<bool> explicit_label;
    size_t start = 0;
    while (start <= list.size()) {
        size_t comma = list.find(',', start);
        if (comma == std::string::npos) comma = list.size();
        std::string item = trim(list.substr(start, comma - start));
        start = comma + 1;
        if (item.empty()) return eval_error("--models: empty entry in '" + list + "'");
        EvalModelSpec spec;
        // LABEL=SPEC, unless the '=' is part of a path.
        const size_t eq = item.find('=');
        const bool labelled = eq != std::string::npos && item.find('/') > eq;
        if (labelled) {
            spec.label = trim(item.substr(0, eq));
            item = trim(item.substr(eq + 1));
            if (spec.label.empty()) return eval_error("--models: empty label in '" + list + "'");
        }
        const size_t plus = item.find('+');
        spec.model = trim(item.substr(0, plus));
        if (plus != std::string::npos) {
            spec.adapter = trim(item.substr(plus + 1));
            if (spec.adapter.empty())
                return eval_error("--models: '" + item + "' names no adapter after '+'");
        }
        if (spec.model.empty()) return eval_error("--models: '" + item + "' names no model");
        if (!labelled) spec.label = default_label(spec);
        out.push_back(std::move(spec));
        explicit_label.push_back(labelled);
    }
    std::set<std::string> taken;
    for (size_t i = 0; i < out.size(); ++i) {
        if (!explicit_label[i]) continue;
        if (!taken.insert(out[i].label).second)
            return eval_error("--models: label '" + out[i].label + "' is used twice");
    }
    for (size_t i = 0; i < out.size(); ++i) {
        if (explicit_label[i]) continue;
        std::string label = out[i].label;
        for (int n = 2; taken.count(label) != 0; ++n) label = out[i].label + "-" + std::to_string(n);
        out[i].label = label;
        taken.insert(label);
    }
    return out;
}

engine::Result<EvalItem> eval_item_from_trace(const crucible::StoredTrace& stored) {
    const crucible::Trace& trace = stored.trace;
    size_t end = trace.messages.size();
    if (end > 0 && trace.messages.back().role == "assistant") --end;
    if (end == 0)
        return eval_error("trace " + std::to_string(stored.id) + " has no message before its final answer");
    EvalItem item;
    item.trace_id = stored.id;
    for (size_t i = 0; i < end; ++i)
        item.prompt.push_back({trace.messages[i].role, trace.messages[i].content});
    if (trace.groundTruth.is_string())
        item.reference = trace.groundTruth.get<std::string>();
    else if (!trace.groundTruth.is_null())
        item.reference = trace.groundTruth.dump();
    return item;
}

engine::Result<EvalOutcome> run_eval(const std::vector<EvalItem>& items,
                                     const std::vector<EvalModelSpec>& models,
                                     const std::vector<evals::Rubric>& rubrics, const EvalOptions& options,
                                     evals::JudgmentCache* cache) {
    if (items.empty()) return eval_error("no traces to evaluate");
    if (models.empty()) return eval_error("no models");
    if (rubrics.empty()) return eval_error("no rubrics");
    for (const evals::Rubric& r : rubrics)
        if (r.scale == evals::Scale::pairwise && models.size() < 2)
            return eval_error("rubric '" + r.name + "' is pairwise: give at least two models");

    BundleCache bundles;
    std::vector<std::vector<std::string>> responses;  // [model][item]
    for (const EvalModelSpec& spec : models) {
        auto generated = generate_responses(items, spec, bundles, options);
        if (!generated.ok()) return generated.error();
        responses.push_back(std::move(*generated));
    }

    auto judge_bundle = bundles.get(options.judge_model);
    if (!judge_bundle.ok()) return judge_bundle.error();
    auto backend = evals::make_engine_judge_backend(**judge_bundle, options.judge);
    if (!backend.ok()) return eval_error("judge: " + backend.error().message);
    evals::JudgeConfig config;
    config.judge_model = judge_model_id(resolve_model_path(options.judge_model));
    config.settings = evals::engine_judge_settings(options.judge);
    config.batch_size = std::max<size_t>(1, options.judge_batch_size);
    config.cache = cache;

    EvalOutcome outcome;
    outcome.summary = {{"traces", items.size()},
                       {"judge_model", config.judge_model},
                       {"confidence", options.bootstrap.confidence},
                       {"scores", nlohmann::json::array()},
                       {"pairwise", nlohmann::json::array()}};
    Judging judging{config, *backend, options, outcome};
    for (const evals::Rubric& rubric : rubrics) {
        if (rubric.scale == evals::Scale::pairwise) {
            for (size_t a = 0; a < models.size(); ++a)
                for (size_t b = a + 1; b < models.size(); ++b) {
                    auto done =
                        judge_pair(rubric, models[a], models[b], items, responses[a], responses[b], judging);
                    if (!done.ok()) return done.error();
                }
        } else {
            for (size_t m = 0; m < models.size(); ++m) {
                auto done = judge_model(rubric, models[m], items, responses[m], judging);
                if (!done.ok()) return done.error();
            }
        }
    }
    outcome.summary["judgments"] = {{"total", outcome.judgments}, {"cached", outcome.cached}};
    return outcome;
}

}  // namespace cli
