-- 0002: versioned rubrics and the judgments made with them (the judge's cache).

-- Every version of a rubric is kept; editing adds version n + 1.
CREATE TABLE rubrics (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    version INTEGER NOT NULL CHECK (version >= 1),
    definition_json TEXT NOT NULL,          -- evals::rubric_to_json
    created_at_ms INTEGER NOT NULL,
    UNIQUE (name, version)
);

-- One row per judged prompt: the cache key covers the judge's exact prompt, the
-- verdict schema, rubric name + version, judge model and sampling settings
-- (evals/cache_key.h), so traces with identical content share a row; trace_id
-- is the trace it was first judged for.
CREATE TABLE judgments (
    id INTEGER PRIMARY KEY,
    cache_key TEXT NOT NULL UNIQUE,
    trace_id INTEGER REFERENCES traces(id) ON DELETE SET NULL,
    rubric_name TEXT NOT NULL,
    rubric_version INTEGER NOT NULL,
    judge_model TEXT NOT NULL,
    score REAL NOT NULL,
    rationale TEXT NOT NULL DEFAULT '',
    raw_output TEXT NOT NULL DEFAULT '',
    created_at_ms INTEGER NOT NULL
);
CREATE INDEX judgments_by_rubric ON judgments(rubric_name, rubric_version, judge_model, trace_id);
CREATE INDEX judgments_by_trace ON judgments(trace_id);
