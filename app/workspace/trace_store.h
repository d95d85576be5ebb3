// TraceStore: the traces of a workspace (insert with dedupe, read back,
// labels with history, versioned datasets, full-text search with filters).
//
// Threading: a TraceStore uses the Database it was given and so belongs to the
// same thread. It keeps prepared statements, so create one per connection and
// keep it for the connection's lifetime.
#pragma once

#include <engine/result.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "workspace/database.h"
#include "workspace/trace.h"

namespace crucible {

struct InsertSummary {
    int64_t inserted = 0;
    int64_t duplicates = 0;
    std::vector<int64_t> ids;  // per input trace: its row id (the existing one for a duplicate)
    std::vector<bool> isNew;   // per input trace: stored by this call
};

struct StoredTrace {
    int64_t id = 0;
    int64_t importedAtMs = 0;
    Trace trace;
    std::optional<Label> label;  // the current label, if any
};

struct SearchQuery {
    enum class Sort { Date, Length, Relevance };
    std::string text;  // FTS5 query over message content; bad syntax falls back to plain words
    std::vector<std::string> formats;  // any of (importer ids)
    std::string sourcePrefix;          // source file path starts with this
    std::vector<std::string> models;   // any of
    std::string label;                 // "", "good", "bad", "score", "labeled", "unlabeled"
    std::vector<std::string> tags;     // all of
    std::optional<int64_t> fromMs;     // started_at (import time when unknown) >= fromMs
    std::optional<int64_t> toMs;       // ... < toMs
    std::optional<bool> hasToolCalls;
    std::optional<int64_t> minLength;  // total message content length (bytes), inclusive
    std::optional<int64_t> maxLength;
    std::optional<int64_t> datasetId;  // only traces of this dataset
    Sort sort = Sort::Date;            // Relevance needs `text` (else it means Date)
    bool descending = true;
    int limit = 50;
    int64_t offset = 0;
    std::string after;       // keyset cursor (SearchPage::nextCursor); used instead of offset for Date/Length
    bool withTotal = false;  // also count every match (costs a second query)

    nlohmann::json toJson() const;
    static SearchQuery fromJson(const nlohmann::json& json);
};

struct TraceSummary {
    int64_t id = 0;
    std::string format;
    std::string sourceFile;
    int64_t sourceLine = 0;
    std::string model;
    int64_t sortTimeMs = 0;
    int64_t messageCount = 0;
    int64_t totalLength = 0;
    bool hasToolCalls = false;
    std::string labelVerdict;  // "" when unlabeled
    std::optional<double> labelScore;
    std::string preview;  // the start of the first user message
};

struct SearchPage {
    std::vector<TraceSummary> rows;
    std::string nextCursor;        // pass as SearchQuery::after for the next page ("" at the end)
    std::optional<int64_t> total;  // with SearchQuery::withTotal
    std::string ftsQuery;          // the FTS5 expression actually run ("" without text)
};

struct Dataset {
    int64_t id = 0;
    std::string name;
    int version = 0;
    int64_t createdAtMs = 0;
    int64_t traceCount = 0;
    nlohmann::json query;  // the search that built it, null when built from ids
    std::string description;
};

class TraceStore {
public:
    explicit TraceStore(Database& db) : m_db(db) {}

    // Inserts the traces in one transaction; traces whose content hash is
    // already stored count as duplicates and are left untouched.
    engine::Result<InsertSummary> insertBatch(const std::vector<Trace>& traces,
                                              std::optional<int64_t> importId = std::nullopt);
    // The same inside a transaction the caller holds (the import runner commits
    // progress with the batch).
    engine::Result<InsertSummary> insertInTransaction(const std::vector<Trace>& traces,
                                                      std::optional<int64_t> importId);

    engine::Result<std::optional<StoredTrace>> getTrace(int64_t id);
    engine::Result<std::optional<int64_t>> findByHash(const std::string& contentHash);
    engine::Result<int64_t> traceCount();

    // Labels: every call appends to the history. `label.createdAtMs` 0 means now.
    engine::Result<Label> setLabel(int64_t traceId, Label label);
    engine::Result<Label> clearLabel(int64_t traceId, const std::string& author);
    engine::Result<std::vector<Label>> labelHistory(int64_t traceId);  // oldest first
    engine::Result<std::optional<Label>> currentLabel(int64_t traceId);
    // setLabel() inside a transaction the caller holds (the import runner's batch).
    engine::Result<Label> appendLabelInTransaction(int64_t traceId, Label label);

    engine::Result<SearchPage> search(const SearchQuery& query);
    // Every matching id in the query's order (limit/offset/cursor ignored).
    engine::Result<std::vector<int64_t>> searchIds(const SearchQuery& query);

    // Datasets: a name gets versions 1, 2, ...; each version is a frozen list of traces.
    engine::Result<Dataset> createDataset(const std::string& name, const SearchQuery& query,
                                          const std::string& description = "");
    engine::Result<Dataset> createDatasetFromIds(const std::string& name, const std::vector<int64_t>& ids,
                                                 const std::string& description = "");
    engine::Result<std::vector<Dataset>> listDatasets();
    // version 0: the newest version of that name.
    engine::Result<Dataset> dataset(const std::string& name, int version = 0);
    engine::Result<std::vector<int64_t>> datasetTraceIds(int64_t datasetId);

    Database& database() { return m_db; }

private:
    engine::Status prepareInsertStatements();
    engine::Result<Dataset> insertDataset(const std::string& name, const std::vector<int64_t>& ids,
                                          const nlohmann::json& query, const std::string& description);
    engine::Result<std::string> effectiveFtsQuery(const std::string& text);

    Database& m_db;
    Statement m_insertTrace, m_insertMessage, m_insertTag, m_insertFts, m_findHash;
};

int64_t currentTimeMs();

}  // namespace crucible
