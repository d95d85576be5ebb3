// Running a rubric over samples with a judge model: prompts are built, looked up
// in a judgment cache, the misses sent to the judge in batches, and the outputs
// parsed into verdicts. The model itself stays outside (a JudgeBackend callback:
// the app runs a local engine::Generator under the verdict schema, tests pass a
// fake), so this layer depends on nothing but the engine's JSON.
//
// Pairwise rubrics are judged twice per pair, with positions swapped, and
// combined as pairwise.h describes.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "engine/json.h"
#include "engine/result.h"
#include "evals/cache_key.h"
#include "evals/pairwise.h"
#include "evals/rubric.h"
#include "evals/sample.h"

namespace evals {

struct JudgeRequest {
    std::vector<Message> messages;  // the judge prompt
    engine::json::Value schema;     // the verdict schema to decode under
};

// Runs a batch through the judge model and returns one output text per request, in order. An
// error fails the whole call (a model that cannot run); a bad output is not an error here.
using JudgeBackend =
    std::function<engine::Result<std::vector<std::string>>(std::span<const JudgeRequest> batch)>;

struct Judgment {
    std::string sample_id;
    Verdict verdict;          // meaningful when error is empty
    std::string error;        // why the output gave no verdict (never cached)
    std::string rubric_name;  // every judgment remembers the rubric version and judge model
    int rubric_version = 0;
    std::string judge_model;
    std::string cache_key;
    std::string raw_output;  // the judge's text as generated
    bool from_cache = false;
};

// The judgment store. The app implements it over SQLite; MemoryJudgmentCache serves tests and
// one-off runs.
class JudgmentCache {
public:
    virtual ~JudgmentCache() = default;
    virtual std::optional<Judgment> find(const std::string& key) = 0;
    virtual void store(const std::string& key, const Judgment& judgment) = 0;
};

class MemoryJudgmentCache : public JudgmentCache {
public:
    std::optional<Judgment> find(const std::string& key) override;
    void store(const std::string& key, const Judgment& judgment) override;
    size_t size() const { return entries_.size(); }

private:
    std::map<std::string, Judgment> entries_;
};

struct JudgeConfig {
    std::string judge_model;  // stable id of the judge model (part of the cache key)
    JudgeSettings settings;
    size_t batch_size = 8;           // requests per backend call
    JudgmentCache* cache = nullptr;  // optional
};

// One judgment per sample, in order. Identical prompts within the call are judged once.
engine::Result<std::vector<Judgment>> judge_samples(const Rubric& rubric, std::span<const Sample> samples,
                                                    const JudgeConfig& config, const JudgeBackend& backend);

struct PairInput {
    Sample sample;  // conversation and reference; sample.response is not used
    std::string response_a;
    std::string response_b;
};

struct PairwiseJudgment {
    Judgment original;                     // A shown first
    Judgment swapped;                      // B shown first
    bool valid = false;                    // both verdicts parsed
    Preference outcome = Preference::tie;  // combined, in terms of the original A and B
    bool consistent = false;
};

engine::Result<std::vector<PairwiseJudgment>> judge_pairs(const Rubric& rubric,
                                                          std::span<const PairInput> pairs,
                                                          const JudgeConfig& config,
                                                          const JudgeBackend& backend);

// The valid pairs' verdicts, ready for summarize_pairwise().
std::vector<SwappedVerdicts> swapped_verdicts(std::span<const PairwiseJudgment> judgments);

// A pairwise verdict's score (1 / 0 / 0.5) as a preference.
Preference preference_of(const Verdict& verdict);

}  // namespace evals
