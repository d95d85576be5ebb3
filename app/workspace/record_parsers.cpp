#include "workspace/record_parsers.h"

#include "importers/importers.h"

namespace crucible {

namespace {

ParsedRecords fromOutcome(importers::ParseOutcome&& outcome) {
    ParsedRecords parsed;
    parsed.traces = std::move(outcome.traces);
    parsed.errors = std::move(outcome.errors);
    parsed.labels = std::move(outcome.labels);
    parsed.keepsSource = outcome.keepsSource;
    return parsed;
}

}  // namespace

RecordParsers builtinRecordParsers() {
    RecordParsers parsers;
    parsers.detectFileFormat = [](const std::string& fileName, std::string_view head) {
        return importers::detectFileFormat(fileName, head);
    };
    parsers.parseRecord = [](const std::string& format, std::string_view record) {
        return fromOutcome(importers::parseRecord(format, record));
    };
    parsers.parseDocument = [](const std::string& format, std::string_view document) {
        return fromOutcome(importers::parseDocument(format, document));
    };
    parsers.isLineFormat = [](const std::string& format) { return importers::isLineFormat(format); };
    return parsers;
}

}  // namespace crucible
