// OpenAI grader definitions (RFT `grader`, Evals `testing_criteria`): import,
// export, and running them on samples.
//
// Import keeps the JSON as given, so export writes back exactly what came in
// (unknown fields and key order included) plus any edits to the typed fields.
//
// Supported here:
//   string_check     eq, ne (case-sensitive), like (input contains reference), ilike (ignoring case);
//                    1 or 0
//   text_similarity  fuzzy_match, bleu, gleu, rouge_1..rouge_5, rouge_l (similarity.h); cosine
//                    (embeddings) and meteor (WordNet) import and export but cannot run: grading
//                    them is an error that says so
//   score_model      run through a caller-supplied ScoreModelRunner (a local judge), or converted to a
//                    Rubric (score_model_to_rubric) and judged like any rubric
//   multi            calculate_output over the sub-graders' scores: numbers, sub-grader names,
//                    + - * / ^, parentheses, unary minus, and min, max, abs, floor, ceil, sqrt, exp,
//                    log (natural); anything else is an import error
//   label_model, python   import and export only (no embedded Python; label_model has no local
//                    mapping yet): grading them is an error
//
// Templates: "{{ item.path }}" and "{{ sample.path }}" (dotted keys; numeric segments index arrays).
//   item    the sample's metadata object, plus "reference_answer" (the sample's reference) and
//           "messages" (its conversation) unless the metadata has those keys
//   sample  "output_text" (the response) and "output_json" (the response parsed as JSON; null when
//           it is not JSON)
// A missing path renders as "" (a model that wrote no JSON fails an output_json check, it does not
// abort the run); strings render as themselves, other values as compact JSON. Any other namespace
// is an import error.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/json.h"
#include "engine/result.h"
#include "evals/rubric.h"
#include "evals/sample.h"

namespace evals {

enum class GraderType { string_check, text_similarity, score_model, label_model, python, multi };

std::string_view grader_type_name(GraderType type);

struct Grader {
    GraderType type = GraderType::string_check;
    std::string name;
    // string_check, text_similarity
    std::string input;      // template
    std::string reference;  // template
    std::string operation;  // string_check: eq, ne, like, ilike
    std::string metric;     // text_similarity: evaluation_metric
    std::optional<double> pass_threshold;
    // score_model, label_model
    std::string model;
    std::vector<Message> messages;  // input messages; content is a template
    double range_min = 0.0;         // score_model "range" (default [0, 1])
    double range_max = 1.0;
    engine::json::Value sampling_params;  // as given (null when absent)
    // multi: the sub-graders, in order; each one's `key` names it in calculate_output
    std::vector<Grader> graders;
    std::string calculate_output;
    std::string key;  // its key in the parent's "graders" object (empty: the name is used)
    // The JSON as imported (null for graders built in code).
    engine::json::Value original;
};

// Errors name the grader path ("[openai_graders] icd_reward.graders.exact: ...").
engine::Result<Grader> grader_from_json(const engine::json::Value& value);
engine::json::Value grader_to_json(const Grader& grader);

// Ok when grade() can run the grader (and all its sub-graders) with a score-model runner.
engine::Status grader_supported(const Grader& grader);

// Renders a template against a sample (see above).
engine::Result<std::string> render_template(std::string_view text, const Sample& sample);

// Scores a score_model grader: gets the grader and its input messages rendered for the sample, and
// returns a score within the grader's range.
using ScoreModelRunner =
    std::function<engine::Result<double>(const Grader& grader, const std::vector<Message>& rendered_input)>;

struct GraderResult {
    double score = 0.0;
    std::optional<bool> passed;  // when the grader has a pass_threshold (string_check: score == 1)
    std::vector<std::pair<std::string, double>> sub_scores;  // multi: each sub-grader by name
};

engine::Result<GraderResult> grade(const Grader& grader, const Sample& sample,
                                   const ScoreModelRunner& runner = {});

// score_model -> Rubric: the input messages become the instructions ({{sample.output_text}} reads
// "<response>" and {{item.reference_answer}} "<reference_answer>", the blocks the judge prompt
// shows); range [0,1] -> pass_fail, [1,5] -> likert5, [1,10] -> likert10, other integer ranges ->
// range; a reference template turns use_reference on. Fractional ranges are an error.
engine::Result<Rubric> score_model_to_rubric(const Grader& grader);
// Rubric -> score_model for `model` (pairwise rubrics have no score_model form: error).
engine::Result<Grader> rubric_to_score_model(const Rubric& rubric, std::string_view model);

// An OpenAI Evals JSONL run-data row {"item": {...}, "sample": {"output_text": ...}} as a Sample
// (item -> metadata; item.reference_answer -> reference; item.messages -> messages).
engine::Result<Sample> sample_from_openai_row(const engine::json::Value& row);

}  // namespace evals
