// Programmatic checks: deterministic scores in [0, 1] for a response, with a
// pass flag and a short explanation. They are rewards on their own and parts of
// composites (weighted sums, all/any gates, "gate then score").
//
// Leaf checks (the spec name, then what it does):
//   regex:P / not_regex:P      PCRE2 pattern P (UTF-8) found / not found anywhere in the response
//                              (anchor with ^ and $; (?i) for case-insensitive)
//   contains:T / icontains:T   the response contains T (icontains: ignoring case)
//   not_contains:T / not_icontains:T
//   json_valid                 the whole response (surrounding whitespace allowed) is one JSON value
//   json_schema:S              ...and it satisfies the JSON schema S (see json_schema.h for the subset)
//   max_chars:N, min_chars:N   length in Unicode code points
//   max_words:N, min_words:N   whitespace-separated words
//   max_tokens:N, min_tokens:N tokens, counted by CheckContext::count_tokens (an error without one)
//   exact / exact:T            the response equals the sample's reference (or T) byte for byte
//   normalized / normalized:T  equal after normalize_text() (case, whitespace, punctuation; text.h)
//   fuzzy_match, bleu, gleu, rouge_1 .. rouge_5, rouge_l (each also with :T)
//                              similarity to the reference (or T; similarity.h); a graded score,
//                              passing at >= pass_threshold (default 0.5)
// Leaves score 1 (pass) or 0 (fail) except the similarity metrics.
//
// Composites:
//   a + b + c                  weighted mean: sum(w_i * score_i) / sum(w_i); a term without a weight
//                              has weight 1. Passes when every part passes.
//   0.7*a + 0.3*b              weights are positive numbers and relative (0.7/0.3 and 7/3 agree)
//   all(a, b, ...)             score = the lowest part score; passes when every part passes
//   any(a, b, ...)             score = the highest part score; passes when some part passes
//   gate(g)*a                  the score of `a` when `g` passes, else 0 (passes when both pass);
//                              several gates may precede one check: gate(g1)*gate(g2)*a
//   (a + b)                    grouping: gate(json_valid)*(0.5*a + 0.5*b)
// `*` binds tighter than `+`; a term is an optional weight, any gates and one check, in any order.
//
// Arguments (after the ':'):
//   - N is a non-negative integer.
//   - S is a JSON object, read up to its closing brace (so it may sit inside composites).
//   - P and T are either quoted, "..." or '...', where only \" (resp. \') and \\ are escapes and
//     every other backslash is kept (so regex:"^\d+$" reads naturally), or unquoted, which takes the
//     REST OF THE SPEC verbatim: regex:^\d+$ is one check; inside a composite quote the argument:
//     gate(contains:"{")*max_words:50, or put the check last: 0.5*json_valid+0.5*contains:yes.
// Whitespace between tokens is ignored. Parse errors name the offset and what was expected.
//
// The same checks as JSON (check_from_json / check_to_json), for stored definitions:
//   {"type":"regex","pattern":"^\\d+$","negate":false}
//   {"type":"contains","text":"foo","case_sensitive":true,"negate":false}
//   {"type":"json_valid"}     {"type":"json_schema","schema":{...}}
//   {"type":"length","unit":"chars"|"words"|"tokens","min":1,"max":30}   (min and/or max)
//   {"type":"exact","expected":"..."}   ("expected" optional: the reference when absent)
//   {"type":"normalized","expected":"...","case_fold":true,"collapse_whitespace":true,
//    "strip_punctuation":true,"strip_accents":false}
//   {"type":"similarity","metric":"fuzzy_match","expected":"..."}
//   {"type":"weighted","parts":[{"weight":0.7,"check":{...}},...]}
//   {"type":"all","checks":[...]}   {"type":"any","checks":[...]}
//   {"type":"gate","gate":{...},"then":{...}}
// Every kind also takes "pass_threshold" (the check passes when its score >= the threshold,
// replacing the default rule above).
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/json.h"
#include "engine/result.h"
#include "evals/json_schema.h"
#include "evals/sample.h"
#include "evals/similarity.h"
#include "evals/text.h"

namespace evals {

namespace detail {
class Regex;
}

enum class CheckKind {
    regex,
    contains,
    json_valid,
    json_schema,
    length,
    exact,
    normalized,
    similarity,
    weighted,
    all,
    any,
    gate,
};

enum class LengthUnit { chars, words, tokens };

struct Check {
    CheckKind kind = CheckKind::json_valid;
    bool negate = false;                  // regex, contains
    bool case_sensitive = true;           // contains
    std::string text;                     // regex pattern, contains needle
    std::optional<std::string> expected;  // exact / normalized / similarity; nullopt = the reference
    LengthUnit unit = LengthUnit::chars;  // length
    std::optional<int64_t> min, max;      // length bounds (inclusive)
    NormalizeOptions normalize;           // normalized
    SimilarityMetric metric = SimilarityMetric::fuzzy_match;  // similarity
    std::vector<Check> parts;                       // weighted/all/any: the parts; gate: {gate, then}
    std::vector<double> weights;                    // weighted: one per part, > 0
    std::optional<double> pass_threshold;           // overrides the kind's pass rule
    std::optional<JsonSchema> schema;               // json_schema (compiled)
    std::shared_ptr<const detail::Regex> compiled;  // regex (compiled)
};

// Builds checks in code (the same validation as the parsers).
engine::Result<Check> make_regex_check(std::string_view pattern, bool negate = false);
engine::Result<Check> make_json_schema_check(const engine::json::Value& schema);

// Parses the compact spec grammar above. Errors read "[checks] spec '...' at offset N: ...".
engine::Result<Check> parse_check_spec(std::string_view spec);
// The spec form of a check: parse_check_spec(check_to_spec(c)) scores like c. Text arguments are
// always quoted; a length check with both bounds becomes all(min_...,max_...); normalize options
// other than the defaults and pass thresholds have no spec form (use JSON for those) and are dropped.
std::string check_to_spec(const Check& check);

engine::Result<Check> check_from_json(const engine::json::Value& value);
engine::json::Value check_to_json(const Check& check);

struct CheckContext {
    // Counts tokens for max_tokens / min_tokens (typically the policy model's tokenizer).
    std::function<engine::Result<size_t>(std::string_view text)> count_tokens;
};

struct CheckResult {
    double score = 0.0;  // [0, 1]
    bool passed = false;
    std::string explanation;         // one line, e.g. "max_words:30: 42 words"
    std::vector<CheckResult> parts;  // composites: one per part, in order
};

// Errors only for what the check cannot decide: no reference for exact/normalized/similarity, no
// token counter for a token limit.
engine::Result<CheckResult> run_check(const Check& check, const Sample& sample,
                                      const CheckContext& context = {});

}  // namespace evals
