// From a rubric and a sample to the judge model's chat messages, the JSON schema
// its verdict is decoded under, and back from its output to a Verdict.
//
// Prompt layout (chat messages for the judge's own chat template):
//   system     the judge's role, the rubric (name, version, instructions), the
//              scale, whether a reference answer is given, and the output format
//   user/assistant pairs   one per anchored example: the example case, then its
//              expected verdict as the JSON the judge must write (few-shot turns
//              teach the format and calibrate the scale better than prose)
//   user       the case: <conversation> (each message as <message role="...">),
//              <response> (pairwise: <response_a> and <response_b>), and
//              <reference_answer> when the rubric uses one
//
// Verdict schema: {"rationale": string (maxLength rationale_max_chars),
// "score": ...}, both required, no other properties, rationale FIRST so the
// model reasons before it commits to a score. "score" is
//   pass_fail  {"type":"string","enum":["pass","fail"]}
//   likert5/10, range  {"type":"integer","minimum":lo,"maximum":hi}
//   pairwise   {"type":"string","enum":["A","B","tie"]}
#pragma once

#include <string_view>
#include <vector>

#include "engine/json.h"
#include "engine/result.h"
#include "evals/rubric.h"
#include "evals/sample.h"

namespace evals {

// Errors when the rubric uses a reference and the sample has none, or when the rubric is pairwise
// (use build_pairwise_messages).
engine::Result<std::vector<Message>> build_judge_messages(const Rubric& rubric, const Sample& sample);

// Pairwise rubrics: `sample` gives the conversation and reference; the two responses are labelled A
// and B in the order given (swap them for the second pass; see pairwise.h).
engine::Result<std::vector<Message>> build_pairwise_messages(const Rubric& rubric, const Sample& sample,
                                                             std::string_view response_a,
                                                             std::string_view response_b);

engine::json::Value verdict_schema(const Rubric& rubric);

// Parses the judge's output. The whole text should be the verdict object (constrained decoding makes
// it so); without a constraint, the first {...} object in the text is used (models like to wrap JSON
// in prose or code fences). Errors say what was wrong and quote the start of the output.
engine::Result<Verdict> parse_verdict(const Rubric& rubric, std::string_view text);

// The verdict as the JSON object the judge writes ({"rationale", "score"}).
engine::json::Value verdict_to_json(const Rubric& rubric, const Verdict& verdict);

// The verdict as a reward in [0, 1]: (score - min) / (max - min); pass = 1, fail = 0; pairwise: the
// preference for A.
double verdict_reward(const Rubric& rubric, const Verdict& verdict);

}  // namespace evals
