// The parser functions the import runner calls, as a value so tests and tools
// can substitute their own. builtinRecordParsers() wraps crucible::importers
// (app/importers/importers.h), which also reads Crucible's canonical JSONL.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "workspace/trace.h"

namespace crucible {

struct ParsedRecords {
    std::vector<Trace> traces;
    std::vector<std::string> errors;         // why this record (or document) was rejected
    std::vector<std::vector<Label>> labels;  // empty, or the label history of traces[i] (canonical JSONL)
    bool keepsSource = false;  // traces keep their own sourceFile/sourceLine (canonical re-import)
};

struct RecordParsers {
    // Format of a whole file from its name and first bytes ("" when unknown).
    std::function<std::string(const std::string& fileName, std::string_view head)> detectFileFormat;
    // One JSONL/CSV record; format may be "auto" (detect per record).
    std::function<ParsedRecords(const std::string& format, std::string_view record)> parseRecord;
    // A whole document (OTLP JSON, Langfuse/LangSmith exports, JSON arrays).
    std::function<ParsedRecords(const std::string& format, std::string_view document)> parseDocument;
    std::function<bool(const std::string& format)> isLineFormat;

    bool isComplete() const { return detectFileFormat && parseRecord && parseDocument && isLineFormat; }
};

RecordParsers builtinRecordParsers();

}  // namespace crucible
