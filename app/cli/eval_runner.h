// The work behind `crucible-cli eval`: every dataset trace's prompt answered by
// each model (or model + LoRA adapter), the answers judged with every rubric
// (pairwise rubrics on every pair of models, positions swapped), and the
// judgments aggregated with bootstrap intervals into a summary that is stored
// with the per-trace results.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "engine/chat_template.h"
#include "engine/generator.h"
#include "engine/result.h"
#include "evals/bootstrap.h"
#include "evals/engine_judge.h"
#include "evals/judge.h"
#include "evals/rubric.h"
#include "evals/sample.h"
#include "workspace/eval_run_store.h"
#include "workspace/trace_store.h"

namespace cli {

// One entry of --models: MODEL, MODEL+ADAPTER_PATH, or either as LABEL=SPEC.
struct EvalModelSpec {
    std::string label;    // unique within the run
    std::string model;    // a path or "default"
    std::string adapter;  // "" when none
};

// Splits the comma-separated list. Labels default to "default" / the model file's stem, or the
// adapter path's last component when there is one; clashes get "-2", "-3", ... Explicit labels
// must be unique. Errors read "[eval] --models: ...".
engine::Result<std::vector<EvalModelSpec>> parse_model_specs(const std::string& list);

// A dataset trace as an eval item: the conversation up to (not including) its final assistant turn
// is the prompt; its ground truth (a string, or its JSON text) the reference.
struct EvalItem {
    int64_t trace_id = 0;
    std::vector<evals::Message> prompt;
    std::optional<std::string> reference;
};
// Errors when nothing is left to prompt with (no message before the final answer).
engine::Result<EvalItem> eval_item_from_trace(const crucible::StoredTrace& trace);

struct EvalOptions {
    engine::GenerationOptions generation;  // the seed is the same for every prompt
    engine::GeneratorOptions generator;
    std::string judge_model = "default";
    evals::EngineJudgeOptions judge;
    size_t judge_batch_size = 8;
    evals::BootstrapOptions bootstrap;
    bool quiet = false;  // no progress on stderr
};

struct EvalOutcome {
    nlohmann::json summary;                     // see summary_to_text in cmd_eval.cpp for the fields
    std::vector<crucible::EvalResult> results;  // per (trace, model, rubric[, opponent])
    size_t judgments = 0;                       // verdicts asked for
    size_t cached = 0;                          // of which answered by the judgment cache
};

// Runs the eval. Rubrics must be valid; a pairwise one needs at least two models. `cache` (may be
// null) keeps judgments across runs.
engine::Result<EvalOutcome> run_eval(const std::vector<EvalItem>& items,
                                     const std::vector<EvalModelSpec>& models,
                                     const std::vector<evals::Rubric>& rubrics, const EvalOptions& options,
                                     evals::JudgmentCache* cache);

}  // namespace cli
