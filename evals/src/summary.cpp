#include "evals/summary.h"

#include <vector>

#include "evals/judge_prompt.h"
#include "string_cat.h"

namespace evals {

engine::Result<ScoreSummary> summarize_judgments(const Rubric& rubric, std::span<const Judgment> judgments,
                                                 const BootstrapOptions& options) {
    if (rubric.scale == Scale::pairwise) {
        return engine::make_error(detail::cat("[summary] rubric '", rubric.name,
                                              "' is pairwise: summarize win rates with summarize_pairwise"));
    }
    ScoreSummary s;
    std::vector<double> scores, rewards;
    for (const Judgment& j : judgments) {
        if (!j.error.empty()) {
            ++s.invalid;
            continue;
        }
        scores.push_back(j.verdict.score);
        rewards.push_back(verdict_reward(rubric, j.verdict));
    }
    if (scores.empty()) {
        return engine::make_error(detail::cat("[summary] rubric '", rubric.name, "': none of the ",
                                              std::to_string(judgments.size()), " judgments has a verdict"));
    }
    s.n = scores.size();
    auto mean_score = bootstrap_mean(scores, options);
    if (!mean_score.ok()) return mean_score.error();
    auto mean_reward = bootstrap_mean(rewards, options);
    if (!mean_reward.ok()) return mean_reward.error();
    s.mean_score = *mean_score;
    s.mean_reward = *mean_reward;
    return s;
}

}  // namespace evals
