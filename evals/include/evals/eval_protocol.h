// Fireworks eval-protocol rows (EvaluationRow, one JSON object per JSONL line):
// read, write, and map to and from Samples and scores.
//
// A row keeps everything it was read with (input_metadata, execution_metadata,
// tools, unknown fields, content parts), so writing it back changes only what
// was edited: typically evaluation_result after grading.
//
// Mapping (the one eval-protocol's OpenAI RFT adapter uses): the final assistant
// message is the response and the messages before it the conversation;
// ground_truth is the reference (a string as is, any other JSON as compact
// text); input_metadata.row_id is the sample id; the row's other fields are the
// sample's metadata ({{item.x}} in OpenAI grader templates).
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/json.h"
#include "engine/result.h"
#include "evals/checks.h"
#include "evals/judge.h"
#include "evals/rubric.h"
#include "evals/sample.h"

namespace evals {

struct MetricResult {
    double score = 0.0;  // [0, 1]
    bool is_score_valid = true;
    std::string reason;
};

struct EvaluateResult {
    double score = 0.0;
    bool is_score_valid = true;
    std::string reason;
    std::vector<std::pair<std::string, MetricResult>> metrics;
    engine::json::Value original;  // as read (step_outputs, error, ... stay); null when built here
};

struct EvaluationRow {
    std::vector<Message> messages;     // text view of the messages
    engine::json::Value ground_truth;  // any JSON; null when absent
    std::optional<EvaluateResult> evaluation_result;
    engine::json::Value original;  // the row as read; null for rows built here
};

engine::Result<EvaluationRow> evaluation_row_from_json(const engine::json::Value& value);
engine::json::Value evaluation_row_to_json(const EvaluationRow& row);

// JSONL: blank lines are skipped; errors name the 1-based line.
engine::Result<std::vector<EvaluationRow>> read_evaluation_rows(std::string_view jsonl);
std::string write_evaluation_rows(std::span<const EvaluationRow> rows);  // compact, one row per line

Sample sample_from_evaluation_row(const EvaluationRow& row);
// The conversation plus the response as the final assistant message, the reference as ground_truth
// and the id as input_metadata.row_id.
EvaluationRow evaluation_row_from_sample(const Sample& sample);

// Scores as evaluation results: a check's parts become metrics named by their spec; a judgment
// becomes the verdict's reward with the rationale as reason (an unparsed verdict is an invalid score).
EvaluateResult evaluate_result_from_check(const Check& check, const CheckResult& result);
EvaluateResult evaluate_result_from_judgment(const Rubric& rubric, const Judgment& judgment);

}  // namespace evals
