#include "evals/pairwise.h"

#include <vector>

namespace evals {

namespace {

Preference flip(Preference p) {
    return p == Preference::a ? Preference::b : p == Preference::b ? Preference::a : p;
}

}  // namespace

std::string_view preference_name(Preference p) {
    return p == Preference::a ? "A" : p == Preference::b ? "B" : "tie";
}

std::optional<Preference> preference_from_name(std::string_view name) {
    if (name == "A" || name == "a") return Preference::a;
    if (name == "B" || name == "b") return Preference::b;
    if (name == "tie" || name == "TIE" || name == "Tie") return Preference::tie;
    return std::nullopt;
}

bool is_consistent(Preference original, Preference swapped) { return original == flip(swapped); }

Preference combine_swapped(Preference original, Preference swapped) {
    return is_consistent(original, swapped) ? original : Preference::tie;
}

engine::Result<PairwiseSummary> summarize_pairwise(std::span<const SwappedVerdicts> pairs,
                                                   const BootstrapOptions& options) {
    if (pairs.empty()) return engine::make_error("[pairwise] no pairs to summarize");
    PairwiseSummary s;
    s.n = pairs.size();
    std::vector<double> outcome;  // 1 = A wins, 0 = B wins, 0.5 = tie
    outcome.reserve(pairs.size());
    for (const SwappedVerdicts& v : pairs) {
        const Preference combined = combine_swapped(v.original, v.swapped);
        s.wins_a += combined == Preference::a ? 1 : 0;
        s.wins_b += combined == Preference::b ? 1 : 0;
        s.ties += combined == Preference::tie ? 1 : 0;
        s.inconsistent += is_consistent(v.original, v.swapped) ? 0 : 1;
        if (v.original == v.swapped && v.original != Preference::tie) {
            ++s.position_biased;
            s.first_position_favored += v.original == Preference::a ? 1 : 0;
        }
        outcome.push_back(combined == Preference::a ? 1.0 : combined == Preference::b ? 0.0 : 0.5);
    }
    s.position_bias_rate = static_cast<double>(s.position_biased) / static_cast<double>(s.n);
    auto rate = bootstrap_mean(outcome, options);
    if (!rate.ok()) return rate.error();
    s.win_rate_a = *rate;
    return s;
}

}  // namespace evals
