// A JudgeBackend on a local engine model: the judge prompt is rendered with the
// model's chat template and the verdict is decoded under a JSON schema
// constraint built from the request's schema, so every output parses (when the
// token budget allows the value to close, which the constraint guarantees).
//
// "Batched" here means one Generator serves the whole batch and the requests
// are decoded one after another in an order that maximizes shared prompt
// prefixes: the KV cache keeps the longest common prefix between consecutive
// prompts, so requests that share a rubric's system prompt and anchored examples
// compute that prefix once. Decoding itself stays sequential (one sequence at a
// time); there is no multi-sequence batching in the engine yet.
#pragma once

#include <cstdint>
#include <string>

#include "engine/result.h"
#include "evals/cache_key.h"
#include "evals/judge.h"

namespace engine {
class ModelBundle;
}

namespace evals {

struct EngineJudgeOptions {
    double temperature = 0.0;  // 0 = greedy
    int max_tokens = 512;      // per verdict; the constraint closes the value within it
    uint64_t seed = 0;         // the same seed for every request, so a verdict depends on its prompt only
    int n_threads = 0;         // 0 = all hardware threads
    int64_t context_length = 4096;
    // Keep the KV cache between requests (the batching described above). False forgets it before
    // every request: the one-at-a-time baseline the benchmark compares with. Verdicts are the same.
    bool reuse_prefix = true;
};

// The settings that go into the judgment cache key for these options.
JudgeSettings engine_judge_settings(const EngineJudgeOptions& options);

// The bundle must outlive the backend. The backend is not thread-safe (it owns one Generator). A
// request whose prompt does not fit the context yields an output that explains so (it fails to parse
// and the judgment carries the error); only a model that cannot run fails the whole call.
engine::Result<JudgeBackend> make_engine_judge_backend(const engine::ModelBundle& bundle,
                                                       const EngineJudgeOptions& options = {});

}  // namespace evals
