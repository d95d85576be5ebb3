#include "evals/calibration.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>

#include "string_cat.h"

namespace evals {

namespace json = engine::json;
using detail::cat;

namespace {

// Scores as category indices for the confusion matrix: pass_fail fail=0 pass=1; ordinal the score
// itself; pairwise A=0, B=1, tie=2.
int category(const Rubric& rubric, double score) {
    if (rubric.scale == Scale::pairwise) return score > 0.75 ? 0 : score < 0.25 ? 1 : 2;
    return static_cast<int>(std::lround(score));
}

engine::Status check_score(const Rubric& rubric, double score, const std::string& trace_id, const char* who) {
    auto back = score_from_json(rubric, score_to_json(rubric, score));
    if (!back.ok() || *back != score) {
        return engine::make_error(cat("[calibration] trace '", trace_id, "': ", who, " score ",
                                      json::dump(json::Value(score)), " does not fit the ",
                                      scale_name(rubric.scale), " scale of rubric '", rubric.name, "'"));
    }
    return {};
}

struct Agreement {
    double agreement = 0.0;
    double kappa = 0.0;
    double primary = 0.0;
    ConfusionMatrix confusion;
    std::optional<BinaryMetrics> binary;
    std::optional<OrdinalMetrics> ordinal;
};

engine::Result<Agreement> agreement_of(const Rubric& rubric,
                                       const std::vector<const LabelledJudgment*>& items) {
    std::vector<int> human_cat, judge_cat;
    std::vector<double> human, judge;
    for (const LabelledJudgment* j : items) {
        human.push_back(j->human_score);
        judge.push_back(j->judge.score);
        human_cat.push_back(category(rubric, j->human_score));
        judge_cat.push_back(category(rubric, j->judge.score));
    }
    const int lo = rubric.scale == Scale::pairwise ? 0 : static_cast<int>(scale_min(rubric));
    const int hi = rubric.scale == Scale::pairwise ? 2 : static_cast<int>(scale_max(rubric));
    auto confusion = confusion_matrix(human_cat, judge_cat, lo, hi);
    if (!confusion.ok()) return confusion.error();
    Agreement a;
    a.confusion = std::move(*confusion);
    a.agreement = accuracy(a.confusion);
    a.kappa = cohens_kappa(a.confusion);
    a.primary = a.kappa;
    if (rubric.scale == Scale::pass_fail) {
        auto binary = binary_metrics(human_cat, judge_cat);
        if (!binary.ok()) return binary.error();
        a.binary = *binary;
    } else if (is_ordinal(rubric)) {
        auto ordinal = ordinal_metrics(human, judge);
        if (!ordinal.ok()) return ordinal.error();
        a.ordinal = *ordinal;
        a.primary = ordinal->spearman;
    }
    return a;
}

json::Value number_or_null(double d) { return std::isfinite(d) ? json::Value(d) : json::Value(); }

std::string fixed2(double d) {
    if (std::isnan(d)) return "undefined";
    char buffer[32];
    std::snprintf(buffer, sizeof(buffer), "%.2f", d);
    return buffer;
}

}  // namespace

std::string_view agreement_metric_name(AgreementMetric metric) {
    switch (metric) {
        case AgreementMetric::kappa:
            return "kappa";
        case AgreementMetric::accuracy:
            return "accuracy";
        case AgreementMetric::spearman:
            return "spearman";
        case AgreementMetric::kendall:
            return "kendall";
    }
    return "?";
}

engine::Result<CalibrationReport> calibrate(const Rubric& rubric, std::span<const LabelledJudgment> judgments,
                                            const CalibrationOptions& options) {
    ENGINE_TRY(validate_rubric(rubric));
    std::map<int, std::vector<const LabelledJudgment*>> by_version;
    for (const LabelledJudgment& j : judgments) {
        ENGINE_TRY(check_score(rubric, j.human_score, j.trace_id, "human"));
        ENGINE_TRY(check_score(rubric, j.judge.score, j.trace_id, "judge"));
        by_version[j.rubric_version].push_back(&j);
    }
    auto current = by_version.find(rubric.version);
    if (current == by_version.end()) {
        std::string present;
        for (const auto& entry : by_version)
            present += cat(present.empty() ? "" : ", ", "v", std::to_string(entry.first));
        return engine::make_error(cat("[calibration] no labelled judgments for rubric '", rubric.name, "' v",
                                      std::to_string(rubric.version),
                                      " (present: ", present.empty() ? std::string("none") : present, ")"));
    }
    CalibrationReport report;
    report.rubric_name = rubric.name;
    report.rubric_version = rubric.version;
    report.scale = rubric.scale;
    report.n = current->second.size();
    report.primary_metric = is_ordinal(rubric) ? AgreementMetric::spearman : AgreementMetric::kappa;
    auto agreement = agreement_of(rubric, current->second);
    if (!agreement.ok()) return agreement.error();
    report.primary = agreement->primary;
    report.agreement = agreement->agreement;
    report.kappa = agreement->kappa;
    report.binary = agreement->binary;
    report.ordinal = agreement->ordinal;
    report.confusion = agreement->confusion;
    for (size_t c = 0; c < report.confusion.size(); ++c) {
        if (rubric.scale == Scale::pass_fail) {
            report.labels.push_back(c == 0 ? "fail" : "pass");
        } else if (rubric.scale == Scale::pairwise) {
            report.labels.push_back(c == 0 ? "A" : c == 1 ? "B" : "tie");
        } else {
            report.labels.push_back(std::to_string(report.confusion.min_label + static_cast<int>(c)));
        }
    }
    const double tolerance = is_ordinal(rubric) ? options.ordinal_tolerance : 0.0;
    for (const LabelledJudgment* j : current->second) {
        if (std::fabs(j->human_score - j->judge.score) > tolerance) {
            report.disagreements.push_back(
                {j->trace_id, j->human_score, j->judge.score, j->human_critique, j->judge.rationale});
        }
    }
    std::stable_sort(report.disagreements.begin(), report.disagreements.end(),
                     [](const Disagreement& a, const Disagreement& b) {
                         const double ga = std::fabs(a.human_score - a.judge_score);
                         const double gb = std::fabs(b.human_score - b.judge_score);
                         return ga != gb ? ga > gb : a.trace_id < b.trace_id;
                     });
    for (const auto& [version, items] : by_version) {
        auto point = agreement_of(rubric, items);
        if (!point.ok()) return point.error();
        report.trend.push_back({version, items.size(), point->agreement, point->primary});
    }
    return report;
}

json::Value calibration_report_to_json(const CalibrationReport& r) {
    json::Object o;
    o.set("rubric", r.rubric_name);
    o.set("rubric_version", r.rubric_version);
    o.set("scale", std::string(scale_name(r.scale)));
    o.set("n", static_cast<int64_t>(r.n));
    o.set("primary_metric", std::string(agreement_metric_name(r.primary_metric)));
    o.set("primary", number_or_null(r.primary));
    o.set("agreement", number_or_null(r.agreement));
    o.set("kappa", number_or_null(r.kappa));
    if (r.binary) {
        json::Object b;
        b.set("accuracy", number_or_null(r.binary->accuracy));
        b.set("precision", number_or_null(r.binary->precision));
        b.set("recall", number_or_null(r.binary->recall));
        b.set("f1", number_or_null(r.binary->f1));
        b.set("kappa", number_or_null(r.binary->kappa));
        json::Object c;
        c.set("tp", r.binary->confusion.tp);
        c.set("fp", r.binary->confusion.fp);
        c.set("fn", r.binary->confusion.fn);
        c.set("tn", r.binary->confusion.tn);
        b.set("confusion", std::move(c));
        o.set("binary", std::move(b));
    }
    if (r.ordinal) {
        json::Object m;
        m.set("mae", number_or_null(r.ordinal->mae));
        m.set("exact_agreement", number_or_null(r.ordinal->exact_agreement));
        m.set("within_one", number_or_null(r.ordinal->within_one));
        m.set("spearman", number_or_null(r.ordinal->spearman));
        m.set("kendall_tau_b", number_or_null(r.ordinal->kendall_tau_b));
        o.set("ordinal", std::move(m));
    }
    json::Array labels;
    for (const std::string& label : r.labels) labels.emplace_back(label);
    json::Array rows;
    for (const auto& row : r.confusion.counts) {
        json::Array cells;
        for (int64_t count : row) cells.emplace_back(count);
        rows.emplace_back(std::move(cells));
    }
    json::Object confusion;
    confusion.set("labels", std::move(labels));
    confusion.set("rows_human_columns_judge", std::move(rows));
    o.set("confusion", std::move(confusion));
    json::Array disagreements;
    for (const Disagreement& d : r.disagreements) {
        json::Object x;
        x.set("trace_id", d.trace_id);
        x.set("human_score", d.human_score);
        x.set("judge_score", d.judge_score);
        x.set("human_critique", d.human_critique);
        x.set("judge_rationale", d.judge_rationale);
        disagreements.emplace_back(std::move(x));
    }
    o.set("disagreements", std::move(disagreements));
    json::Array trend;
    for (const TrendPoint& t : r.trend) {
        json::Object x;
        x.set("rubric_version", t.rubric_version);
        x.set("n", static_cast<int64_t>(t.n));
        x.set("agreement", number_or_null(t.agreement));
        x.set("primary", number_or_null(t.primary));
        trend.emplace_back(std::move(x));
    }
    o.set("trend", std::move(trend));
    return o;
}

AgreementRequirement default_agreement_requirement(const Rubric& rubric) {
    AgreementRequirement requirement;
    requirement.metric = is_ordinal(rubric) ? AgreementMetric::spearman : AgreementMetric::kappa;
    return requirement;
}

engine::Status check_agreement(const CalibrationReport& report, const AgreementRequirement& requirement) {
    const std::string who =
        cat("[calibration] rubric '", report.rubric_name, "' v", std::to_string(report.rubric_version));
    if (report.n < requirement.min_items) {
        return engine::make_error(cat(who, " has ", std::to_string(report.n),
                                      " human-labelled traces; training needs at least ",
                                      std::to_string(requirement.min_items),
                                      " to trust the judge. Label more traces, or override the threshold."));
    }
    double value = std::nan("");
    switch (requirement.metric) {
        case AgreementMetric::kappa:
            value = report.kappa;
            break;
        case AgreementMetric::accuracy:
            value = report.agreement;
            break;
        case AgreementMetric::spearman:
            value = report.ordinal ? report.ordinal->spearman : std::nan("");
            break;
        case AgreementMetric::kendall:
            value = report.ordinal ? report.ordinal->kendall_tau_b : std::nan("");
            break;
    }
    const std::string metric(agreement_metric_name(requirement.metric));
    if (std::isnan(value)) {
        return engine::make_error(cat(
            who, ": ", metric, " is undefined on these ", std::to_string(report.n),
            " traces (one side gives a single score, or the metric does not apply to the ",
            scale_name(report.scale), " scale); training needs ", metric, " >= ", fixed2(requirement.minimum),
            ". Label traces of both outcomes, or override the threshold."));
    }
    if (value < requirement.minimum) {
        return engine::make_error(cat(who, " agrees with human labels at ", metric, " ", fixed2(value),
                                      " on ", std::to_string(report.n), " traces; training needs ", metric,
                                      " >= ", fixed2(requirement.minimum),
                                      ". Label more traces, revise the rubric, or override the threshold."));
    }
    return {};
}

}  // namespace evals
