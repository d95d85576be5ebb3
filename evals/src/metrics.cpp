#include "evals/metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <string>

#include "string_cat.h"

namespace evals {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double ratio(double num, double den) { return den == 0.0 ? kNaN : num / den; }

engine::Status check_lengths(size_t a, size_t b, const char* where) {
    if (a != b) {
        return engine::make_error(detail::cat("[metrics] ", where, ": ", std::to_string(a),
                                              " reference labels but ", std::to_string(b), " predicted"));
    }
    if (a == 0) return engine::make_error(detail::cat("[metrics] ", where, ": no items"));
    return {};
}

}  // namespace

engine::Result<BinaryMetrics> binary_metrics(std::span<const int> reference, std::span<const int> predicted) {
    ENGINE_TRY(check_lengths(reference.size(), predicted.size(), "binary_metrics"));
    BinaryMetrics m;
    BinaryConfusion& c = m.confusion;
    for (size_t i = 0; i < reference.size(); ++i) {
        const int r = reference[i];
        const int p = predicted[i];
        if ((r != 0 && r != 1) || (p != 0 && p != 1)) {
            return engine::make_error(detail::cat("[metrics] binary_metrics: item ", std::to_string(i),
                                                  " has labels ", std::to_string(r), "/", std::to_string(p),
                                                  "; binary labels are 0 or 1"));
        }
        if (r == 1 && p == 1) ++c.tp;
        if (r == 0 && p == 1) ++c.fp;
        if (r == 1 && p == 0) ++c.fn;
        if (r == 0 && p == 0) ++c.tn;
    }
    const double n = static_cast<double>(c.total());
    const auto tp = static_cast<double>(c.tp);
    m.accuracy = static_cast<double>(c.tp + c.tn) / n;
    m.precision = ratio(tp, static_cast<double>(c.tp + c.fp));
    m.recall = ratio(tp, static_cast<double>(c.tp + c.fn));
    if (std::isnan(m.precision) || std::isnan(m.recall)) {
        m.f1 = kNaN;
    } else {
        m.f1 = m.precision + m.recall == 0.0 ? 0.0 : 2 * m.precision * m.recall / (m.precision + m.recall);
    }
    ConfusionMatrix matrix;
    matrix.counts = {{c.tn, c.fp}, {c.fn, c.tp}};
    m.kappa = cohens_kappa(matrix);
    return m;
}

engine::Result<ConfusionMatrix> confusion_matrix(std::span<const int> reference,
                                                 std::span<const int> predicted, int min_label,
                                                 int max_label) {
    ENGINE_TRY(check_lengths(reference.size(), predicted.size(), "confusion_matrix"));
    if (max_label < min_label || max_label - min_label > 1000) {
        return engine::make_error(detail::cat("[metrics] confusion_matrix: bad label range [",
                                              std::to_string(min_label), ", ", std::to_string(max_label),
                                              "]"));
    }
    ConfusionMatrix m;
    m.min_label = min_label;
    const auto k = static_cast<size_t>(max_label - min_label + 1);
    m.counts.assign(k, std::vector<int64_t>(k, 0));
    for (size_t i = 0; i < reference.size(); ++i) {
        const int r = reference[i];
        const int p = predicted[i];
        if (r < min_label || r > max_label || p < min_label || p > max_label) {
            return engine::make_error(detail::cat("[metrics] confusion_matrix: item ", std::to_string(i),
                                                  " has labels ", std::to_string(r), "/", std::to_string(p),
                                                  " outside [", std::to_string(min_label), ", ",
                                                  std::to_string(max_label), "]"));
        }
        ++m.counts[static_cast<size_t>(r - min_label)][static_cast<size_t>(p - min_label)];
    }
    return m;
}

double accuracy(const ConfusionMatrix& matrix) {
    int64_t diagonal = 0;
    int64_t total = 0;
    for (size_t r = 0; r < matrix.size(); ++r) {
        for (size_t p = 0; p < matrix.size(); ++p) total += matrix.counts[r][p];
        diagonal += matrix.counts[r][r];
    }
    return ratio(static_cast<double>(diagonal), static_cast<double>(total));
}

