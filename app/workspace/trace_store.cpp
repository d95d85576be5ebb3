#include "workspace/trace_store.h"

#include <chrono>

#include "workspace/trace_json.h"

namespace crucible {

using nlohmann::json;

int64_t currentTimeMs() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

namespace {

int64_t contentLength(const Trace& trace) {
    int64_t length = 0;
    for (const Message& m : trace.messages) length += static_cast<int64_t>(m.content.size());
    return length;
}

bool hasToolCalls(const Trace& trace) {
    for (const Message& m : trace.messages)
        if (!m.toolCalls.empty()) return true;
    return false;
}

// The text the full-text index sees: every message's content, one per line.
std::string ftsBody(const Trace& trace) {
    std::string body;
    for (const Message& m : trace.messages) {
        if (m.content.empty()) continue;
        if (!body.empty()) body += '\n';
        body += m.content;
    }
    return body;
}

}  // namespace

engine::Status TraceStore::prepareInsertStatements() {
    if (m_insertTrace.isValid()) return {};
    auto trace = m_db.prepare(
        "INSERT INTO traces(content_hash, format, source_file, source_line, external_id, model, "
        "started_at_ms,"
        " ended_at_ms, sort_time_ms, imported_at_ms, latency_ms, prompt_tokens, completion_tokens, cost_usd,"
        " has_tool_calls, message_count, total_length, tools_json, rejected_json, ground_truth_json,"
        " metadata_json, logprobs_json, raw, import_id)"
        " VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20,?21,?22,?23,?24)"
        " ON CONFLICT(content_hash) DO NOTHING");
    if (!trace) return trace.error();
    auto message = m_db.prepare(
        "INSERT INTO messages(trace_id, position, role, content, tool_calls_json, tool_call_id, name, "
        "parts_json)"
        " VALUES(?1,?2,?3,?4,?5,?6,?7,?8)");
    if (!message) return message.error();
    auto tag = m_db.prepare("INSERT OR IGNORE INTO tags(trace_id, tag) VALUES(?1,?2)");
    if (!tag) return tag.error();
    auto fts = m_db.prepare("INSERT INTO traces_fts(rowid, body) VALUES(?1,?2)");
    if (!fts) return fts.error();
    auto find = m_db.prepare("SELECT id FROM traces WHERE content_hash = ?1");
    if (!find) return find.error();
    m_insertTrace = std::move(*trace);
    m_insertMessage = std::move(*message);
    m_insertTag = std::move(*tag);
    m_insertFts = std::move(*fts);
    m_findHash = std::move(*find);
    return {};
}

engine::Result<InsertSummary> TraceStore::insertBatch(const std::vector<Trace>& traces,
                                                      std::optional<int64_t> importId) {
    Transaction tx(m_db);
    CRUCIBLE_TRY(tx.beginStatus());
    auto summary = insertInTransaction(traces, importId);
    if (!summary) return summary.error();
    CRUCIBLE_TRY(tx.commit());
    return summary;
}

engine::Result<InsertSummary> TraceStore::insertInTransaction(const std::vector<Trace>& traces,
                                                              std::optional<int64_t> importId) {
    CRUCIBLE_TRY(prepareInsertStatements());
    InsertSummary summary;
    summary.ids.reserve(traces.size());
    const int64_t now = currentTimeMs();
    for (const Trace& t : traces) {
        const std::string hash = traceContentHash(t);
        Statement& s = m_insertTrace;
        s.reset();
        s.bindBlob(1, hash.data(), static_cast<int>(hash.size()));
        s.bindText(2, t.format);
        s.bindText(3, t.sourceFile);
        s.bindInt(4, t.sourceLine);
        s.bindText(5, t.externalId);
        s.bindText(6, t.model);
        s.bindOptInt(7, t.startedAtMs);
        s.bindOptInt(8, t.endedAtMs);
        s.bindInt(9, t.startedAtMs.value_or(now));
        s.bindInt(10, now);
        s.bindOptDouble(11, t.latencyMs);
        s.bindOptInt(12, t.promptTokens);
        s.bindOptInt(13, t.completionTokens);
        s.bindOptDouble(14, t.costUsd);
        s.bindInt(15, hasToolCalls(t) ? 1 : 0);
        s.bindInt(16, static_cast<int64_t>(t.messages.size()));
        s.bindInt(17, contentLength(t));
        s.bindText(18, t.tools.is_null() ? std::string("[]") : t.tools.dump());
        if (t.rejected) s.bindText(19, messageToJson(*t.rejected).dump());
        if (!t.groundTruth.is_null()) s.bindText(20, t.groundTruth.dump());
        s.bindText(21, t.metadata.is_null() ? std::string("{}") : t.metadata.dump());
        if (!t.logprobs.empty()) s.bindText(22, logprobsToJson(t.logprobs).dump());
        s.bindText(23, t.raw);
        s.bindOptInt(24, importId);
        CRUCIBLE_TRY(s.run());
        if (m_db.changes() == 0) {
            m_findHash.reset();
            m_findHash.bindBlob(1, hash.data(), static_cast<int>(hash.size()));
            auto row = m_findHash.step();
            if (!row) return row.error();
            summary.ids.push_back(*row ? m_findHash.columnInt(0) : 0);
            summary.isNew.push_back(false);
            m_findHash.reset();
            ++summary.duplicates;
            continue;
        }
        const int64_t id = m_db.lastInsertRowId();
        for (size_t i = 0; i < t.messages.size(); ++i) {
            const Message& m = t.messages[i];
            Statement& ms = m_insertMessage;
            ms.reset();
            ms.bindInt(1, id);
            ms.bindInt(2, static_cast<int64_t>(i));
            ms.bindText(3, m.role);
            ms.bindText(4, m.content);
            if (!m.toolCalls.empty()) ms.bindText(5, toolCallsToJson(m.toolCalls).dump());
            ms.bindText(6, m.toolCallId);
            ms.bindText(7, m.name);
            if (!m.parts.empty()) ms.bindText(8, partsToJson(m.parts).dump());
            CRUCIBLE_TRY(ms.run());
        }
        for (const std::string& tag : t.tags) {
            m_insertTag.reset();
            m_insertTag.bindInt(1, id);
            m_insertTag.bindText(2, tag);
            CRUCIBLE_TRY(m_insertTag.run());
        }
        m_insertFts.reset();
        m_insertFts.bindInt(1, id);
        m_insertFts.bindText(2, ftsBody(t));
        CRUCIBLE_TRY(m_insertFts.run());
        summary.ids.push_back(id);
        summary.isNew.push_back(true);
        ++summary.inserted;
    }
    return summary;
}

engine::Result<std::optional<int64_t>> TraceStore::findByHash(const std::string& contentHash) {
    CRUCIBLE_TRY(prepareInsertStatements());
    m_findHash.reset();
    m_findHash.bindBlob(1, contentHash.data(), static_cast<int>(contentHash.size()));
    auto row = m_findHash.step();
    if (!row) return row.error();
    std::optional<int64_t> id;
    if (*row) id = m_findHash.columnInt(0);
    m_findHash.reset();
    return id;
}

engine::Result<int64_t> TraceStore::traceCount() {
    auto stmt = m_db.prepare("SELECT count(*) FROM traces");
    if (!stmt) return stmt.error();
    auto row = stmt->step();
    if (!row) return row.error();
    return stmt->columnInt(0);
}

engine::Result<std::optional<StoredTrace>> TraceStore::getTrace(int64_t id) {
    auto stmt = m_db.prepare(
        "SELECT format, source_file, source_line, external_id, model, started_at_ms, ended_at_ms, latency_ms,"
        " prompt_tokens, completion_tokens, cost_usd, tools_json, rejected_json, ground_truth_json, "
        "metadata_json,"
        " logprobs_json, raw, imported_at_ms FROM traces WHERE id = ?1");
    if (!stmt) return stmt.error();
    stmt->bindInt(1, id);
    auto row = stmt->step();
    if (!row) return row.error();
    if (!*row) return std::optional<StoredTrace>();
    StoredTrace stored;
    stored.id = id;
    Trace& t = stored.trace;
    const Statement& s = *stmt;
    t.format = s.columnText(0);
    t.sourceFile = s.columnText(1);
    t.sourceLine = s.columnInt(2);
    t.externalId = s.columnText(3);
    t.model = s.columnText(4);
    t.startedAtMs = s.columnOptInt(5);
    t.endedAtMs = s.columnOptInt(6);
    t.latencyMs = s.columnOptDouble(7);
    t.promptTokens = s.columnOptInt(8);
    t.completionTokens = s.columnOptInt(9);
    t.costUsd = s.columnOptDouble(10);
    // Stored JSON was written by us; parse without exceptions and fall back to empty.
    t.tools = json::parse(s.columnText(11), nullptr, false);
    if (t.tools.is_discarded()) t.tools = json::array();
    if (!s.isNull(12)) {
        auto rejected = messageFromJson(json::parse(s.columnText(12), nullptr, false));
        if (rejected) t.rejected = std::move(*rejected);
    }
    if (!s.isNull(13)) {
        t.groundTruth = json::parse(s.columnText(13), nullptr, false);
        if (t.groundTruth.is_discarded()) t.groundTruth = nullptr;
    }
    t.metadata = json::parse(s.columnText(14), nullptr, false);
    if (t.metadata.is_discarded()) t.metadata = json::object();
    if (!s.isNull(15)) t.logprobs = logprobsFromJson(json::parse(s.columnText(15), nullptr, false));
    t.raw = s.columnText(16);
    stored.importedAtMs = s.columnInt(17);

    auto messages = m_db.prepare(
        "SELECT role, content, tool_calls_json, tool_call_id, name, parts_json FROM messages"
        " WHERE trace_id = ?1 ORDER BY position");
    if (!messages) return messages.error();
    messages->bindInt(1, id);
    for (;;) {
        auto more = messages->step();
        if (!more) return more.error();
        if (!*more) break;
        Message m;
        m.role = messages->columnText(0);
        m.content = messages->columnText(1);
        if (!messages->isNull(2))
            m.toolCalls = toolCallsFromJson(json::parse(messages->columnText(2), nullptr, false));
        m.toolCallId = messages->columnText(3);
        m.name = messages->columnText(4);
        if (!messages->isNull(5))
            m.parts = partsFromJson(json::parse(messages->columnText(5), nullptr, false));
        t.messages.push_back(std::move(m));
    }
    auto tags = m_db.prepare("SELECT tag FROM tags WHERE trace_id = ?1 ORDER BY rowid");
    if (!tags) return tags.error();
    tags->bindInt(1, id);
    for (;;) {
        auto more = tags->step();
        if (!more) return more.error();
        if (!*more) break;
        t.tags.push_back(tags->columnText(0));
    }
    auto label = currentLabel(id);
    if (!label) return label.error();
    stored.label = std::move(*label);
    return std::optional<StoredTrace>(std::move(stored));
}

// ---- labels ----------------------------------------------------------------

engine::Result<Label> TraceStore::setLabel(int64_t traceId, Label label) {
    Transaction tx(m_db);
    CRUCIBLE_TRY(tx.beginStatus());
    auto stored = appendLabelInTransaction(traceId, std::move(label));
    if (!stored) return stored.error();
    CRUCIBLE_TRY(tx.commit());
    return stored;
}

engine::Result<Label> TraceStore::appendLabelInTransaction(int64_t traceId, Label label) {
    if (label.verdict != "good" && label.verdict != "bad" && label.verdict != "score" &&
        label.verdict != "cleared")
        return engine::make_error("[TraceStore::setLabel] verdict must be good, bad or score, got '" +
                                  label.verdict + "'");
    if (label.verdict == "score" && !label.score)
        return engine::make_error("[TraceStore::setLabel] verdict 'score' needs a score (trace " +
                                  std::to_string(traceId) + ")");

    auto exists = m_db.prepare("SELECT 1 FROM traces WHERE id = ?1");
    if (!exists) return exists.error();
    exists->bindInt(1, traceId);
    auto found = exists->step();
    if (!found) return found.error();
    if (!*found) return engine::make_error("[TraceStore] no trace with id " + std::to_string(traceId));
    if (label.createdAtMs == 0) label.createdAtMs = currentTimeMs();
    auto insert = m_db.prepare(
        "INSERT INTO labels(trace_id, verdict, score, critique, corrected_answer, author, created_at_ms)"
        " VALUES(?1,?2,?3,?4,?5,?6,?7)");
    if (!insert) return insert.error();
    insert->bindInt(1, traceId);
    insert->bindText(2, label.verdict);
    insert->bindOptDouble(3, label.score);
    insert->bindText(4, label.critique);
    if (label.correctedAnswer) insert->bindText(5, *label.correctedAnswer);
    insert->bindText(6, label.author);
    insert->bindInt(7, label.createdAtMs);
    CRUCIBLE_TRY(insert->run());
    label.id = m_db.lastInsertRowId();
    label.traceId = traceId;
    auto mirror = m_db.prepare("UPDATE traces SET label_verdict = ?2, label_score = ?3 WHERE id = ?1");
    if (!mirror) return mirror.error();
    mirror->bindInt(1, traceId);
    if (label.verdict != "cleared") {
        mirror->bindText(2, label.verdict);
        mirror->bindOptDouble(3, label.score);
    }
    CRUCIBLE_TRY(mirror->run());
    return label;
}

engine::Result<Label> TraceStore::clearLabel(int64_t traceId, const std::string& author) {
    Label label;
    label.verdict = "cleared";
    label.author = author;
    return setLabel(traceId, std::move(label));
}

namespace {

engine::Result<std::vector<Label>> readLabels(Database& db, const char* sql, int64_t traceId) {
    auto stmt = db.prepare(sql);
    if (!stmt) return stmt.error();
    stmt->bindInt(1, traceId);
    std::vector<Label> labels;
    for (;;) {
        auto more = stmt->step();
        if (!more) return more.error();
        if (!*more) break;
        Label l;
        l.id = stmt->columnInt(0);
        l.traceId = traceId;
        l.verdict = stmt->columnText(1);
        l.score = stmt->columnOptDouble(2);
        l.critique = stmt->columnText(3);
        if (!stmt->isNull(4)) l.correctedAnswer = stmt->columnText(4);
        l.author = stmt->columnText(5);
        l.createdAtMs = stmt->columnInt(6);
        labels.push_back(std::move(l));
    }
    return labels;
}

}  // namespace

engine::Result<std::vector<Label>> TraceStore::labelHistory(int64_t traceId) {
    return readLabels(
        m_db,
        "SELECT id, verdict, score, critique, corrected_answer, author, created_at_ms FROM labels"
        " WHERE trace_id = ?1 ORDER BY id",
        traceId);
}

engine::Result<std::optional<Label>> TraceStore::currentLabel(int64_t traceId) {
    auto labels = readLabels(m_db,
                             "SELECT id, verdict, score, critique, corrected_answer, author, created_at_ms"
                             " FROM labels WHERE trace_id = ?1 ORDER BY id DESC LIMIT 1",
                             traceId);
    if (!labels) return labels.error();
    if (labels->empty() || labels->front().verdict == "cleared") return std::optional<Label>();
    return std::optional<Label>(std::move(labels->front()));
}

// ---- datasets --------------------------------------------------------------

engine::Result<Dataset> TraceStore::createDataset(const std::string& name, const SearchQuery& query,
                                                  const std::string& description) {
    auto ids = searchIds(query);
    if (!ids) return ids.error();
    return insertDataset(name, *ids, query.toJson(), description);
}

engine::Result<Dataset> TraceStore::createDatasetFromIds(const std::string& name,
                                                         const std::vector<int64_t>& ids,
                                                         const std::string& description) {
    return insertDataset(name, ids, json(), description);
}

engine::Result<Dataset> TraceStore::insertDataset(const std::string& name, const std::vector<int64_t>& ids,
                                                  const json& query, const std::string& description) {
    if (name.empty()) return engine::make_error("[TraceStore::createDataset] the dataset name is empty");
    Transaction tx(m_db);
    CRUCIBLE_TRY(tx.beginStatus());
    auto next = m_db.prepare("SELECT coalesce(max(version), 0) + 1 FROM datasets WHERE name = ?1");
    if (!next) return next.error();
    next->bindText(1, name);
    auto row = next->step();
    if (!row) return row.error();
    Dataset d;
    d.name = name;
    d.version = static_cast<int>(next->columnInt(0));
    d.createdAtMs = currentTimeMs();
    d.query = query;
    d.description = description;
    auto insert = m_db.prepare(
        "INSERT INTO datasets(name, version, created_at_ms, query_json, description) VALUES(?1,?2,?3,?4,?5)");
    if (!insert) return insert.error();
    insert->bindText(1, name);
    insert->bindInt(2, d.version);
    insert->bindInt(3, d.createdAtMs);
    if (!query.is_null()) insert->bindText(4, query.dump());
    insert->bindText(5, description);
    CRUCIBLE_TRY(insert->run());
    d.id = m_db.lastInsertRowId();
    // Foreign keys reject ids that name no trace, with the statement's error.
    auto member = m_db.prepare("INSERT INTO dataset_traces(dataset_id, position, trace_id) VALUES(?1,?2,?3)");
    if (!member) return member.error();
    for (size_t i = 0; i < ids.size(); ++i) {
        member->reset();
        member->bindInt(1, d.id);
        member->bindInt(2, static_cast<int64_t>(i));
        member->bindInt(3, ids[i]);
        auto status = member->run();
        if (!status)
            return engine::make_error("[TraceStore::createDataset] cannot add trace " +
                                      std::to_string(ids[i]) + " to '" + name +
                                      "': " + status.error().message);
    }
    d.traceCount = static_cast<int64_t>(ids.size());
    CRUCIBLE_TRY(tx.commit());
    return d;
}

namespace {

const char* kDatasetColumns =
    "SELECT d.id, d.name, d.version, d.created_at_ms, d.query_json, d.description,"
    " (SELECT count(*) FROM dataset_traces dt WHERE dt.dataset_id = d.id) FROM datasets d ";

Dataset readDataset(const Statement& s) {
    Dataset d;
    d.id = s.columnInt(0);
    d.name = s.columnText(1);
    d.version = static_cast<int>(s.columnInt(2));
    d.createdAtMs = s.columnInt(3);
    if (!s.isNull(4)) d.query = json::parse(s.columnText(4), nullptr, false);
    if (d.query.is_discarded()) d.query = nullptr;
    d.description = s.columnText(5);
    d.traceCount = s.columnInt(6);
    return d;
}

}  // namespace

engine::Result<std::vector<Dataset>> TraceStore::listDatasets() {
    auto stmt = m_db.prepare(std::string(kDatasetColumns) + "ORDER BY d.name, d.version");
    if (!stmt) return stmt.error();
    std::vector<Dataset> out;
    for (;;) {
        auto more = stmt->step();
        if (!more) return more.error();
        if (!*more) break;
        out.push_back(readDataset(*stmt));
    }
    return out;
}

engine::Result<Dataset> TraceStore::dataset(const std::string& name, int version) {
    auto stmt =
        m_db.prepare(std::string(kDatasetColumns) +
                     "WHERE d.name = ?1 AND (?2 = 0 OR d.version = ?2) ORDER BY d.version DESC LIMIT 1");
    if (!stmt) return stmt.error();
    stmt->bindText(1, name);
    stmt->bindInt(2, version);
    auto row = stmt->step();
    if (!row) return row.error();
    if (!*row)
        return engine::make_error("[TraceStore::dataset] no dataset '" + name + "'" +
                                  (version ? " version " + std::to_string(version) : std::string()));
    return readDataset(*stmt);
}

engine::Result<std::vector<int64_t>> TraceStore::datasetTraceIds(int64_t datasetId) {
    auto stmt = m_db.prepare("SELECT trace_id FROM dataset_traces WHERE dataset_id = ?1 ORDER BY position");
    if (!stmt) return stmt.error();
    stmt->bindInt(1, datasetId);
    std::vector<int64_t> ids;
    for (;;) {
        auto more = stmt->step();
        if (!more) return more.error();
        if (!*more) break;
        ids.push_back(stmt->columnInt(0));
    }
    return ids;
}

}  // namespace crucible
