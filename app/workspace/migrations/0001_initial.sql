-- 0001: traces, messages, tags, labels, datasets, imports and full-text search.
-- Later issues (rubrics, judgments, runs, metrics, adapters) add their own
-- numbered migrations; this file never changes once released.

CREATE TABLE traces (
    id INTEGER PRIMARY KEY,
    content_hash BLOB NOT NULL UNIQUE,      -- SHA-256 of format + raw record (dedupe key)
    format TEXT NOT NULL,
    source_file TEXT NOT NULL DEFAULT '',
    source_line INTEGER NOT NULL DEFAULT 0,
    external_id TEXT NOT NULL DEFAULT '',
    model TEXT NOT NULL DEFAULT '',
    started_at_ms INTEGER,
    ended_at_ms INTEGER,
    sort_time_ms INTEGER NOT NULL,          -- started_at_ms, else the import time: the "date" sort key
    imported_at_ms INTEGER NOT NULL,
    latency_ms REAL,
    prompt_tokens INTEGER,
    completion_tokens INTEGER,
    cost_usd REAL,
    has_tool_calls INTEGER NOT NULL DEFAULT 0,
    message_count INTEGER NOT NULL DEFAULT 0,
    total_length INTEGER NOT NULL DEFAULT 0, -- characters (bytes) of message content
    tools_json TEXT NOT NULL DEFAULT '[]',
    rejected_json TEXT,                     -- preference data: the rejected answer as a message object
    ground_truth_json TEXT,
    metadata_json TEXT NOT NULL DEFAULT '{}',
    logprobs_json TEXT,                     -- compact [[token, logprob, token_id], ...]
    raw TEXT NOT NULL DEFAULT '',
    label_verdict TEXT,                     -- denormalised current label: 'good', 'bad', 'score' or NULL
    label_score REAL,
    import_id INTEGER REFERENCES imports(id) ON DELETE SET NULL
);
CREATE INDEX traces_sort_time ON traces(sort_time_ms, id);
CREATE INDEX traces_length ON traces(total_length, id);
CREATE INDEX traces_model ON traces(model, sort_time_ms);
CREATE INDEX traces_format ON traces(format, sort_time_ms);
CREATE INDEX traces_label ON traces(label_verdict, sort_time_ms);
CREATE INDEX traces_source ON traces(source_file, source_line);

CREATE TABLE messages (
    trace_id INTEGER NOT NULL REFERENCES traces(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    role TEXT NOT NULL,
    content TEXT NOT NULL DEFAULT '',
    tool_calls_json TEXT,                   -- [{"id","name","arguments"}], NULL when none
    tool_call_id TEXT NOT NULL DEFAULT '',
    name TEXT NOT NULL DEFAULT '',
    parts_json TEXT,                        -- multi-part content, NULL for plain strings
    PRIMARY KEY (trace_id, position)
) WITHOUT ROWID;

CREATE TABLE tags (                         -- rowid keeps the trace's tag order
    trace_id INTEGER NOT NULL REFERENCES traces(id) ON DELETE CASCADE,
    tag TEXT NOT NULL,
    UNIQUE (trace_id, tag)
);
CREATE INDEX tags_by_tag ON tags(tag, trace_id);

-- Every label ever set is kept; the newest row per trace is the current one
-- (a row with verdict 'cleared' clears it). traces.label_* mirrors the current one.
CREATE TABLE labels (
    id INTEGER PRIMARY KEY,
    trace_id INTEGER NOT NULL REFERENCES traces(id) ON DELETE CASCADE,
    verdict TEXT NOT NULL CHECK (verdict IN ('good', 'bad', 'score', 'cleared')),
    score REAL,
    critique TEXT NOT NULL DEFAULT '',
    corrected_answer TEXT,
    author TEXT NOT NULL DEFAULT '',
    created_at_ms INTEGER NOT NULL
);
CREATE INDEX labels_by_trace ON labels(trace_id, id);

CREATE TABLE datasets (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    version INTEGER NOT NULL,
    created_at_ms INTEGER NOT NULL,
    query_json TEXT,                        -- the search that selected it, NULL when built from ids
    description TEXT NOT NULL DEFAULT '',
    UNIQUE (name, version)
);

CREATE TABLE dataset_traces (
    dataset_id INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    trace_id INTEGER NOT NULL REFERENCES traces(id) ON DELETE CASCADE,
    PRIMARY KEY (dataset_id, position)
) WITHOUT ROWID;
CREATE INDEX dataset_traces_by_trace ON dataset_traces(trace_id);

CREATE TABLE imports (
    id INTEGER PRIMARY KEY,
    paths_json TEXT NOT NULL,
    started_at_ms INTEGER NOT NULL,
    finished_at_ms INTEGER,
    status TEXT NOT NULL CHECK (status IN ('running', 'done', 'cancelled', 'failed')),
    counters_json TEXT NOT NULL DEFAULT '{}' -- {"format": {"read","imported","duplicates","rejected"}}
);

-- Progress per file (archive members as "archive.zip!member"), committed with
-- each batch so that a killed import resumes where it stopped.
CREATE TABLE import_files (
    id INTEGER PRIMARY KEY,
    import_id INTEGER NOT NULL REFERENCES imports(id) ON DELETE CASCADE,
    path TEXT NOT NULL,
    size INTEGER NOT NULL,
    mtime_ms INTEGER NOT NULL,
    format TEXT NOT NULL DEFAULT '',
    byte_offset INTEGER NOT NULL DEFAULT 0, -- uncompressed bytes consumed
    line INTEGER NOT NULL DEFAULT 0,        -- lines consumed
    done INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX import_files_by_path ON import_files(path, size, mtime_ms);

CREATE TABLE import_rejections (
    id INTEGER PRIMARY KEY,
    import_id INTEGER NOT NULL REFERENCES imports(id) ON DELETE CASCADE,
    file TEXT NOT NULL,
    line INTEGER NOT NULL,
    reason TEXT NOT NULL
);
CREATE INDEX import_rejections_by_import ON import_rejections(import_id);

-- Full-text index over message content, one row per trace (rowid = traces.id).
-- Contentless: the text lives in messages; TraceStore inserts the row with the
-- trace and deletes it (with the original text) when a trace is removed.
CREATE VIRTUAL TABLE traces_fts USING fts5(body, content='', tokenize='unicode61 remove_diacritics 2');
