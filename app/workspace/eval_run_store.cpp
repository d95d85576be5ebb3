#include "workspace/eval_run_store.h"

#include "workspace/trace_store.h"

namespace crucible {

namespace {

constexpr const char* kRunColumns =
    "id, created_at_ms, dataset, dataset_id, models_json, rubrics_json, settings_json, summary_json";

engine::Result<nlohmann::json> parseColumn(const std::string& text, const char* column, int64_t id) {
    auto json = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (json.is_discarded())
        return engine::make_error("[EvalRunStore] run " + std::to_string(id) + ": " + column +
                                  " is not valid JSON");
    return json;
}

engine::Result<EvalRun> runFromRow(const Statement& stmt) {
    EvalRun run;
    run.id = stmt.columnInt(0);
    run.createdAtMs = stmt.columnInt(1);
    run.dataset = stmt.columnText(2);
    run.datasetId = stmt.columnOptInt(3);
    const char* names[] = {"models_json", "rubrics_json", "settings_json", "summary_json"};
    nlohmann::json* targets[] = {&run.models, &run.rubrics, &run.settings, &run.summary};
    for (int i = 0; i < 4; ++i) {
        auto json = parseColumn(stmt.columnText(4 + i), names[i], run.id);
        if (!json) return json.error();
        *targets[i] = std::move(*json);
    }
    return run;
}

}  // namespace

engine::Result<EvalRun> EvalRunStore::create(EvalRun run, const std::vector<EvalResult>& results) {
    if (run.createdAtMs == 0) run.createdAtMs = currentTimeMs();
    Transaction tx(m_db);
    CRUCIBLE_TRY(tx.beginStatus());
    auto insertRun = m_db.prepare(
        "INSERT INTO eval_runs(created_at_ms, dataset, dataset_id, models_json, rubrics_json, settings_json,"
        " summary_json) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)");
    if (!insertRun) return insertRun.error();
    insertRun->bindInt(1, run.createdAtMs);
    insertRun->bindText(2, run.dataset);
    insertRun->bindOptInt(3, run.datasetId);
    insertRun->bindText(4, run.models.dump());
    insertRun->bindText(5, run.rubrics.dump());
    insertRun->bindText(6, run.settings.dump());
    insertRun->bindText(7, run.summary.dump());
    CRUCIBLE_TRY(insertRun->run());
    run.id = m_db.lastInsertRowId();
    auto insertResult = m_db.prepare(
        "INSERT INTO eval_results(run_id, trace_id, model_label, response, rubric_name, rubric_version,"
        " opponent_label, score, rationale, error) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)");
    if (!insertResult) return insertResult.error();
    for (const EvalResult& r : results) {
        insertResult->reset();
        insertResult->bindInt(1, run.id);
        insertResult->bindOptInt(2, r.traceId);
        insertResult->bindText(3, r.modelLabel);
        insertResult->bindText(4, r.response);
        insertResult->bindText(5, r.rubricName);
        insertResult->bindInt(6, r.rubricVersion);
        if (r.opponentLabel)
            insertResult->bindText(7, *r.opponentLabel);
        else
            insertResult->bindNull(7);
        insertResult->bindOptDouble(8, r.score);
        insertResult->bindText(9, r.rationale);
        insertResult->bindText(10, r.error);
        CRUCIBLE_TRY(insertResult->run());
    }
    CRUCIBLE_TRY(tx.commit());
    return run;
}

engine::Result<std::vector<EvalRun>> EvalRunStore::list() {
    auto stmt = m_db.prepare(std::string("SELECT ") + kRunColumns + " FROM eval_runs ORDER BY id DESC");
    if (!stmt) return stmt.error();
    std::vector<EvalRun> out;
    for (;;) {
        auto row = stmt->step();
        if (!row) return row.error();
        if (!*row) break;
        auto run = runFromRow(*stmt);
        if (!run) return run.error();
        out.push_back(std::move(*run));
    }
    return out;
}

engine::Result<std::optional<EvalRun>> EvalRunStore::get(int64_t id) {
    auto stmt = m_db.prepare(std::string("SELECT ") + kRunColumns + " FROM eval_runs WHERE id = ?1");
    if (!stmt) return stmt.error();
    stmt->bindInt(1, id);
    auto row = stmt->step();
    if (!row) return row.error();
    if (!*row) return std::optional<EvalRun>();
    auto run = runFromRow(*stmt);
    if (!run) return run.error();
    return std::optional<EvalRun>(std::move(*run));
}

engine::Result<std::vector<EvalResult>> EvalRunStore::results(int64_t runId) {
    auto stmt = m_db.prepare(
        "SELECT trace_id, model_label, response, rubric_name, rubric_version, opponent_label, score,"
        " rationale, error FROM eval_results WHERE run_id = ?1 ORDER BY id");
    if (!stmt) return stmt.error();
    stmt->bindInt(1, runId);
    std::vector<EvalResult> out;
    for (;;) {
        auto row = stmt->step();
        if (!row) return row.error();
        if (!*row) break;
        EvalResult r;
        r.traceId = stmt->columnOptInt(0);
        r.modelLabel = stmt->columnText(1);
        r.response = stmt->columnText(2);
        r.rubricName = stmt->columnText(3);
        r.rubricVersion = static_cast<int>(stmt->columnInt(4));
        if (!stmt->isNull(5)) r.opponentLabel = stmt->columnText(5);
        r.score = stmt->columnOptDouble(6);
        r.rationale = stmt->columnText(7);
        r.error = stmt->columnText(8);
        out.push_back(std::move(r));
    }
    return out;
}

}  // namespace crucible
