#include "evals/similarity.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "evals/text.h"

namespace evals {

namespace {

constexpr std::pair<SimilarityMetric, std::string_view> kNames[] = {
    {SimilarityMetric::fuzzy_match, "fuzzy_match"},
    {SimilarityMetric::bleu, "bleu"},
    {SimilarityMetric::gleu, "gleu"},
    {SimilarityMetric::rouge_1, "rouge_1"},
    {SimilarityMetric::rouge_2, "rouge_2"},
    {SimilarityMetric::rouge_3, "rouge_3"},
    {SimilarityMetric::rouge_4, "rouge_4"},
    {SimilarityMetric::rouge_5, "rouge_5"},
    {SimilarityMetric::rouge_l, "rouge_l"},
};

// Length of the longest common subsequence; two rows of the DP table.
template <class Seq>
size_t lcs_length(const Seq& a, const Seq& b) {
    std::vector<size_t> prev(b.size() + 1, 0);
    std::vector<size_t> cur(b.size() + 1, 0);
    for (size_t i = 1; i <= a.size(); ++i) {
        for (size_t j = 1; j <= b.size(); ++j) {
            cur[j] = a[i - 1] == b[j - 1] ? prev[j - 1] + 1 : std::max(prev[j], cur[j - 1]);
        }
        std::swap(prev, cur);
    }
    return prev[b.size()];
}

using NgramCounts = std::map<std::vector<std::string>, size_t>;

NgramCounts ngrams(const std::vector<std::string>& tokens, size_t n) {
    NgramCounts counts;
    for (size_t i = 0; i + n <= tokens.size(); ++i) {
        ++counts[std::vector<std::string>(tokens.begin() + static_cast<long>(i),
                                          tokens.begin() + static_cast<long>(i + n))];
    }
    return counts;
}

// Matches clipped by the reference counts, and the totals on both sides.
struct Overlap {
    size_t matched = 0;
    size_t candidate_total = 0;
    size_t reference_total = 0;
};

Overlap overlap(const std::vector<std::string>& candidate, const std::vector<std::string>& reference,
                size_t n) {
    const NgramCounts c = ngrams(candidate, n);
    const NgramCounts r = ngrams(reference, n);
    Overlap o;
    for (const auto& [gram, count] : c) {
        o.candidate_total += count;
        if (auto it = r.find(gram); it != r.end()) o.matched += std::min(count, it->second);
    }
    for (const auto& entry : r) o.reference_total += entry.second;
    return o;
}

double f1(double matched, double candidate_total, double reference_total) {
    if (matched == 0) return 0.0;
    const double precision = matched / candidate_total;
    const double recall = matched / reference_total;
    return 2 * precision * recall / (precision + recall);
}

}  // namespace

std::string_view similarity_metric_name(SimilarityMetric metric) {
    for (const auto& [m, name] : kNames) {
        if (m == metric) return name;
    }
    return "?";
}

std::optional<SimilarityMetric> similarity_metric_from_name(std::string_view name) {
    for (const auto& [m, n] : kNames) {
        if (n == name) return m;
    }
    return std::nullopt;
}

double fuzzy_ratio(std::string_view a, std::string_view b) {
    const std::u32string ca = decode_utf8(a);
    const std::u32string cb = decode_utf8(b);
    const size_t total = ca.size() + cb.size();
    if (total == 0) return 1.0;
    return 2.0 * static_cast<double>(lcs_length(ca, cb)) / static_cast<double>(total);
}

double rouge_n(std::string_view candidate, std::string_view reference, int n) {
    const auto c = word_tokens(candidate);
    const auto r = word_tokens(reference);
    if (c.empty() && r.empty()) return 1.0;
    const Overlap o = overlap(c, r, static_cast<size_t>(std::max(n, 1)));
    return f1(static_cast<double>(o.matched), static_cast<double>(o.candidate_total),
              static_cast<double>(o.reference_total));
}

double rouge_l(std::string_view candidate, std::string_view reference) {
    const auto c = word_tokens(candidate);
    const auto r = word_tokens(reference);
    if (c.empty() && r.empty()) return 1.0;
    return f1(static_cast<double>(lcs_length(c, r)), static_cast<double>(c.size()),
              static_cast<double>(r.size()));
}

double bleu(std::string_view candidate, std::string_view reference) {
    const auto c = word_tokens(candidate);
    const auto r = word_tokens(reference);
    if (c.empty() && r.empty()) return 1.0;
    if (c.empty() || r.empty()) return 0.0;
    double log_sum = 0.0;
    for (size_t n = 1; n <= 4; ++n) {
        const Overlap o = overlap(c, r, n);
        const double smooth = n == 1 ? 0.0 : 1.0;
        const double p =
            (static_cast<double>(o.matched) + smooth) / (static_cast<double>(o.candidate_total) + smooth);
        if (p == 0.0) return 0.0;  // no unigram in common
        log_sum += std::log(p) / 4.0;
    }
    const double cl = static_cast<double>(c.size());
    const double rl = static_cast<double>(r.size());
    const double brevity = cl >= rl ? 1.0 : std::exp(1.0 - rl / cl);
    return brevity * std::exp(log_sum);
}

double gleu(std::string_view candidate, std::string_view reference) {
    const auto c = word_tokens(candidate);
    const auto r = word_tokens(reference);
    if (c.empty() && r.empty()) return 1.0;
    Overlap total;
    for (size_t n = 1; n <= 4; ++n) {
        const Overlap o = overlap(c, r, n);
        total.matched += o.matched;
        total.candidate_total += o.candidate_total;
        total.reference_total += o.reference_total;
    }
    if (total.candidate_total == 0 || total.reference_total == 0) return 0.0;
    const double m = static_cast<double>(total.matched);
    return std::min(m / static_cast<double>(total.candidate_total),
                    m / static_cast<double>(total.reference_total));
}

double similarity(SimilarityMetric metric, std::string_view candidate, std::string_view reference) {
    switch (metric) {
        case SimilarityMetric::fuzzy_match:
            return fuzzy_ratio(candidate, reference);
        case SimilarityMetric::bleu:
            return bleu(candidate, reference);
        case SimilarityMetric::gleu:
            return gleu(candidate, reference);
        case SimilarityMetric::rouge_1:
            return rouge_n(candidate, reference, 1);
        case SimilarityMetric::rouge_2:
            return rouge_n(candidate, reference, 2);
        case SimilarityMetric::rouge_3:
            return rouge_n(candidate, reference, 3);
        case SimilarityMetric::rouge_4:
            return rouge_n(candidate, reference, 4);
        case SimilarityMetric::rouge_5:
            return rouge_n(candidate, reference, 5);
        case SimilarityMetric::rouge_l:
            return rouge_l(candidate, reference);
    }
    return 0.0;
}

}  // namespace evals
