// Agreement metrics between two raters (a judge and humans, or a judge and a
// reference) on the same items.
//
// Undefined values are NaN, never a made-up number: precision with no predicted
// positives, recall with no actual positives, F1 when either of those is
// undefined (F1 is 0 when both are 0), kappa when chance agreement is 1 (both
// raters constant and equal), Spearman and Kendall when a rater is constant.
// Callers that gate on a metric (calibration thresholds) therefore refuse
// undefined agreement instead of passing it.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "engine/result.h"

namespace evals {

// Binary confusion matrix with `reference` (e.g. the human label) as the truth
// and `predicted` (e.g. the judge) as the prediction; 1 = positive (pass).
struct BinaryConfusion {
    int64_t tp = 0, fp = 0, fn = 0, tn = 0;
    int64_t total() const { return tp + fp + fn + tn; }
};

struct BinaryMetrics {
    BinaryConfusion confusion;
    double accuracy = 0.0;
    double precision = 0.0;
    double recall = 0.0;
    double f1 = 0.0;
    double kappa = 0.0;  // Cohen's kappa
};

// Labels must be 0 or 1, the spans of equal, non-zero length.
engine::Result<BinaryMetrics> binary_metrics(std::span<const int> reference, std::span<const int> predicted);

// Square confusion matrix over integer categories [min_label, max_label]:
// counts[r][p] = items with reference label min_label + r and predicted min_label + p.
struct ConfusionMatrix {
    int min_label = 0;
    std::vector<std::vector<int64_t>> counts;
    size_t size() const { return counts.size(); }
};

engine::Result<ConfusionMatrix> confusion_matrix(std::span<const int> reference,
                                                 std::span<const int> predicted, int min_label,
                                                 int max_label);
// Cohen's kappa of any square confusion matrix (unweighted; NaN when chance agreement is 1).
double cohens_kappa(const ConfusionMatrix& matrix);
double accuracy(const ConfusionMatrix& matrix);  // the diagonal share

struct OrdinalMetrics {
    double mae = 0.0;              // mean |reference - predicted|
    double exact_agreement = 0.0;  // share with reference == predicted
    double within_one = 0.0;       // share with |reference - predicted| <= 1
    double spearman = 0.0;         // rank correlation, ties get average ranks
    double kendall_tau_b = 0.0;    // tau-b (tie-corrected)
};

// Equal, non-zero length; values must be finite.
engine::Result<OrdinalMetrics> ordinal_metrics(std::span<const double> reference,
                                               std::span<const double> predicted);

double mean_absolute_error(std::span<const double> a, std::span<const double> b);  // equal lengths, n > 0
// Ranks 1..n, ties averaged (the ranks scipy.stats.rankdata gives by default).
std::vector<double> average_ranks(std::span<const double> values);
double pearson(std::span<const double> a, std::span<const double> b);
double spearman(std::span<const double> a, std::span<const double> b);
// O(n^2) pair count: fine for calibration sets (thousands of items).
double kendall_tau_b(std::span<const double> a, std::span<const double> b);

}  // namespace evals
