// crucible-cli eval: a dataset x models or adapters x rubrics. Every model
// answers every trace's prompt, a local judge grades the answers with each
// rubric (pairwise rubrics on every pair of models with positions swapped), and
// the run is stored with its summary (bootstrap intervals, win rates,
// position bias) and per-trace results; `eval list` and `eval show` read them back.
#include <QDateTime>
#include <QTimeZone>
#include <cmath>
#include <cstdio>
#include <memory>

#include "args.h"
#include "cli_common.h"
#include "eval_runner.h"
#include "workspace/eval_run_store.h"
#include "workspace/judgment_store.h"
#include "workspace/rubric_store.h"
#include "workspace/trace_store.h"

namespace cli {

void declare_workspace_option(Args& args);
std::unique_ptr<crucible::Database> open_workspace_or_report(const Args& args);

namespace {

std::string iso_time(int64_t ms) {
    return QDateTime::fromMSecsSinceEpoch(ms, QTimeZone::utc()).toString(Qt::ISODate).toStdString();
}

// The member, or null when absent (operator[] on a const json must not miss).
const nlohmann::json& field(const nlohmann::json& object, const char* key) {
    static const nlohmann::json null_value;
    if (!object.is_object()) return null_value;
    auto it = object.find(key);
    return it == object.end() ? null_value : *it;
}

std::string number_text(const nlohmann::json& v, const char* format = "%.3f") {
    if (!v.is_number()) return "-";
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, format, v.get<double>());
    return buffer;
}

// "0.667 [0.333, 1.000]" from {"value", "lower", "upper"}.
std::string estimate_text(const nlohmann::json& e) {
    if (!e.is_object()) return "-";
    return number_text(field(e, "value")) + " [" + number_text(field(e, "lower")) + ", " +
           number_text(field(e, "upper")) + "]";
}

std::string rubric_ref(const nlohmann::json& entry) {
    return entry.value("rubric", "") + "@" + std::to_string(entry.value("rubric_version", 0));
}

std::vector<std::string> labels_of(const nlohmann::json& models) {
    std::vector<std::string> out;
    for (const auto& m : models) out.push_back(m.value("label", ""));
    return out;
}

std::string joined(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& s : items) out += (out.empty() ? "" : ",") + s;
    return out;
}

// The run's tables: model x rubric (mean reward with its interval) and, for pairwise rubrics,
// every pair's win/tie/loss rates, A's score and the position-bias rate.
void print_run(const crucible::EvalRun& run) {
    const nlohmann::json& s = run.summary;
    const double confidence = s.value("confidence", 0.95);
    std::printf("eval run %lld  %s  dataset %s  %lld traces  judge %s\n", static_cast<long long>(run.id),
                iso_time(run.createdAtMs).c_str(), run.dataset.c_str(),
                static_cast<long long>(s.value("traces", 0)), s.value("judge_model", "").c_str());
    const nlohmann::json& scores = field(s, "scores");
    if (scores.is_array() && !scores.empty()) {
        std::printf(
            "\n%-20s %-20s %-29s %5s %9s\n", "model", "rubric",
            ("mean reward [" + std::to_string(static_cast<int>(std::lround(confidence * 100))) + "% CI]")
                .c_str(),
            "n", "failures");
        for (const auto& e : scores)
            std::printf("%-20s %-20s %-29s %5lld %9lld\n", e.value("model", "").c_str(),
                        rubric_ref(e).c_str(), estimate_text(field(e, "mean_reward")).c_str(),
                        static_cast<long long>(e.value("n", 0)),
                        static_cast<long long>(e.value("parse_failures", 0)));
    }
    const nlohmann::json& pairs = field(s, "pairwise");
    for (const auto& e : pairs.is_array() ? pairs : nlohmann::json::array()) {
        const std::string a = e.value("model_a", ""), b = e.value("model_b", "");
        std::printf("\n%s vs %s on %s (positions swapped): n %lld, failures %lld\n", a.c_str(), b.c_str(),
                    rubric_ref(e).c_str(), static_cast<long long>(e.value("n", 0)),
                    static_cast<long long>(e.value("parse_failures", 0)));
        std::printf("  %s wins %-24s ties %-24s %s wins %s\n", a.c_str(),
                    estimate_text(field(e, "win_rate")).c_str(), estimate_text(field(e, "tie_rate")).c_str(),
                    b.c_str(), estimate_text(field(e, "loss_rate")).c_str());
        std::printf(
            "  %s score (wins + ties/2) %s   position bias %s (%lld of %lld pairs, %lld favoured the "
            "first slot), inconsistent %lld\n",
            a.c_str(), estimate_text(field(e, "score_a")).c_str(),
            number_text(field(e, "position_bias_rate")).c_str(),
            static_cast<long long>(e.value("position_biased", 0)), static_cast<long long>(e.value("n", 0)),
            static_cast<long long>(e.value("first_position_favored", 0)),
            static_cast<long long>(e.value("inconsistent", 0)));
    }
    if (const nlohmann::json& j = field(s, "judgments"); j.is_object())
        std::printf("\n%lld judgments, %lld from the workspace cache\n",
                    static_cast<long long>(j.value("total", 0)),
                    static_cast<long long>(j.value("cached", 0)));
}

