// JudgmentStore: judge verdicts kept in the workspace, keyed by the judgment
// cache key (evals/cache_key.h), so a judge run only asks the model about
// prompts it has not judged before. Every row remembers the rubric name and
// version and the judge model.
//
// Threading: as TraceStore, it belongs to its Database's thread.
#pragma once

#include <engine/result.h>
#include <evals/judge.h>
#include <evals/sample.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "workspace/database.h"
#include "workspace/trace_store.h"

namespace crucible {

struct StoredJudgment {
    int64_t id = 0;
    std::optional<int64_t> traceId;  // the trace it was first judged for (null once deleted)
    evals::Judgment judgment;        // sample_id is the trace id as text ("" when null)
    int64_t createdAtMs = 0;
};

class JudgmentStore : public evals::JudgmentCache {
public:
    explicit JudgmentStore(Database& db) : m_db(db) {}

    // evals::JudgmentCache. The interface has no error channel: a failed lookup reads as a miss and
    // a failed store is skipped; both leave their message in lastError().
    std::optional<evals::Judgment> find(const std::string& key) override;
    // Keeps the first judgment of a key (a repeated key is ignored). The trace id is
    // judgment.sample_id when it is a number.
    void store(const std::string& key, const evals::Judgment& judgment) override;
    const std::string& lastError() const { return m_lastError; }

    // The judgments of one rubric version by one judge model, oldest first.
    engine::Result<std::vector<StoredJudgment>> judgments(const std::string& rubricName, int rubricVersion,
                                                          const std::string& judgeModel);
    engine::Result<int64_t> count();

private:
    Database& m_db;
    std::string m_lastError;
};

// The trace as the judge sees it: the conversation before the final assistant message, that message
// as the response, and the ground truth (a string, or its JSON text) as the reference. Errors when
// the trace does not end with an assistant message.
engine::Result<evals::Sample> sampleFromTrace(const StoredTrace& trace);

}  // namespace crucible
