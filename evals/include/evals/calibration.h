// Calibration: how well a judge agrees with human labels on the same traces,
// and whether that is good enough to use the rubric as a training reward.
//
// The report covers the judgments made with the rubric's current version:
//   pass_fail  accuracy, precision, recall, F1, Cohen's kappa; 2x2 confusion ("pass" positive)
//   likert / range  MAE, exact and within-one agreement, Spearman, Kendall tau-b, unweighted kappa;
//              k x k confusion
//   pairwise   accuracy and Cohen's kappa over A / B / tie; 3x3 confusion
// plus the disagreements (human critique next to the judge's rationale, largest
// gaps first) and the trend across every rubric version in the input.
// The primary metric, used by the default training threshold, is kappa for
// pass_fail and pairwise rubrics and Spearman for ordinal ones.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "engine/json.h"
#include "engine/result.h"
#include "evals/metrics.h"
#include "evals/rubric.h"

namespace evals {

struct LabelledJudgment {
    std::string trace_id;
    int rubric_version = 1;
    std::string judge_model;
    double human_score = 0.0;    // on the rubric's scale, numeric as Verdict::score
    std::string human_critique;  // the labeller's reason, may be empty
    Verdict judge;
};

struct Disagreement {
    std::string trace_id;
    double human_score = 0.0;
    double judge_score = 0.0;
    std::string human_critique;
    std::string judge_rationale;
};

enum class AgreementMetric { kappa, accuracy, spearman, kendall };
std::string_view agreement_metric_name(AgreementMetric metric);

struct TrendPoint {
    int rubric_version = 0;
    size_t n = 0;
    double agreement = 0.0;  // exact agreement
    double primary = 0.0;    // the report's primary metric for this version
};

struct CalibrationReport {
    std::string rubric_name;
    int rubric_version = 0;
    Scale scale = Scale::pass_fail;
    size_t n = 0;  // judgments of the current version
    AgreementMetric primary_metric = AgreementMetric::kappa;
    double primary = 0.0;
    double agreement = 0.0;                 // exact agreement (accuracy)
    double kappa = 0.0;                     // unweighted Cohen's kappa over the scale's categories
    std::optional<BinaryMetrics> binary;    // pass_fail
    std::optional<OrdinalMetrics> ordinal;  // likert / range
    ConfusionMatrix confusion;              // rows: human, columns: judge
    std::vector<std::string> labels;        // category names for the confusion rows / columns
    std::vector<Disagreement> disagreements;
    std::vector<TrendPoint> trend;  // ascending versions
};

struct CalibrationOptions {
    // Ordinal scales: a pair disagrees when |human - judge| > tolerance (0 = any difference).
    double ordinal_tolerance = 0.0;
};

// Errors on scores that do not fit the scale (naming the trace) and when no judgment has the
// rubric's current version.
engine::Result<CalibrationReport> calibrate(const Rubric& rubric, std::span<const LabelledJudgment> judgments,
                                            const CalibrationOptions& options = {});

// Undefined metrics (NaN) are written as null.
engine::json::Value calibration_report_to_json(const CalibrationReport& report);

struct AgreementRequirement {
    AgreementMetric metric = AgreementMetric::kappa;
    double minimum = 0.6;
    size_t min_items = 20;  // fewer labelled traces than this cannot show agreement
};

// kappa >= 0.6 for pass_fail and pairwise, Spearman >= 0.6 for ordinal scales; 20 items.
AgreementRequirement default_agreement_requirement(const Rubric& rubric);

// Ok when the report meets the requirement. Otherwise an error a user can act on, e.g.
// "[calibration] rubric 'helpful' v3 agrees with human labels at kappa 0.41 on 57 traces; training
// needs kappa >= 0.60. Label more traces, revise the rubric, or override the threshold." The caller
// decides about overrides (training refuses by default).
engine::Status check_agreement(const CalibrationReport& report, const AgreementRequirement& requirement);

}  // namespace evals
