// ImportRunner: imports files, folders (recursively), .gz files and .zip
// members into a workspace. JSONL is streamed line by line; whole-document
// formats are handed to the parser in one piece. Traces go in batches, each
// batch in one transaction together with the file's progress and rejections,
// so an import killed at any point and re-run resumes where it stopped and
// ends with exactly the same traces (no loss, no duplicates).
//
// Threading: run() works on the Database it was given, in the caller's thread
// (a worker thread in the studio). Cancel from any thread through the flag.
#pragma once

#include <engine/result.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "workspace/database.h"
#include "workspace/record_parsers.h"

namespace crucible {

struct ImportCounters {
    int64_t read = 0;        // records (lines, documents' traces) seen
    int64_t imported = 0;    // new traces stored
    int64_t duplicates = 0;  // already in the workspace
    int64_t rejected = 0;    // records that produced no trace (see import_rejections)
    int64_t skipped = 0;     // well-formed records that hold no trace (a CSV header, a non-LLM run or span)
    ImportCounters& operator+=(const ImportCounters& o) {
        read += o.read, imported += o.imported, duplicates += o.duplicates, rejected += o.rejected,
            skipped += o.skipped;
        return *this;
    }
};

struct ImportProgress {
    int64_t importId = 0;
    std::string file;  // current file ("archive.zip!member" inside archives)
    int64_t fileBytesDone = 0;
    int64_t fileBytes = 0;  // compressed size for .gz, 0 when unknown
    ImportCounters total;
};

struct ImportOptions {
    std::vector<std::string> paths;  // files, folders, .gz, .zip
    std::string format = "auto";     // force a format for every file, or "auto" (detect)
    int batchSize = 1000;
    bool rescan = false;  // re-read files an earlier import finished (dedupe still applies)
    const std::atomic<bool>* cancel = nullptr;              // checked between batches
    std::function<void(const ImportProgress&)> onProgress;  // after each committed batch
};

struct ImportSummary {
    int64_t importId = 0;
    std::map<std::string, ImportCounters> byFormat;
    ImportCounters total;
    int64_t filesDone = 0;
    int64_t filesSkipped = 0;  // finished by an earlier import
    bool cancelled = false;
    std::vector<std::string> fileErrors;  // files that could not be read at all
};

class ImportRunner {
public:
    ImportRunner(Database& db, RecordParsers parsers) : m_db(db), m_parsers(std::move(parsers)) {}
    engine::Result<ImportSummary> run(const ImportOptions& options);

private:
    Database& m_db;
    RecordParsers m_parsers;
};

}  // namespace crucible
