// Judge plumbing shared by `judge`, `calibrate` and `grpo --rubric`: a rubric
// with a local judge model behind it, the labelled traces a selection holds,
// and the calibration report of judge against human labels.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "args.h"
#include "engine/model_bundle.h"
#include "evals/calibration.h"
#include "evals/engine_judge.h"
#include "evals/judge.h"
#include "evals/rubric.h"
#include "workspace/judgment_store.h"
#include "workspace/rubric_store.h"
#include "workspace/trace_store.h"

namespace cli {

struct JudgeSetup {
    evals::Rubric rubric;
    std::unique_ptr<engine::ModelBundle> bundle;
    evals::JudgeBackend backend;
    evals::JudgeConfig config;
};

// A stable id for a judge model file: its name and size (hashing the whole file on every run would
// cost more than judging a few traces).
std::string judge_model_id(const std::string& path);

// The rubric NAME[@VERSION] from the workspace with `judge_model` (a path or "default") loaded as
// its judge. Errors are printed; nullopt then.
std::optional<JudgeSetup> judge_setup_from(const std::string& rubric_ref, const std::string& judge_model,
                                           const evals::EngineJudgeOptions& options, size_t batch_size,
                                           crucible::RubricStore& rubrics);

// The traces the workspace filters in `args` select, as judge samples (labelled ones only when asked).
std::optional<std::vector<std::pair<crucible::StoredTrace, evals::Sample>>> select_samples(
    const Args& args, crucible::TraceStore& traces, bool labelled_only);

// Judges the selected labelled traces (through the judgment cache) and compares with the human
// labels; the trend includes what the same judge said with the rubric's other stored versions.
// *skipped counts labels that do not fit the rubric's scale.
std::optional<evals::CalibrationReport> calibration_report(
    const evals::Rubric& rubric, const std::vector<std::pair<crucible::StoredTrace, evals::Sample>>& selected,
    JudgeSetup& setup, crucible::RubricStore& rubrics, crucible::JudgmentStore& store, size_t* skipped);

}  // namespace cli
