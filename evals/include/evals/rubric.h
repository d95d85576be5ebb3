// Rubrics: what an LLM judge grades a response on, in plain language, on a
// fixed scale. Versioned: every judgment records the rubric name and version
// (and the judge model), so calibration can follow a rubric across versions.
//
// JSON form (rubric_to_json / rubric_from_json):
//   {"name": "helpfulness", "version": 2,
//    "instructions": "Does the answer solve the user's problem? ...",
//    "scale": "pass_fail" | "likert5" | "likert10" | "pairwise" | "range",
//    "range": [0, 100],                 (scale "range" only: integer bounds)
//    "use_reference": false,            (show the sample's reference answer to the judge)
//    "rationale_max_chars": 600,
//    "examples": [{"messages": [...], "response": "...", "response_b": "..." (pairwise),
//                  "reference": "...", "score": <as the judge writes it>, "rationale": "..."}]}
// Scores as the judge writes them (and as examples give them): "pass"/"fail";
// integers 1-5, 1-10 or within the range; "A"/"B"/"tie".
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/json.h"
#include "engine/result.h"
#include "evals/sample.h"

namespace evals {

enum class Scale { pass_fail, likert5, likert10, pairwise, range };

std::string_view scale_name(Scale scale);
std::optional<Scale> scale_from_name(std::string_view name);

// A judge's (or an example's) verdict. The score is numeric whatever the scale:
// pass_fail 1 / 0; likert and range the integer; pairwise 1 = A better, 0 = B
// better, 0.5 = tie.
struct Verdict {
    double score = 0.0;
    std::string rationale;
};

// A graded example shown to the judge before the real case ("anchors" the scale).
struct AnchorExample {
    std::vector<Message> messages;         // the conversation; may be empty
    std::string response;                  // the graded response (response A when pairwise)
    std::string response_b;                // pairwise only
    std::optional<std::string> reference;  // shown when the rubric uses references
    Verdict verdict;                       // the expected verdict
};

struct Rubric {
    std::string name;
    int version = 1;
    std::string instructions;
    Scale scale = Scale::pass_fail;
    int range_min = 0;  // scale == range only
    int range_max = 1;
    std::vector<AnchorExample> examples;
    bool use_reference = false;
    int rationale_max_chars = 600;
};

// Lowest and highest numeric score of the rubric's scale (pairwise: 0 and 1).
double scale_min(const Rubric& rubric);
double scale_max(const Rubric& rubric);
bool is_ordinal(const Rubric& rubric);  // likert5, likert10, range

// Name, version >= 1, instructions, a sane range (1 <= max - min <= 100), examples that fit the
// scale. Errors read "[rubric] 'name' v2: ...".
engine::Status validate_rubric(const Rubric& rubric);

engine::json::Value rubric_to_json(const Rubric& rubric);
engine::Result<Rubric> rubric_from_json(const engine::json::Value& value);  // validated

// A numeric score as the judge writes it, and back (with the range check).
engine::json::Value score_to_json(const Rubric& rubric, double score);
engine::Result<double> score_from_json(const Rubric& rubric, const engine::json::Value& value);

}  // namespace evals
