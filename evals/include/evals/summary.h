// Aggregating an eval run: one rubric's judgments (or any per-sample scores) into
// means with bootstrap confidence intervals, per model or adapter.
#pragma once

#include <optional>
#include <span>

#include "evals/bootstrap.h"
#include "evals/judge.h"
#include "evals/rubric.h"

namespace evals {

struct ScoreSummary {
    size_t n = 0;          // valid scores
    size_t invalid = 0;    // judgments without a verdict (left out of the means)
    Estimate mean_score;   // on the rubric's scale (pass_fail: the pass rate)
    Estimate mean_reward;  // in [0, 1] (verdict_reward)
};

// Errors when no judgment has a verdict. Pairwise rubrics: use summarize_pairwise (pairwise.h).
engine::Result<ScoreSummary> summarize_judgments(const Rubric& rubric, std::span<const Judgment> judgments,
                                                 const BootstrapOptions& options = {});

}  // namespace evals