nlohmann::json run_json(const crucible::EvalRun& run) {
    return {{"id", run.id},          {"created_at_ms", run.createdAtMs}, {"dataset", run.dataset},
            {"models", run.models},  {"rubrics", run.rubrics},           {"settings", run.settings},
            {"summary", run.summary}};
}

nlohmann::json result_json(const crucible::EvalResult& r) {
    nlohmann::json j = {{"trace_id", r.traceId ? nlohmann::json(*r.traceId) : nlohmann::json(nullptr)},
                        {"model", r.modelLabel},
                        {"response", r.response},
                        {"rubric", r.rubricName},
                        {"rubric_version", r.rubricVersion},
                        {"score", r.score ? nlohmann::json(*r.score) : nlohmann::json(nullptr)},
                        {"rationale", r.rationale}};
    if (r.opponentLabel) j["opponent"] = *r.opponentLabel;
    if (!r.error.empty()) j["error"] = r.error;
    return j;
}

std::vector<std::string> split_list(const std::string& list) {
    std::vector<std::string> out;
    size_t start = 0;
    while (start <= list.size()) {
        size_t comma = list.find(',', start);
        if (comma == std::string::npos) comma = list.size();
        out.push_back(list.substr(start, comma - start));
        start = comma + 1;
    }
    return out;
}

// --dataset NAME[@V]: the dataset and its traces as eval items (traces with nothing to prompt
// with are skipped with a note), at most `limit` of them (0 = all).
std::optional<std::pair<crucible::Dataset, std::vector<EvalItem>>> dataset_items(
    const std::string& ref, long long limit, crucible::TraceStore& traces) {
    std::string name = ref;
    int version = 0;
    if (auto at = name.rfind('@'); at != std::string::npos) {
        auto parsed = crucible::parseRubricRef(ref);  // the same NAME@N grammar
        if (!parsed) {
            std::fprintf(stderr, "crucible-cli eval: --dataset: '%s' is not NAME or NAME@VERSION\n",
                         ref.c_str());
            return std::nullopt;
        }
        name = parsed->first;
        version = parsed->second;
    }
    auto dataset = traces.dataset(name, version);
    if (!dataset) {
        std::fprintf(stderr, "crucible-cli eval: %s\n", dataset.error().message.c_str());
        return std::nullopt;
    }
    auto ids = traces.datasetTraceIds(dataset->id);
    if (!ids) {
        std::fprintf(stderr, "crucible-cli eval: %s\n", ids.error().message.c_str());
        return std::nullopt;
    }
    std::vector<EvalItem> items;
    for (int64_t id : *ids) {
        if (limit > 0 && static_cast<long long>(items.size()) >= limit) break;
        auto trace = traces.getTrace(id);
        if (!trace || !trace->has_value()) continue;  // deleted since the dataset was made
        auto item = eval_item_from_trace(**trace);
        if (!item) {
            std::fprintf(stderr, "skipped: %s\n", item.error().message.c_str());
            continue;
        }
        items.push_back(std::move(*item));
    }
    return std::make_pair(std::move(*dataset), std::move(items));
}

std::optional<std::vector<evals::Rubric>> rubrics_from(const std::string& list,
                                                       crucible::RubricStore& store) {
    std::vector<evals::Rubric> out;
    for (const std::string& ref : split_list(list)) {
        auto parsed = crucible::parseRubricRef(ref);
        if (!parsed) {
            std::fprintf(stderr, "crucible-cli eval: --rubrics: %s\n", parsed.error().message.c_str());
            return std::nullopt;
        }
        auto rubric = store.get(parsed->first, parsed->second);
        if (!rubric || !rubric->has_value()) {
            std::fprintf(stderr, "crucible-cli eval: %s\n",
                         rubric ? ("no rubric '" + ref + "'").c_str() : rubric.error().message.c_str());
            return std::nullopt;
        }
        out.push_back(std::move(**rubric));
    }
    return out;
}

