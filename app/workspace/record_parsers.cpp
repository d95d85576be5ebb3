#include "workspace/record_parsers.h"

// The importers module is written in parallel; link against it once it is in
// the tree, and build without it until then.
#if __has_include("importers/importers.h")
#include "importers/importers.h"
#define CRUCIBLE_HAVE_IMPORTERS 1
#endif

namespace crucible {

RecordParsers builtinRecordParsers() {
    RecordParsers parsers;
#ifdef CRUCIBLE_HAVE_IMPORTERS
    parsers.detectFileFormat = [](const std::string& fileName, std::string_view head) {
        return importers::detectFileFormat(fileName, head);
    };
    parsers.parseRecord = [](const std::string& format, std::string_view record) {
        importers::ParseOutcome outcome = importers::parseRecord(format, record);
        return ParsedRecords{std::move(outcome.traces), std::move(outcome.errors)};
    };
    parsers.parseDocument = [](const std::string& format, std::string_view document) {
        importers::ParseOutcome outcome = importers::parseDocument(format, document);
        return ParsedRecords{std::move(outcome.traces), std::move(outcome.errors)};
    };
    parsers.isLineFormat = [](const std::string& format) { return importers::isLineFormat(format); };
#endif
    return parsers;
}

}  // namespace crucible
