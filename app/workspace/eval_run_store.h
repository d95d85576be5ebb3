// EvalRunStore: eval runs kept in the workspace (migration 0003). A run is what
// was asked (dataset, models with labels, rubric versions, settings) and what it
// found (the summary with bootstrap intervals), plus one result row per judged
// (trace, model, rubric[, opponent]) so runs stay comparable after the fact.
//
// Threading: as TraceStore, it belongs to its Database's thread.
#pragma once

#include <engine/result.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "workspace/database.h"

namespace crucible {

struct EvalResult {
    std::optional<int64_t> traceId;  // null once the trace was deleted
    std::string modelLabel;
    std::string response;
    std::string rubricName;
    int rubricVersion = 0;
    std::optional<std::string> opponentLabel;  // pairwise rubrics
    std::optional<double> score;               // null when the judge gave no verdict
    std::string rationale;
    std::string error;
};

struct EvalRun {
    int64_t id = 0;
    int64_t createdAtMs = 0;
    std::string dataset;  // "name@version"
    std::optional<int64_t> datasetId;
    nlohmann::json models = nlohmann::json::array();
    nlohmann::json rubrics = nlohmann::json::array();
    nlohmann::json settings = nlohmann::json::object();
    nlohmann::json summary = nlohmann::json::object();
};

class EvalRunStore {
public:
    explicit EvalRunStore(Database& db) : m_db(db) {}

    // Stores the run and its results in one transaction; returns the run with its id and time set
    // (run.createdAtMs 0 means now).
    engine::Result<EvalRun> create(EvalRun run, const std::vector<EvalResult>& results);
    // Newest first.
    engine::Result<std::vector<EvalRun>> list();
    engine::Result<std::optional<EvalRun>> get(int64_t id);
    // In insertion order.
    engine::Result<std::vector<EvalResult>> results(int64_t runId);

private:
    Database& m_db;
};

}  // namespace crucible
