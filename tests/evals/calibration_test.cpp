// Calibration reports on fixtures of labelled traces (tests/data/evals/).
// Expected values are counted by hand from the fixtures (see the comments).
#include "evals/calibration.h"

#include <gtest/gtest.h>

#include <cmath>

namespace json = engine::json;

namespace {

struct Fixture {
    evals::Rubric rubric;
    std::vector<evals::LabelledJudgment> judgments;
};

// Fixture format: {"rubric": {...}, "judgments": [{"trace_id", "rubric_version", "judge_model",
// "human": {"score", "critique"}, "judge": {"score", "rationale"}}]}.
Fixture load(const std::string& name) {
    auto doc = json::parse_file(std::string(CRUCIBLE_TEST_DATA_DIR) + "/data/evals/" + name);
    EXPECT_TRUE(doc.ok()) << (doc.ok() ? "" : doc.error().message);
    Fixture f;
    auto rubric = evals::rubric_from_json((*doc)["rubric"]);
    EXPECT_TRUE(rubric.ok()) << (rubric.ok() ? "" : rubric.error().message);
    f.rubric = *rubric;
    for (const json::Value& row : (*doc)["judgments"].as_array()) {
        evals::LabelledJudgment j;
        j.trace_id = row["trace_id"].as_string();
        j.rubric_version = static_cast<int>(row["rubric_version"].as_int());
        j.judge_model = row["judge_model"].as_string();
        auto human = evals::score_from_json(f.rubric, row["human"]["score"]);
        auto judge = evals::score_from_json(f.rubric, row["judge"]["score"]);
        EXPECT_TRUE(human.ok() && judge.ok()) << j.trace_id;
        j.human_score = human.ok() ? *human : 0.0;
        j.human_critique = row["human"]["critique"].as_string();
        j.judge.score = judge.ok() ? *judge : 0.0;
        j.judge.rationale = row["judge"]["rationale"].as_string();
        f.judgments.push_back(std::move(j));
    }
    return f;
}

}  // namespace

TEST(Calibration, PassFailReport) {
    // calibration_pass_fail.json, rubric 'grounded' v2. Version 2 (t09..t20): human/judge pass-pass 5,
    // fail-pass 1, pass-fail 2, fail-fail 4. Accuracy 9/12; precision 5/6; recall 5/7;
    // F1 = 2PR/(P+R) = 10/13; chance agreement (7/12)(6/12) + (5/12)(6/12) = 1/2, kappa = 1/2.
    // Version 1 (t01..t08): 2 of each cell, accuracy 1/2, kappa 0.
    const Fixture f = load("calibration_pass_fail.json");
    auto report = evals::calibrate(f.rubric, f.judgments);
    ASSERT_TRUE(report.ok()) << report.error().message;
    EXPECT_EQ(report->rubric_name, "grounded");
    EXPECT_EQ(report->rubric_version, 2);
    EXPECT_EQ(report->n, 12u);
    ASSERT_TRUE(report->binary.has_value());
    EXPECT_FALSE(report->ordinal.has_value());
    EXPECT_EQ(report->binary->confusion.tp, 5);
    EXPECT_EQ(report->binary->confusion.fp, 1);
    EXPECT_EQ(report->binary->confusion.fn, 2);
    EXPECT_EQ(report->binary->confusion.tn, 4);
    EXPECT_DOUBLE_EQ(report->binary->accuracy, 0.75);
    EXPECT_NEAR(report->binary->precision, 5.0 / 6.0, 1e-15);
    EXPECT_NEAR(report->binary->recall, 5.0 / 7.0, 1e-15);
    EXPECT_NEAR(report->binary->f1, 10.0 / 13.0, 1e-15);
    EXPECT_NEAR(report->binary->kappa, 0.5, 1e-15);
    EXPECT_EQ(report->primary_metric, evals::AgreementMetric::kappa);
    EXPECT_NEAR(report->primary, 0.5, 1e-15);
    // Confusion rows human (fail, pass), columns judge.
    EXPECT_EQ(report->labels, (std::vector<std::string>{"fail", "pass"}));
    EXPECT_EQ(report->confusion.counts, (std::vector<std::vector<int64_t>>{{4, 1}, {2, 5}}));
    // Disagreements carry both sides' reasons.
    ASSERT_EQ(report->disagreements.size(), 3u);
    for (const evals::Disagreement& d : report->disagreements) {
        EXPECT_NE(d.human_score, d.judge_score);
        EXPECT_FALSE(d.human_critique.empty());
        EXPECT_FALSE(d.judge_rationale.empty());
    }
    EXPECT_EQ(report->disagreements[0].trace_id, "t14");  // fail-pass comes first in the fixture
    EXPECT_EQ(report->disagreements[0].human_critique, "Adds a date the reference does not give.");
    EXPECT_EQ(report->disagreements[0].judge_rationale, "All claims match the reference.");
    // Trend across versions, ascending.
    ASSERT_EQ(report->trend.size(), 2u);
    EXPECT_EQ(report->trend[0].rubric_version, 1);
    EXPECT_EQ(report->trend[0].n, 8u);
    EXPECT_DOUBLE_EQ(report->trend[0].agreement, 0.5);
    EXPECT_NEAR(report->trend[0].primary, 0.0, 1e-15);
    EXPECT_EQ(report->trend[1].rubric_version, 2);
    EXPECT_NEAR(report->trend[1].primary, 0.5, 1e-15);

    const json::Value j = evals::calibration_report_to_json(*report);
    EXPECT_EQ(j["n"], json::Value(12));
    EXPECT_EQ(j["binary"]["confusion"]["fn"], json::Value(2));
    EXPECT_EQ(j["disagreements"].size(), 3u);
    EXPECT_EQ(j["trend"][1]["rubric_version"], json::Value(2));
}

