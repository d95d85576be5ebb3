// Cache keys for judgments. The judgment store is the app's (SQLite); this only
// defines what identifies a judgment, so every layer computes the same key.
//
// A key is the lowercase hex SHA-256 of this canonical JSON text (compact
// separators, keys sorted at every level, UTF-8 unescaped):
//   {"format": 1,
//    "rubric": {"name": ..., "version": ...},
//    "judge_model": ...,                      (a stable model id: file name + hash, or HF repo@rev)
//    "settings": {temperature, top_p, top_k, seed, max_tokens, constrained},
//    "prompt": [{"role","content"}, ...],     (the exact judge messages)
//    "schema": {...}}                          (the verdict schema)
// The prompt is what the judge actually reads, so it covers the trace content
// (conversation, response, reference when the rubric uses it) and every rubric
// field (an edit without a version bump still misses the cache). The trace id
// is not part of the key: two traces with the same content share a judgment.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/json.h"
#include "engine/result.h"
#include "evals/rubric.h"
#include "evals/sample.h"

namespace evals {

struct JudgeSettings {
    double temperature = 0.0;
    double top_p = 1.0;
    int top_k = 0;
    uint64_t seed = 0;
    int max_tokens = 512;
    bool constrained = true;  // verdict decoded under verdict_schema()
};

engine::json::Value judge_settings_to_json(const JudgeSettings& settings);

std::string sha256_hex(std::string_view data);

// The canonical JSON text described above, and its key.
std::string judge_cache_material(const Rubric& rubric, std::string_view judge_model,
                                 const JudgeSettings& settings, const std::vector<Message>& prompt);
std::string judge_cache_key(const Rubric& rubric, std::string_view judge_model, const JudgeSettings& settings,
                            const std::vector<Message>& prompt);
// Builds the judge prompt for a (non-pairwise) sample first; errors as build_judge_messages.
engine::Result<std::string> judge_cache_key(const Rubric& rubric, std::string_view judge_model,
                                            const JudgeSettings& settings, const Sample& sample);

}  // namespace evals
