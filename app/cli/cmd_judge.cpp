// crucible-cli judge and calibrate: a stored rubric run over workspace traces by
// a local judge model, verdicts decoded under the rubric's JSON schema and kept
// in the workspace (cached by prompt, rubric version, judge model and settings);
// calibration compares them with the human labels.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>

#include "args.h"
#include "cli_common.h"
#include "engine/json.h"
#include "evals/calibration.h"
#include "evals/engine_judge.h"
#include "judge_common.h"
#include "model_path.h"
#include "workspace/judgment_store.h"
#include "workspace/rubric_store.h"
#include "workspace/trace_store.h"

namespace cli {

void declare_workspace_option(Args& args);
void declare_filter_options(Args& args);
std::unique_ptr<crucible::Database> open_workspace_or_report(const Args& args);
std::optional<crucible::SearchQuery> search_query_from(const Args& args, crucible::TraceStore& store);

namespace {

void declare_judge_options(Args& args) {
    args.option("rubric", "NAME[@VERSION]", "the rubric (newest version by default)");
    args.option("judge-model", "MODEL", "judge model file, or 'default'", "default");
    args.option("max-tokens", "N", "longest verdict in tokens (the schema closes it in time)", "256");
    args.option("temperature", "T", "judge sampling temperature; 0 = greedy", "0");
    args.option("seed", "N", "sampling seed (with temperature > 0)", "0");
    args.option("threads", "N", "CPU threads (0 = all)", "0");
    args.option("ctx", "N", "judge context length in tokens", "4096");
    args.option("batch-size", "N", "prompts per judge call", "8");
    args.flag("no-prefix-reuse", "forget the KV cache before every verdict (benchmark baseline)");
    args.option("limit", "N", "judge at most N traces (0 = every match)", "0");
}

std::optional<double> human_score(const evals::Rubric& rubric, const crucible::Label& label) {
    if (rubric.scale == evals::Scale::pass_fail) {
        if (label.verdict == "good") return 1.0;
        if (label.verdict == "bad") return 0.0;
        return std::nullopt;
    }
    if (label.verdict != "score" || !label.score) return std::nullopt;
    const double s = *label.score;
    if (s != std::floor(s) || s < evals::scale_min(rubric) || s > evals::scale_max(rubric))
        return std::nullopt;
    return s;
}

}  // namespace

std::string judge_model_id(const std::string& path) {
    std::error_code ec;
    const auto size = std::filesystem::file_size(path, ec);
    std::string id = std::filesystem::path(path).filename().string();
    if (!ec) id += ":" + std::to_string(size);
    return id;
}

// The traces the filters select, as judge samples (traces that do not end with an answer are
// skipped with a note).
std::optional<std::vector<std::pair<crucible::StoredTrace, evals::Sample>>> select_samples(
    const Args& args, crucible::TraceStore& traces, bool labelled_only) {
    auto query = search_query_from(args, traces);
    if (!query) return std::nullopt;
    if (labelled_only && query->label.empty()) query->label = "labeled";
    auto ids = traces.searchIds(*query);
    if (!ids) {
        std::fprintf(stderr, "crucible-cli: %s\n", ids.error().message.c_str());
        return std::nullopt;
    }
    auto limit = args.get_int("limit");
    if (!limit) return std::nullopt;
    std::vector<std::pair<crucible::StoredTrace, evals::Sample>> out;
    for (int64_t id : *ids) {
        if (*limit > 0 && static_cast<long long>(out.size()) >= *limit) break;
        auto trace = traces.getTrace(id);
        if (!trace || !trace->has_value()) continue;
        auto sample = crucible::sampleFromTrace(**trace);
        if (!sample) {
            std::fprintf(stderr, "skipped: %s\n", sample.error().message.c_str());
            continue;
        }
        out.emplace_back(std::move(**trace), std::move(*sample));
    }
    return out;
}

std::optional<JudgeSetup> judge_setup_from(const std::string& rubric_ref, const std::string& judge_model,
                                           const evals::EngineJudgeOptions& options, size_t batch_size,
                                           crucible::RubricStore& rubrics) {
    auto ref = crucible::parseRubricRef(rubric_ref);
    if (!ref) {
        std::fprintf(stderr, "crucible-cli: %s\n", ref.error().message.c_str());
        return std::nullopt;
    }
    auto rubric = rubrics.get(ref->first, ref->second);
    if (!rubric || !rubric->has_value()) {
        std::fprintf(stderr, "crucible-cli: %s\n",
                     rubric ? ("no rubric '" + rubric_ref + "'").c_str() : rubric.error().message.c_str());
        return std::nullopt;
    }
    if ((*rubric)->scale == evals::Scale::pairwise) {
        std::fprintf(stderr, "crucible-cli: rubric '%s' is pairwise; judge pairs with 'crucible-cli eval'\n",
                     (*rubric)->name.c_str());
        return std::nullopt;
    }
    JudgeSetup setup;
    setup.rubric = **rubric;
    const std::string path = resolve_model_path(judge_model);
    setup.bundle = load_bundle_or_report(judge_model);
    if (!setup.bundle) return std::nullopt;
    auto backend = evals::make_engine_judge_backend(*setup.bundle, options);
    if (!backend) {
        std::fprintf(stderr, "crucible-cli: %s\n", backend.error().message.c_str());
        return std::nullopt;
    }
    setup.backend = std::move(*backend);
    setup.config.judge_model = judge_model_id(path);
    setup.config.settings = evals::engine_judge_settings(options);
    setup.config.batch_size = std::max<size_t>(1, batch_size);
    return setup;
}

std::optional<evals::CalibrationReport> calibration_report(
    const evals::Rubric& rubric, const std::vector<std::pair<crucible::StoredTrace, evals::Sample>>& selected,
    JudgeSetup& setup, crucible::RubricStore& rubrics, crucible::JudgmentStore& store, size_t* skipped) {
    // Human scores by trace id; labels that do not fit the scale are left out.
    std::map<std::string, std::pair<double, std::string>> human;
    std::vector<evals::Sample> samples;
    for (const auto& [trace, sample] : selected) {
        auto score = trace.label ? human_score(setup.rubric, *trace.label) : std::nullopt;
        if (!score) {
            ++*skipped;
            continue;
        }
        human[sample.id] = {*score, trace.label->critique};
        samples.push_back(sample);
    }
    if (samples.empty()) {
        std::fprintf(stderr, "crucible-cli: no labelled traces fit rubric '%s' (%s)\n",
                     setup.rubric.name.c_str(), std::string(evals::scale_name(setup.rubric.scale)).c_str());
        return std::nullopt;
    }
    setup.config.cache = &store;
    auto judgments = evals::judge_samples(setup.rubric, samples, setup.config, setup.backend);
    if (!judgments) {
        std::fprintf(stderr, "crucible-cli: %s\n", judgments.error().message.c_str());
        return std::nullopt;
    }
    std::vector<evals::LabelledJudgment> labelled;
    auto add = [&](const evals::Judgment& j, int version) {
        auto it = human.find(j.sample_id);
        if (it == human.end() || !j.error.empty()) return;
        evals::LabelledJudgment l;
        l.trace_id = j.sample_id;
        l.rubric_version = version;
        l.judge_model = j.judge_model;
        l.human_score = it->second.first;
        l.human_critique = it->second.second;
        l.judge = j.verdict;
        labelled.push_back(std::move(l));
    };
    for (const auto& j : *judgments) add(j, setup.rubric.version);
    // The trend: what the same judge said with the other stored versions (judgments already made;
    // older versions are not judged again here). Versions with another scale cannot be compared.
    auto versions = rubrics.versions(setup.rubric.name);
    if (versions) {
        for (const auto& v : *versions) {
            if (v.version == setup.rubric.version || v.scale != setup.rubric.scale) continue;
            auto stored = store.judgments(v.name, v.version, setup.config.judge_model);
            if (!stored) continue;
            for (const auto& s : *stored) add(s.judgment, v.version);
        }
    }
    auto report = evals::calibrate(rubric, labelled);
    if (!report) {
        std::fprintf(stderr, "crucible-cli: %s\n", report.error().message.c_str());
        return std::nullopt;
    }
    return std::move(*report);
}

namespace {

std::optional<JudgeSetup> judge_setup(const Args& args, crucible::RubricStore& rubrics) {
    if (!args.has("rubric")) {
        std::fprintf(stderr, "crucible-cli: --rubric is required\n");
        return std::nullopt;
    }
    evals::EngineJudgeOptions options;
    for (const char* name : {"max-tokens", "seed", "threads", "ctx", "batch-size"})
        if (!args.get_int(name)) return std::nullopt;
    auto temperature = args.get_double("temperature");
    if (!temperature) return std::nullopt;
    options.temperature = *temperature;
    options.max_tokens = static_cast<int>(*args.get_int("max-tokens"));
    options.seed = static_cast<uint64_t>(*args.get_int("seed"));
    options.n_threads = static_cast<int>(*args.get_int("threads"));
    options.context_length = *args.get_int("ctx");
    options.reuse_prefix = !args.has("no-prefix-reuse");
    return judge_setup_from(args.get("rubric"), args.get("judge-model"), options,
                            static_cast<size_t>(*args.get_int("batch-size")), rubrics);
}

std::string score_text(const evals::Rubric& rubric, double score) {
    return engine::json::dump(evals::score_to_json(rubric, score));
}

int judge(int argc, char** argv) {
    Args args("judge", "--rubric NAME[@V] [--judge-model MODEL] [trace filters] [--json]");
    declare_workspace_option(args);
    declare_filter_options(args);
    declare_judge_options(args);
    args.flag("json", "print the judgments as JSON");
    int code = 0;
    if (!args.parse(argc, argv, &code)) return code;
    auto db = open_workspace_or_report(args);
    if (!db) return 1;
    crucible::TraceStore traces(*db);
    crucible::RubricStore rubrics(*db);
    crucible::JudgmentStore store(*db);
    auto setup = judge_setup(args, rubrics);
    if (!setup) return 2;
    auto selected = select_samples(args, traces, false);
    if (!selected) return 2;
    std::vector<evals::Sample> samples;
    for (const auto& [trace, sample] : *selected) samples.push_back(sample);
    setup->config.cache = &store;
    auto judgments = evals::judge_samples(setup->rubric, samples, setup->config, setup->backend);
    if (!judgments) {
        std::fprintf(stderr, "crucible-cli: %s\n", judgments.error().message.c_str());
        return 1;
    }
    if (!store.lastError().empty())
        std::fprintf(stderr, "warning: judgment store: %s\n", store.lastError().c_str());
    size_t cached = 0, failed = 0;
    engine::json::Array rows;
    for (const evals::Judgment& j : *judgments) {
        cached += j.from_cache ? 1 : 0;
        failed += j.error.empty() ? 0 : 1;
        if (args.has("json")) {
            engine::json::Object o;
            o.set("trace_id", engine::json::Value(std::stoll(j.sample_id)));
            o.set("rubric", engine::json::Value(j.rubric_name));
            o.set("rubric_version", engine::json::Value(j.rubric_version));
            o.set("judge_model", engine::json::Value(j.judge_model));
            o.set("cached", engine::json::Value(j.from_cache));
            if (j.error.empty()) {
                o.set("score", evals::score_to_json(setup->rubric, j.verdict.score));
                o.set("rationale", engine::json::Value(j.verdict.rationale));
            } else {
                o.set("error", engine::json::Value(j.error));
            }
            rows.push_back(engine::json::Value(std::move(o)));
        } else if (j.error.empty()) {
            std::printf("trace %s  %-6s%s  %s\n", j.sample_id.c_str(),
                        score_text(setup->rubric, j.verdict.score).c_str(), j.from_cache ? "  (cached)" : "",
                        j.verdict.rationale.c_str());
        } else {
            std::printf("trace %s  error: %s\n", j.sample_id.c_str(), j.error.c_str());
        }
    }
    if (args.has("json")) {
        std::printf("%s\n", engine::json::dump(engine::json::Value(std::move(rows))).c_str());
    } else {
        std::printf("%zu judged with %s v%d by %s: %zu from cache, %zu new, %zu without a verdict\n",
                    judgments->size(), setup->rubric.name.c_str(), setup->rubric.version,
                    setup->config.judge_model.c_str(), cached, judgments->size() - cached - failed, failed);
    }
    return failed == 0 ? 0 : 3;
}

// The human label on the rubric's scale: good/bad are pass/fail; a numeric score label counts on
// ordinal scales (and as pass when >= the middle of pass/fail's 0..1). nullopt when it does not fit.
std::string metric_text(double v) {
    if (std::isnan(v)) return "undefined";
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.3f", v);
    return buffer;
}

void print_report(const evals::CalibrationReport& r, size_t skipped) {
    std::printf("calibration of %s v%d (%s) on %zu labelled traces", r.rubric_name.c_str(), r.rubric_version,
                std::string(evals::scale_name(r.scale)).c_str(), r.n);
    if (skipped > 0) std::printf(" (%zu skipped: label does not fit the scale)", skipped);
    std::printf("\n  primary (%s): %s   agreement: %s   kappa: %s\n",
                std::string(evals::agreement_metric_name(r.primary_metric)).c_str(),
                metric_text(r.primary).c_str(), metric_text(r.agreement).c_str(),
                metric_text(r.kappa).c_str());
    if (r.binary)
        std::printf("  precision: %s   recall: %s   F1: %s\n", metric_text(r.binary->precision).c_str(),
                    metric_text(r.binary->recall).c_str(), metric_text(r.binary->f1).c_str());
    if (r.ordinal)
        std::printf("  MAE: %s   within one: %s   Spearman: %s   Kendall tau-b: %s\n",
                    metric_text(r.ordinal->mae).c_str(), metric_text(r.ordinal->within_one).c_str(),
                    metric_text(r.ordinal->spearman).c_str(), metric_text(r.ordinal->kendall_tau_b).c_str());
    std::printf("  confusion (rows: human, columns: judge)\n  %10s", "");
    for (const auto& l : r.labels) std::printf(" %8s", l.c_str());
    std::printf("\n");
    for (size_t i = 0; i < r.confusion.size(); ++i) {
        std::printf("  %10s", i < r.labels.size() ? r.labels[i].c_str() : "");
        for (int64_t c : r.confusion.counts[i]) std::printf(" %8lld", static_cast<long long>(c));
        std::printf("\n");
    }
    if (!r.disagreements.empty()) std::printf("  disagreements:\n");
    for (const auto& d : r.disagreements)
        std::printf("    trace %s: human %g, judge %g\n      human: %s\n      judge: %s\n",
                    d.trace_id.c_str(), d.human_score, d.judge_score,
                    d.human_critique.empty() ? "(no critique)" : d.human_critique.c_str(),
                    d.judge_rationale.c_str());
    if (r.trend.size() > 1) {
        std::printf("  trend across versions:\n");
        for (const auto& t : r.trend)
            std::printf("    v%d  n=%zu  agreement %s  %s %s\n", t.rubric_version, t.n,
                        metric_text(t.agreement).c_str(),
                        std::string(evals::agreement_metric_name(r.primary_metric)).c_str(),
                        metric_text(t.primary).c_str());
    }
}

int calibrate(int argc, char** argv) {
    Args args("calibrate", "--rubric NAME[@V] [--judge-model MODEL] [trace filters] [--json]");
    declare_workspace_option(args);
    declare_filter_options(args);
    declare_judge_options(args);
    args.flag("json", "print the report as JSON");
    int code = 0;
    if (!args.parse(argc, argv, &code)) return code;
    auto db = open_workspace_or_report(args);
    if (!db) return 1;
    crucible::TraceStore traces(*db);
    crucible::RubricStore rubrics(*db);
    crucible::JudgmentStore store(*db);
    auto setup = judge_setup(args, rubrics);
    if (!setup) return 2;
    auto selected = select_samples(args, traces, true);
    if (!selected) return 2;

    size_t skipped = 0;
    auto report = calibration_report(setup->rubric, *selected, *setup, rubrics, store, &skipped);
    if (!report) return 1;
    if (args.has("json"))
        std::printf("%s\n", engine::json::dump(evals::calibration_report_to_json(*report)).c_str());
    else
        print_report(*report, skipped);
    return 0;
}

}  // namespace

int run_judge(int argc, char** argv) { return judge(argc, argv); }
int run_calibrate(int argc, char** argv) { return calibrate(argc, argv); }

}  // namespace cli