TEST(Calibration, LikertReport) {
    // calibration_likert.json: human [1,2,2,3,3,5], judge [2,1,2,3,3,4] (hand-computed in
    // metrics_test: Spearman 14.25/16.5, Kendall tau-b 10/13). MAE (1+1+0+0+0+1)/6; 3 exact.
    const Fixture f = load("calibration_likert.json");
    auto report = evals::calibrate(f.rubric, f.judgments);
    ASSERT_TRUE(report.ok()) << report.error().message;
    ASSERT_TRUE(report->ordinal.has_value());
    EXPECT_FALSE(report->binary.has_value());
    EXPECT_DOUBLE_EQ(report->ordinal->mae, 0.5);
    EXPECT_DOUBLE_EQ(report->ordinal->exact_agreement, 0.5);
    EXPECT_DOUBLE_EQ(report->ordinal->within_one, 1.0);
    EXPECT_NEAR(report->ordinal->spearman, 14.25 / 16.5, 1e-15);
    EXPECT_NEAR(report->ordinal->kendall_tau_b, 10.0 / 13.0, 1e-15);
    EXPECT_EQ(report->primary_metric, evals::AgreementMetric::spearman);
    EXPECT_EQ(report->labels, (std::vector<std::string>{"1", "2", "3", "4", "5"}));
    EXPECT_EQ(report->confusion.counts[0][1], 1);  // human 1, judge 2
    EXPECT_EQ(report->confusion.counts[4][3], 1);  // human 5, judge 4
    EXPECT_EQ(report->disagreements.size(), 3u);
    evals::CalibrationOptions tolerant;
    tolerant.ordinal_tolerance = 1.0;
    EXPECT_TRUE(evals::calibrate(f.rubric, f.judgments, tolerant)->disagreements.empty());
}

TEST(Calibration, AgreementThresholdRefusesTraining) {
    const Fixture f = load("calibration_pass_fail.json");
    auto report = evals::calibrate(f.rubric, f.judgments);
    ASSERT_TRUE(report.ok());
    evals::AgreementRequirement requirement = evals::default_agreement_requirement(f.rubric);
    EXPECT_EQ(requirement.metric, evals::AgreementMetric::kappa);
    // 12 labelled traces are below the default minimum of 20.
    auto few = evals::check_agreement(*report, requirement);
    ASSERT_FALSE(few.ok());
    EXPECT_NE(few.error().message.find("12 human-labelled traces"), std::string::npos) << few.error().message;
    requirement.min_items = 10;
    auto weak = evals::check_agreement(*report, requirement);
    ASSERT_FALSE(weak.ok());
    EXPECT_NE(
        weak.error().message.find("rubric 'grounded' v2 agrees with human labels at kappa 0.50 on 12 traces; "
                                  "training needs kappa >= 0.60"),
        std::string::npos)
        << weak.error().message;
    requirement.minimum = 0.5;
    EXPECT_TRUE(evals::check_agreement(*report, requirement).ok());
    requirement.metric = evals::AgreementMetric::accuracy;
    requirement.minimum = 0.8;
    EXPECT_FALSE(evals::check_agreement(*report, requirement).ok());
    // Spearman does not apply to a pass/fail rubric: undefined, refused.
    requirement.metric = evals::AgreementMetric::spearman;
    requirement.minimum = 0.1;
    auto undefined = evals::check_agreement(*report, requirement);
    ASSERT_FALSE(undefined.ok());
    EXPECT_NE(undefined.error().message.find("undefined"), std::string::npos);
}

TEST(Calibration, InputErrors) {
    Fixture f = load("calibration_pass_fail.json");
    evals::Rubric newer = f.rubric;
    newer.version = 3;
    auto missing = evals::calibrate(newer, f.judgments);
    ASSERT_FALSE(missing.ok());
    EXPECT_NE(
        missing.error().message.find("no labelled judgments for rubric 'grounded' v3 (present: v1, v2)"),
        std::string::npos)
        << missing.error().message;
    f.judgments[3].human_score = 0.5;
    auto bad = evals::calibrate(f.rubric, f.judgments);
    ASSERT_FALSE(bad.ok());
    EXPECT_NE(bad.error().message.find("trace 't04': human score 0.5 does not fit the pass_fail scale"),
              std::string::npos)
        << bad.error().message;
}