std::optional<EvalOptions> eval_options_from(const Args& args) {
    for (const char* name : {"max-tokens", "judge-max-tokens", "seed", "threads", "ctx", "batch-size"})
        if (!args.get_int(name)) return std::nullopt;
    auto temperature = args.get_double("temperature");
    if (!temperature) return std::nullopt;
    EvalOptions o;
    const auto seed = static_cast<uint64_t>(*args.get_int("seed"));
    o.generation.max_tokens = *args.get_int("max-tokens");
    o.generation.sampling.temperature = static_cast<float>(*temperature);
    o.generation.sampling.seed = seed;
    if (auto status = engine::validate_sampling_params(o.generation.sampling); !status) {
        std::fprintf(stderr, "crucible-cli eval: %s\n", status.error().message.c_str());
        return std::nullopt;
    }
    o.generator.n_threads = static_cast<int>(*args.get_int("threads"));
    o.generator.context_length = *args.get_int("ctx");
    o.judge_model = args.get("judge-model");
    o.judge.max_tokens = static_cast<int>(*args.get_int("judge-max-tokens"));
    o.judge.seed = seed;
    o.judge.n_threads = o.generator.n_threads;
    o.judge.context_length = o.generator.context_length;
    o.judge_batch_size = static_cast<size_t>(*args.get_int("batch-size"));
    o.bootstrap.seed = seed;
    o.quiet = args.has("json");
    return o;
}