double cohens_kappa(const ConfusionMatrix& matrix) {
    const size_t k = matrix.size();
    std::vector<double> row(k, 0.0);
    std::vector<double> col(k, 0.0);
    double total = 0.0;
    double diagonal = 0.0;
    for (size_t r = 0; r < k; ++r) {
        for (size_t p = 0; p < k; ++p) {
            const auto c = static_cast<double>(matrix.counts[r][p]);
            row[r] += c;
            col[p] += c;
            total += c;
        }
        diagonal += static_cast<double>(matrix.counts[r][r]);
    }
    if (total == 0.0) return kNaN;
    const double observed = diagonal / total;
    double chance = 0.0;
    for (size_t i = 0; i < k; ++i) chance += (row[i] / total) * (col[i] / total);
    if (chance >= 1.0) return kNaN;
    return (observed - chance) / (1.0 - chance);
}

double mean_absolute_error(std::span<const double> a, std::span<const double> b) {
    double sum = 0.0;
    for (size_t i = 0; i < a.size(); ++i) sum += std::fabs(a[i] - b[i]);
    return ratio(sum, static_cast<double>(a.size()));
}

std::vector<double> average_ranks(std::span<const double> values) {
    std::vector<size_t> order(values.size());
    std::iota(order.begin(), order.end(), size_t{0});
    std::stable_sort(order.begin(), order.end(), [&](size_t x, size_t y) { return values[x] < values[y]; });
    std::vector<double> ranks(values.size());
    size_t i = 0;
    while (i < order.size()) {
        size_t j = i;
        while (j + 1 < order.size() && values[order[j + 1]] == values[order[i]]) ++j;
        // Positions i..j (0-based) share the mean of ranks i+1..j+1.
        const double rank = (static_cast<double>(i + 1) + static_cast<double>(j + 1)) / 2.0;
        for (size_t t = i; t <= j; ++t) ranks[order[t]] = rank;
        i = j + 1;
    }
    return ranks;
}

double pearson(std::span<const double> a, std::span<const double> b) {
    const auto n = static_cast<double>(a.size());
    if (a.empty()) return kNaN;
    const double ma = std::accumulate(a.begin(), a.end(), 0.0) / n;
    const double mb = std::accumulate(b.begin(), b.end(), 0.0) / n;
    double sab = 0.0, saa = 0.0, sbb = 0.0;
    for (size_t i = 0; i < a.size(); ++i) {
        sab += (a[i] - ma) * (b[i] - mb);
        saa += (a[i] - ma) * (a[i] - ma);
        sbb += (b[i] - mb) * (b[i] - mb);
    }
    if (saa == 0.0 || sbb == 0.0) return kNaN;
    return sab / std::sqrt(saa * sbb);
}

double spearman(std::span<const double> a, std::span<const double> b) {
    const std::vector<double> ra = average_ranks(a);
    const std::vector<double> rb = average_ranks(b);
    return pearson(ra, rb);
}

double kendall_tau_b(std::span<const double> a, std::span<const double> b) {
    // n0 - n1 = pairs not tied in a, n0 - n2 = pairs not tied in b.
    int64_t concordant = 0, discordant = 0, untied_a = 0, untied_b = 0;
    for (size_t i = 0; i < a.size(); ++i) {
        for (size_t j = i + 1; j < a.size(); ++j) {
            const double da = a[i] - a[j];
            const double db = b[i] - b[j];
            if (da != 0.0) ++untied_a;
            if (db != 0.0) ++untied_b;
            if (da * db > 0.0) ++concordant;
            if (da * db < 0.0) ++discordant;
        }
    }
    const double den = std::sqrt(static_cast<double>(untied_a) * static_cast<double>(untied_b));
    return ratio(static_cast<double>(concordant - discordant), den);
}

engine::Result<OrdinalMetrics> ordinal_metrics(std::span<const double> reference,
                                               std::span<const double> predicted) {
    ENGINE_TRY(check_lengths(reference.size(), predicted.size(), "ordinal_metrics"));
    size_t exact = 0, near = 0;
    for (size_t i = 0; i < reference.size(); ++i) {
        if (!std::isfinite(reference[i]) || !std::isfinite(predicted[i])) {
            return engine::make_error(detail::cat("[metrics] ordinal_metrics: item ", std::to_string(i),
                                                  " is not a finite number"));
        }
        const double d = std::fabs(reference[i] - predicted[i]);
        exact += d == 0.0 ? 1 : 0;
        near += d <= 1.0 ? 1 : 0;
    }
    const auto n = static_cast<double>(reference.size());
    OrdinalMetrics m;
    m.mae = mean_absolute_error(reference, predicted);
    m.exact_agreement = static_cast<double>(exact) / n;
    m.within_one = static_cast<double>(near) / n;
    m.spearman = spearman(reference, predicted);
    m.kendall_tau_b = kendall_tau_b(reference, predicted);
    return m;
}

}  // namespace evals
