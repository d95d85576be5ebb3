#include "workspace/judgment_store.h"

#include <charconv>

namespace crucible {

namespace {

std::optional<int64_t> traceIdOf(const std::string& sampleId) {
    int64_t id = 0;
    auto [end, ec] = std::from_chars(sampleId.data(), sampleId.data() + sampleId.size(), id);
    if (sampleId.empty() || ec != std::errc() || end != sampleId.data() + sampleId.size())
        return std::nullopt;
    return id;
}

}  // namespace

std::optional<evals::Judgment> JudgmentStore::find(const std::string& key) {
    auto stmt = m_db.prepare(
        "SELECT trace_id, rubric_name, rubric_version, judge_model, score, rationale, raw_output "
        "FROM judgments WHERE cache_key = ?1");
    if (!stmt) {
        m_lastError = stmt.error().message;
        return std::nullopt;
    }
    stmt->bindText(1, key);
    auto row = stmt->step();
    if (!row) {
        m_lastError = row.error().message;
        return std::nullopt;
    }
    if (!*row) return std::nullopt;
    evals::Judgment j;
    j.sample_id = stmt->isNull(0) ? std::string() : std::to_string(stmt->columnInt(0));
    j.rubric_name = stmt->columnText(1);
    j.rubric_version = static_cast<int>(stmt->columnInt(2));
    j.judge_model = stmt->columnText(3);
    j.verdict.score = stmt->columnDouble(4);
    j.verdict.rationale = stmt->columnText(5);
    j.raw_output = stmt->columnText(6);
    j.cache_key = key;
    j.from_cache = true;
    return j;
}

void JudgmentStore::store(const std::string& key, const evals::Judgment& judgment) {
    auto stmt = m_db.prepare(
        "INSERT OR IGNORE INTO judgments(cache_key, trace_id, rubric_name, rubric_version, judge_model, "
        "score,"
        " rationale, raw_output, created_at_ms) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
    if (!stmt) {
        m_lastError = stmt.error().message;
        return;
    }
    stmt->bindText(1, key);
    stmt->bindOptInt(2, traceIdOf(judgment.sample_id));
    stmt->bindText(3, judgment.rubric_name);
    stmt->bindInt(4, judgment.rubric_version);
    stmt->bindText(5, judgment.judge_model);
    stmt->bindDouble(6, judgment.verdict.score);
    stmt->bindText(7, judgment.verdict.rationale);
    stmt->bindText(8, judgment.raw_output);
    stmt->bindInt(9, currentTimeMs());
    auto done = stmt->run();
    if (!done) m_lastError = done.error().message;
}

engine::Result<std::vector<StoredJudgment>> JudgmentStore::judgments(const std::string& rubricName,
                                                                     int rubricVersion,
                                                                     const std::string& judgeModel) {
    auto stmt = m_db.prepare(
        "SELECT id, trace_id, cache_key, score, rationale, raw_output, created_at_ms FROM judgments "
        "WHERE rubric_name = ?1 AND rubric_version = ?2 AND judge_model = ?3 ORDER BY id");
    if (!stmt) return stmt.error();
    stmt->bindText(1, rubricName);
    stmt->bindInt(2, rubricVersion);
    stmt->bindText(3, judgeModel);
    std::vector<StoredJudgment> out;
    for (;;) {
        auto row = stmt->step();
        if (!row) return row.error();
        if (!*row) break;
        StoredJudgment s;
        s.id = stmt->columnInt(0);
        s.traceId = stmt->columnOptInt(1);
        s.judgment.sample_id = s.traceId ? std::to_string(*s.traceId) : std::string();
        s.judgment.cache_key = stmt->columnText(2);
        s.judgment.verdict.score = stmt->columnDouble(3);
        s.judgment.verdict.rationale = stmt->columnText(4);
        s.judgment.raw_output = stmt->columnText(5);
        s.judgment.rubric_name = rubricName;
        s.judgment.rubric_version = rubricVersion;
        s.judgment.judge_model = judgeModel;
        s.judgment.from_cache = true;
        s.createdAtMs = stmt->columnInt(6);
        out.push_back(std::move(s));
    }
    return out;
}

engine::Result<int64_t> JudgmentStore::count() {
    auto stmt = m_db.prepare("SELECT count(*) FROM judgments");
    if (!stmt) return stmt.error();
    auto row = stmt->step();
    if (!row) return row.error();
    return stmt->columnInt(0);
}

engine::Result<evals::Sample> sampleFromTrace(const StoredTrace& stored) {
    const Trace& trace = stored.trace;
    if (trace.messages.empty() || trace.messages.back().role != "assistant")
        return engine::make_error("[judge] trace " + std::to_string(stored.id) +
                                  " does not end with an assistant message");
    evals::Sample sample;
    sample.id = std::to_string(stored.id);
    for (size_t i = 0; i + 1 < trace.messages.size(); ++i)
        sample.messages.push_back({trace.messages[i].role, trace.messages[i].content});
    sample.response = trace.messages.back().content;
    if (trace.groundTruth.is_string())
        sample.reference = trace.groundTruth.get<std::string>();
    else if (!trace.groundTruth.is_null())
        sample.reference = trace.groundTruth.dump();
    return sample;
}

}  // namespace crucible
