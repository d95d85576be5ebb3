// Trace importers: turn the files users bring (Crucible's own canonical
// export, OpenAI fine-tuning files and Chat Completions / Responses API logs,
// OTLP GenAI spans and logs, Langfuse JSON and CSV, LangSmith, ShareGPT,
// Alpaca, TRL rows, CSV) into crucible::Trace values. Pure functions over bytes: no I/O, no state, safe to
// call from any thread. Nothing throws out of these functions; every problem is
// reported as a reason string in ParseOutcome::errors.
//
// Format ids (see formats()): crucible (canonical JSONL), openai_chat,
// openai_chat_log, openai_responses, openai_dpo, openai_rft, otlp_genai,
// otlp_logs, langfuse, langsmith, sharegpt, alpaca, trl, csv[:mapping].
// "auto" detects the format of each record from the keys it has.
// A "json:" prefix ("json:sharegpt", "json:auto") names a whole-document file
// holding one JSON value: an array of records, or a single record. OTLP,
// Langfuse trace exports and LangSmith run dumps are documents by nature too.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "workspace/trace.h"

namespace crucible::importers {

struct ParseOutcome {
    std::vector<Trace> traces;
    std::vector<std::string> errors;  // reasons this record (or parts of the document) was rejected
    // Label history per trace (oldest first; ids and trace ids 0) for formats
    // that carry labels (Crucible canonical JSONL): empty, or labels[i]
    // belongs to traces[i].
    std::vector<std::vector<Label>> labels;
    // The traces already say where they came from (canonical re-imports keep
    // the sourceFile/sourceLine of the original import): callers must not
    // overwrite them with the file being read.
    bool keepsSource = false;
};

// Detects the format of a whole file from its name and first bytes ("" when
// unknown). JSON Lines files give a line format id; a file that is a single
// JSON value gives "json:<id>"; CSV files give "csv:<mapping>;header=<json>"
// (the header row is carried in the format so each record can be mapped alone).
std::string detectFileFormat(const std::string& fileName, std::string_view head);

// For JSONL/CSV-like files: parses one line/record (format may be "auto" =
// detect per line). Trace::raw is the record verbatim; sourceFile/sourceLine
// are left for the caller. A CSV header record yields no traces and no errors.
ParseOutcome parseRecord(const std::string& format, std::string_view record);

// For whole-document formats (OTLP JSON, Langfuse/LangSmith JSON exports,
// JSON arrays of records): parses the document. Each trace's raw is the JSON
// of the record it came from (for OTLP: a TracesData holding just that span).
ParseOutcome parseDocument(const std::string& format, std::string_view document);

// True when files of this format are read record by record (JSONL, CSV).
bool isLineFormat(const std::string& format);

// ---- Extras -----------------------------------------------------------------

struct FormatInfo {
    std::string id;
    std::string description;
    bool lineFormat = true;  // the natural container is JSON Lines / CSV rows
};
// Every format the importers know, in detection priority order.
const std::vector<FormatInfo>& formats();

// The format id of one parsed JSON record from its keys ("" when unknown).
std::string detectRecordFormat(std::string_view record);

// Splits CSV text into records (RFC 4180: quoted fields may hold commas,
// doubled quotes and line breaks). Views point into `text`; line terminators
// (LF or CRLF) are not included; empty lines are dropped.
std::vector<std::string_view> splitCsvRecords(std::string_view text);

// Splits one CSV record into its unquoted field values.
std::vector<std::string> splitCsvFields(std::string_view record);

// Completes a user-given CSV format ("csv:prompt=question,response=answer")
// with the header row found at the start of `head`, so parseRecord can map
// columns by name. Non-CSV formats are returned unchanged.
std::string withCsvHeader(const std::string& format, std::string_view head);

}  // namespace crucible::importers
