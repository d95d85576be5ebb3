// Pairwise (A/B) comparisons with positions swapped to cancel position bias.
//
// Each pair is judged twice: once with the original order (response A shown
// first, as "A") and once with the positions swapped (B shown first, as "A").
// Both verdicts are positional ("A" = whichever response was shown first). The
// combiner maps the swapped verdict back to the original labels; when the two
// agree, that is the outcome, and when they disagree the pair counts as a tie:
// the judge's preference did not survive the swap.
//
// Position bias: a pair whose two verdicts name the same position (both "A" or
// both "B") preferred a slot, not a response. Its rate is reported, as is how
// many of those favoured the first slot.
#pragma once

#include <optional>
#include <span>
#include <string_view>

#include "evals/bootstrap.h"

namespace evals {

enum class Preference { a, b, tie };

std::string_view preference_name(Preference p);  // "A", "B", "tie"
std::optional<Preference> preference_from_name(std::string_view name);

struct SwappedVerdicts {
    Preference original;  // A shown first
    Preference swapped;   // B shown first; positional
};

// The outcome in terms of the original A and B.
Preference combine_swapped(Preference original, Preference swapped);
bool is_consistent(Preference original, Preference swapped);

struct PairwiseSummary {
    size_t n = 0;
    size_t wins_a = 0, wins_b = 0, ties = 0;  // combined outcomes
    size_t inconsistent = 0;                  // verdicts that did not survive the swap (counted as ties)
    size_t position_biased = 0;               // both verdicts named the same position
    size_t first_position_favored = 0;        // ... and that position was the first
    double position_bias_rate = 0.0;          // position_biased / n
    Estimate win_rate_a;                      // (wins_a + ties / 2) / n, with a bootstrap interval
};

engine::Result<PairwiseSummary> summarize_pairwise(std::span<const SwappedVerdicts> pairs,
                                                   const BootstrapOptions& options = {});

}  // namespace evals