int run(int argc, char** argv) {
    Args args("eval",
              "--dataset NAME[@V] --models SPEC,SPEC --rubrics R[@V],R [options]   (SPEC: "
              "[LABEL=]MODEL[+ADAPTER])\n"
              "       crucible-cli eval list | show ID");
    declare_workspace_option(args);
    args.option("dataset", "NAME[@V]", "the dataset (newest version by default)");
    args.option("models", "LIST",
                "models to compare: MODEL or MODEL+ADAPTER_PATH, each optionally LABEL=...");
    args.option("rubrics", "LIST", "rubrics to judge with: NAME or NAME@VERSION");
    args.option("judge-model", "MODEL", "judge model file, or 'default'", "default");
    args.option("max-tokens", "N", "longest response in tokens", "256");
    args.option("temperature", "T", "response sampling temperature; 0 = greedy", "0");
    args.option("seed", "N", "sampling and bootstrap seed", "0");
    args.option("judge-max-tokens", "N", "longest verdict in tokens", "256");
    args.option("threads", "N", "CPU threads (0 = all)", "0");
    args.option("ctx", "N", "context length in tokens (generation and judge)", "4096");
    args.option("batch-size", "N", "prompts per judge call", "8");
    args.option("limit", "N", "evaluate at most N traces of the dataset (0 = all)", "0");
    args.flag("json", "print the stored run as JSON (no progress on stderr)");
    int code = 0;
    if (!args.parse(argc, argv, &code)) return code;
    if (!args.positional().empty() || !args.has("dataset") || !args.has("models") || !args.has("rubrics")) {
        std::fprintf(stderr, "crucible-cli eval: --dataset, --models and --rubrics are required\n");
        args.print_help();
        return 2;
    }
    auto options = eval_options_from(args);
    auto limit = args.get_int("limit");
    if (!options || !limit) return 2;
    auto models = parse_model_specs(args.get("models"));
    if (!models) {
        std::fprintf(stderr, "crucible-cli: %s\n", models.error().message.c_str());
        return 2;
    }
    auto db = open_workspace_or_report(args);
    if (!db) return 1;
    crucible::TraceStore traces(*db);
    crucible::RubricStore rubric_store(*db);
    crucible::JudgmentStore judgments(*db);
    crucible::EvalRunStore runs(*db);
    auto dataset = dataset_items(args.get("dataset"), *limit, traces);
    if (!dataset) return 1;
    auto rubrics = rubrics_from(args.get("rubrics"), rubric_store);
    if (!rubrics) return 1;

    auto outcome = run_eval(dataset->second, *models, *rubrics, *options, &judgments);
    if (!outcome) {
        std::fprintf(stderr, "crucible-cli: %s\n", outcome.error().message.c_str());
        return 1;
    }
    if (!judgments.lastError().empty())
        std::fprintf(stderr, "warning: judgment store: %s\n", judgments.lastError().c_str());

    crucible::EvalRun record;
    record.dataset = dataset->first.name + "@" + std::to_string(dataset->first.version);
    record.datasetId = dataset->first.id;
    for (const EvalModelSpec& m : *models)
        record.models.push_back(
            {{"label", m.label},
             {"model", m.model},
             {"adapter", m.adapter.empty() ? nlohmann::json() : nlohmann::json(m.adapter)}});
    for (const evals::Rubric& r : *rubrics)
        record.rubrics.push_back(
            {{"name", r.name}, {"version", r.version}, {"scale", std::string(evals::scale_name(r.scale))}});
    record.settings = {{"max_tokens", options->generation.max_tokens},
                       {"temperature", options->generation.sampling.temperature},
                       {"seed", options->generation.sampling.seed},
                       {"context_length", options->generator.context_length},
                       {"judge_model", options->judge_model},
                       {"judge_max_tokens", options->judge.max_tokens},
                       {"limit", *limit},
                       {"bootstrap",
                        {{"resamples", options->bootstrap.resamples},
                         {"confidence", options->bootstrap.confidence},
                         {"seed", options->bootstrap.seed}}}};
    record.summary = std::move(outcome->summary);
    auto stored = runs.create(std::move(record), outcome->results);
    if (!stored) {
        std::fprintf(stderr, "crucible-cli: %s\n", stored.error().message.c_str());
        return 1;
    }
    if (args.has("json"))
        std::printf("%s\n",
                    run_json(*stored).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    else
        print_run(*stored);
    return 0;
}

int list(int argc, char** argv) {
    Args args("eval list", "[--json]");
    declare_workspace_option(args);
    args.flag("json", "print JSON");
    int code = 0;
    if (!args.parse(argc, argv, &code)) return code;
    auto db = open_workspace_or_report(args);
    if (!db) return 1;
    crucible::EvalRunStore store(*db);
    auto all = store.list();
    if (!all) {
        std::fprintf(stderr, "crucible-cli: %s\n", all.error().message.c_str());
        return 1;
    }
    if (args.has("json")) {
        nlohmann::json rows = nlohmann::json::array();
        for (const auto& run : *all) rows.push_back(run_json(run));
        std::printf("%s\n", rows.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
        return 0;
    }
    for (const auto& run : *all) {
        std::vector<std::string> rubrics;
        for (const auto& r : run.rubrics)
            rubrics.push_back(r.value("name", "") + "@" + std::to_string(r.value("version", 0)));
        std::printf("%5lld  %s  %-16s %4lld traces  models %s  rubrics %s\n", static_cast<long long>(run.id),
                    iso_time(run.createdAtMs).c_str(), run.dataset.c_str(),
                    static_cast<long long>(run.summary.value("traces", 0)),
                    joined(labels_of(run.models)).c_str(), joined(rubrics).c_str());
    }
    return 0;
}

int show(int argc, char** argv) {
    Args args("eval show", "ID [--json] [--results]");
    declare_workspace_option(args);
    args.flag("json", "print JSON");
    args.flag("results", "also the per-trace results (responses, scores, rationales)");
    int code = 0;
    if (!args.parse(argc, argv, &code)) return code;
    if (args.positional().size() != 1) {
        args.print_help();
        return 2;
    }
    int64_t id = 0;
    try {
        id = std::stoll(args.positional()[0]);
    } catch (const std::exception&) {
        std::fprintf(stderr, "crucible-cli eval show: '%s' is not a run id\n", args.positional()[0].c_str());
        return 2;
    }
    auto db = open_workspace_or_report(args);
    if (!db) return 1;
    crucible::EvalRunStore store(*db);
    auto run = store.get(id);
    if (!run || !run->has_value()) {
        std::fprintf(stderr, "crucible-cli: %s\n",
                     run ? ("no eval run " + std::to_string(id)).c_str() : run.error().message.c_str());
        return 1;
    }
    std::vector<crucible::EvalResult> results;
    if (args.has("results")) {
        auto loaded = store.results(id);
        if (!loaded) {
            std::fprintf(stderr, "crucible-cli: %s\n", loaded.error().message.c_str());
            return 1;
        }
        results = std::move(*loaded);
    }
    if (args.has("json")) {
        nlohmann::json j = run_json(**run);
        if (args.has("results")) {
            j["results"] = nlohmann::json::array();
            for (const auto& r : results) j["results"].push_back(result_json(r));
        }
        std::printf("%s\n", j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
        return 0;
    }
    print_run(**run);
    if (!results.empty()) std::printf("\n");
    for (const auto& r : results) {
        std::printf("trace %s  %s%s  %s@%d  score %s%s\n  response: %s\n",
                    r.traceId ? std::to_string(*r.traceId).c_str() : "(deleted)", r.modelLabel.c_str(),
                    r.opponentLabel ? (" vs " + *r.opponentLabel).c_str() : "", r.rubricName.c_str(),
                    r.rubricVersion, r.score ? number_text(*r.score, "%g").c_str() : "-",
                    r.error.empty() ? "" : ("  error: " + r.error).c_str(), r.response.c_str());
        if (!r.rationale.empty()) std::printf("  rationale: %s\n", r.rationale.c_str());
    }
    return 0;
}

}  // namespace

int run_eval_command(int argc, char** argv) {
    const std::string sub = argc >= 2 ? argv[1] : "";
    if (sub == "list") return list(argc - 1, argv + 1);
    if (sub == "show") return show(argc - 1, argv + 1);
    return run(argc, argv);
}

}  // namespace cli
