-- 0003: eval runs (a dataset x models or adapters x rubrics) and their per-trace
-- results, kept so that runs can be listed, shown and compared later.

-- One row per run. The JSON columns hold what the run was asked (models with
-- their labels, rubric versions, generation and judge settings) and what it
-- found (the aggregated summary with bootstrap intervals).
CREATE TABLE eval_runs (
    id INTEGER PRIMARY KEY,
    created_at_ms INTEGER NOT NULL,
    dataset TEXT NOT NULL,                  -- "name@version"
    dataset_id INTEGER REFERENCES datasets(id) ON DELETE SET NULL,
    models_json TEXT NOT NULL,              -- [{"label", "model", "adapter"}]
    rubrics_json TEXT NOT NULL,             -- [{"name", "version", "scale"}]
    settings_json TEXT NOT NULL,
    summary_json TEXT NOT NULL
);

-- One row per (trace, model, rubric), and for pairwise rubrics per (trace, model,
-- opponent): the score is then from model_label's side (1 win, 0.5 tie, 0 loss),
-- so both models of a pair have their own row with their own response.
CREATE TABLE eval_results (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES eval_runs(id) ON DELETE CASCADE,
    trace_id INTEGER REFERENCES traces(id) ON DELETE SET NULL,
    model_label TEXT NOT NULL,
    response TEXT NOT NULL,
    rubric_name TEXT NOT NULL,
    rubric_version INTEGER NOT NULL,
    opponent_label TEXT,                    -- pairwise rubrics only
    score REAL,                             -- NULL when the judge gave no verdict
    rationale TEXT NOT NULL DEFAULT '',
    error TEXT NOT NULL DEFAULT ''          -- why there is no verdict
);
CREATE INDEX eval_results_by_run ON eval_results(run_id, model_label, rubric_name);
