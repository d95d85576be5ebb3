#include "workspace/import_runner.h"

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <system_error>

#include "workspace/line_reader.h"
#include "workspace/trace_json.h"
#include "workspace/trace_store.h"

namespace crucible {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr size_t kSniffBytes = 64 * 1024;

struct FileEntry {
    enum class Kind { Plain, Gzip, ZipMember };
    Kind kind = Kind::Plain;
    std::string key;       // the path recorded in traces and progress ("a.zip!m.jsonl" for members)
    std::string fsPath;    // the file on disk
    std::string nameHint;  // the name the parser sees (without .gz)
    int64_t zipIndex = 0;
    int64_t size = 0;
    int64_t mtimeMs = 0;
};

bool endsWith(const std::string& s, std::string_view suffix) {
    if (s.size() < suffix.size()) return false;
    for (size_t i = 0; i < suffix.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(s[s.size() - suffix.size() + i])) != suffix[i])
            return false;
    return true;
}

bool importableInFolder(const std::string& name) {
    for (const char* ext : {".jsonl", ".ndjson", ".json", ".csv", ".gz", ".zip"})
        if (endsWith(name, ext)) return true;
    return false;
}

int64_t mtimeMsOf(const fs::path& path) {
    std::error_code ec;
    const auto time = fs::last_write_time(path, ec);
    if (ec) return 0;
    return std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch()).count();
}

engine::Status addFile(const fs::path& path, std::vector<FileEntry>& out) {
    const std::string text = path.string();
    std::error_code ec;
    FileEntry entry;
    entry.fsPath = text;
    entry.key = text;
    entry.size = static_cast<int64_t>(fs::file_size(path, ec));
    entry.mtimeMs = mtimeMsOf(path);
    if (endsWith(text, ".zip")) {
        auto members = listZipMembers(text);
        if (!members) return members.error();
        for (const ZipMember& m : *members) {
            FileEntry member = entry;
            member.kind = FileEntry::Kind::ZipMember;
            member.key = text + "!" + m.name;
            member.nameHint = m.name;
            member.zipIndex = m.index;
            member.size = m.size;
            member.mtimeMs = m.mtimeMs;
            out.push_back(std::move(member));
        }
        return {};
    }
    if (endsWith(text, ".gz")) {
        entry.kind = FileEntry::Kind::Gzip;
        entry.nameHint = text.substr(0, text.size() - 3);
    } else {
        entry.nameHint = text;
    }
    out.push_back(std::move(entry));
    return {};
}

engine::Result<std::vector<FileEntry>> collectFiles(const std::vector<std::string>& paths) {
    std::vector<FileEntry> out;
    for (const std::string& p : paths) {
        std::error_code ec;
        const fs::path path(p);
        if (fs::is_directory(path, ec)) {
            std::vector<fs::path> files;
            for (auto it = fs::recursive_directory_iterator(
                     path, fs::directory_options::skip_permission_denied, ec);
                 !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
                if (it->is_regular_file(ec) && importableInFolder(it->path().filename().string()))
                    files.push_back(it->path());
            }
            if (ec) return engine::make_error("[import] cannot walk folder '" + p + "': " + ec.message());
            std::sort(files.begin(), files.end());  // a stable order makes resuming predictable
            for (const fs::path& f : files) CRUCIBLE_TRY(addFile(f, out));
        } else if (fs::is_regular_file(path, ec)) {
            CRUCIBLE_TRY(addFile(path, out));
        } else {
            return engine::make_error("[import] no such file or folder: '" + p + "'");
        }
    }
    return out;
}

engine::Result<std::unique_ptr<ByteSource>> openEntry(const FileEntry& e) {
    switch (e.kind) {
        case FileEntry::Kind::Gzip:
            return openGzipFile(e.fsPath);
        case FileEntry::Kind::ZipMember:
            return openZipMember(e.fsPath, e.zipIndex);
        case FileEntry::Kind::Plain:
            break;
    }
    return openPlainFile(e.fsPath);
}

bool isBlank(std::string_view line) { return line.find_first_not_of(" \t\r\n") == std::string_view::npos; }

json countersToJson(const std::map<std::string, ImportCounters>& byFormat) {
    json out = json::object();
    for (const auto& [format, c] : byFormat)
        out[format] = {{"read", c.read},
                       {"imported", c.imported},
                       {"duplicates", c.duplicates},
                       {"rejected", c.rejected},
                       {"skipped", c.skipped}};
    return out;
}

// One import run: the batch being filled and the statements that commit it.
class Session {
public:
    Session(Database& db, const RecordParsers& parsers, const ImportOptions& options, ImportSummary& summary)
        : m_db(db), m_store(db), m_parsers(parsers), m_options(options), m_summary(summary) {}

    engine::Status start();
    engine::Status importFile(const FileEntry& entry);
    engine::Status finish(const char* status);
    bool cancelled() const { return m_options.cancel && m_options.cancel->load(); }
    // Drops an unflushed batch after a file failed midway; its progress stays where it was.
    void discardPending() {
        m_traces.clear();
        m_labels.clear();
        m_rejections.clear();
        m_pending.clear();
    }

private:
    struct Rejection {
        std::string file;
        int64_t line;
        std::string reason;
    };
    struct Progress {
        int64_t rowId = 0;
        int64_t offset = 0;
        int64_t line = 0;
        bool done = false;
    };

    engine::Result<std::optional<Progress>> findProgress(const FileEntry& entry);
    // `labels` is empty or holds the label history of traces[i] (canonical
    // records); `keepsSource` traces keep their own sourceFile/sourceLine.
    engine::Status addTraces(std::vector<Trace> traces, const std::string& fileKey, int64_t line,
                             std::vector<std::vector<Label>> labels, bool keepsSource);
    void reject(const std::string& format, const std::string& file, int64_t line, std::string reason);
    engine::Status flush(const Progress& progress, const FileEntry& entry);
    engine::Status importLines(const FileEntry& entry, LineReader& reader, const std::string& format,
                               Progress& progress);
    engine::Status importDocument(const FileEntry& entry, LineReader& reader, const std::string& format,
                                  Progress& progress);

    Database& m_db;
    TraceStore m_store;
    const RecordParsers& m_parsers;
    const ImportOptions& m_options;
    ImportSummary& m_summary;

    std::vector<Trace> m_traces;
    std::vector<std::vector<Label>> m_labels;  // per pending trace (canonical imports)
    std::vector<Rejection> m_rejections;
    std::map<std::string, ImportCounters> m_pending;  // counters of the unflushed batch
};

engine::Status Session::start() {
    auto insert =
        m_db.prepare("INSERT INTO imports(paths_json, started_at_ms, status) VALUES(?1, ?2, 'running')");
    if (!insert) return insert.error();
    insert->bindText(1, json(m_options.paths).dump());
    insert->bindInt(2, currentTimeMs());
    CRUCIBLE_TRY(insert->run());
    m_summary.importId = m_db.lastInsertRowId();
    return {};
}

engine::Status Session::finish(const char* status) {
    auto update =
        m_db.prepare("UPDATE imports SET finished_at_ms = ?2, status = ?3, counters_json = ?4 WHERE id = ?1");
    if (!update) return update.error();
    update->bindInt(1, m_summary.importId);
    update->bindInt(2, currentTimeMs());
    update->bindText(3, status);
    update->bindText(4, countersToJson(m_summary.byFormat).dump());
    return update->run();
}

engine::Result<std::optional<Session::Progress>> Session::findProgress(const FileEntry& entry) {
    auto stmt = m_db.prepare(
        "SELECT id, byte_offset, line, done FROM import_files WHERE path = ?1 AND size = ?2 AND mtime_ms = ?3"
        " ORDER BY id DESC LIMIT 1");
    if (!stmt) return stmt.error();
    stmt->bindText(1, entry.key);
    stmt->bindInt(2, entry.size);
    stmt->bindInt(3, entry.mtimeMs);
    auto row = stmt->step();
    if (!row) return row.error();
    if (!*row) return std::optional<Progress>();
    return std::optional<Progress>(
        Progress{stmt->columnInt(0), stmt->columnInt(1), stmt->columnInt(2), stmt->columnInt(3) != 0});
}

void Session::reject(const std::string& format, const std::string& file, int64_t line, std::string reason) {
    ImportCounters& c = m_pending[format.empty() ? "unknown" : format];
    ++c.read;
    ++c.rejected;
    m_rejections.push_back({file, line, std::move(reason)});
}

engine::Status Session::addTraces(std::vector<Trace> traces, const std::string& fileKey, int64_t line,
                                  std::vector<std::vector<Label>> labels, bool keepsSource) {
    labels.resize(traces.size());
    for (size_t i = 0; i < traces.size(); ++i) {
        Trace& t = traces[i];
        if (!keepsSource && t.sourceFile.empty()) t.sourceFile = fileKey;
        if (!keepsSource && t.sourceLine == 0) t.sourceLine = line;
        if (i == 0) ++m_pending[t.format].read;  // one record, however many traces it yields
        m_traces.push_back(std::move(t));
        m_labels.push_back(std::move(labels[i]));
    }
    return {};
}

engine::Status Session::flush(const Progress& progress, const FileEntry& entry) {
    Transaction tx(m_db);
    CRUCIBLE_TRY(tx.beginStatus());
    auto inserted = m_store.insertInTransaction(m_traces, m_summary.importId);
    if (!inserted) return inserted.error();
    for (size_t i = 0; i < m_traces.size(); ++i) {
        ImportCounters& c = m_pending[m_traces[i].format];
        if (inserted->isNew[i])
            ++c.imported;
        else
            ++c.duplicates;
        if (m_labels[i].empty()) continue;
        std::vector<Label> existing;
        if (!inserted->isNew[i]) {  // re-import of a canonical file: add only the labels it lacks
            auto history = m_store.labelHistory(inserted->ids[i]);
            if (!history) return history.error();
            existing = std::move(*history);
        }
        for (const Label& label : m_labels[i]) {
            const bool known = std::any_of(existing.begin(), existing.end(), [&](const Label& e) {
                return e.verdict == label.verdict && e.createdAtMs == label.createdAtMs &&
                       e.author == label.author && e.critique == label.critique;
            });
            if (known) continue;
            auto stored = m_store.appendLabelInTransaction(inserted->ids[i], label);
            if (!stored) return stored.error();
        }
    }
    auto rejection =
        m_db.prepare("INSERT INTO import_rejections(import_id, file, line, reason) VALUES(?1,?2,?3,?4)");
    if (!rejection) return rejection.error();
    for (const Rejection& r : m_rejections) {
        rejection->reset();
        rejection->bindInt(1, m_summary.importId);
        rejection->bindText(2, r.file);
        rejection->bindInt(3, r.line);
        rejection->bindText(4, r.reason);
        CRUCIBLE_TRY(rejection->run());
    }
    auto mark = m_db.prepare(
        "UPDATE import_files SET import_id = ?2, byte_offset = ?3, line = ?4, done = ?5 WHERE id = ?1");
    if (!mark) return mark.error();
    mark->bindInt(1, progress.rowId);
    mark->bindInt(2, m_summary.importId);
    mark->bindInt(3, progress.offset);
    mark->bindInt(4, progress.line);
    mark->bindInt(5, progress.done ? 1 : 0);
    CRUCIBLE_TRY(mark->run());
    std::map<std::string, ImportCounters> merged = m_summary.byFormat;
    for (const auto& [format, c] : m_pending) merged[format] += c;
    auto counters = m_db.prepare("UPDATE imports SET counters_json = ?2 WHERE id = ?1");
    if (!counters) return counters.error();
    counters->bindInt(1, m_summary.importId);
    counters->bindText(2, countersToJson(merged).dump());
    CRUCIBLE_TRY(counters->run());
    CRUCIBLE_TRY(tx.commit());

    // Committed: only now does the batch count.
    m_summary.byFormat = std::move(merged);
    for (const auto& [format, c] : m_pending) m_summary.total += c;
    m_pending.clear();
    m_traces.clear();
    m_labels.clear();
    m_rejections.clear();
    if (m_options.onProgress)
        m_options.onProgress({m_summary.importId, entry.key, progress.offset, entry.size, m_summary.total});
    return {};
}

engine::Status Session::importLines(const FileEntry& entry, LineReader& reader, const std::string& format,
                                    Progress& progress) {
    const bool csv = format.rfind("csv", 0) == 0;
    const size_t batch = static_cast<size_t>(std::max(1, m_options.batchSize));
    std::string line;
    for (;;) {
        auto more = reader.next(line);
        if (!more) return more.error();
        if (!*more) break;
        if (isBlank(line)) continue;
        const int64_t lineNumber = reader.lineNumber();
        // A CSV record may span lines inside a quoted field: while the record has
        // an odd number of quote characters ("" escapes count two), a field is open.
        if (csv) {
            std::string next;
            while (std::count(line.begin(), line.end(), '"') % 2 == 1) {
                auto continued = reader.next(next);
                if (!continued) return continued.error();
                if (!*continued) break;  // unterminated quote: the parser reports it
                line.append("\n").append(next);
            }
        }
        if (!m_parsers.parseRecord) {
            reject(format, entry.key, lineNumber,
                   "[import] no importer for format '" + format + "' in this build");
        } else {
            ParsedRecords parsed = m_parsers.parseRecord(format, line);
            if (parsed.traces.empty() && parsed.errors.empty()) {
                // Valid, but not a model call (a CSV header, a non-LLM observation): not an error.
                ImportCounters& c = m_pending[format.empty() ? "unknown" : format];
                ++c.read;
                ++c.skipped;
            } else if (parsed.traces.empty()) {
                std::string reason;
                for (const std::string& e : parsed.errors) reason += (reason.empty() ? "" : "; ") + e;
                reject(format, entry.key, lineNumber, reason.empty() ? "no trace in this record" : reason);
            } else {
                CRUCIBLE_TRY(addTraces(std::move(parsed.traces), entry.key, lineNumber,
                                       std::move(parsed.labels), parsed.keepsSource));
            }
        }
        if (m_traces.size() + m_rejections.size() >= batch) {
            progress.offset = reader.offset();
            progress.line = reader.lineNumber();
            CRUCIBLE_TRY(flush(progress, entry));
            if (cancelled()) return {};
        }
    }
    progress.offset = reader.offset();
    progress.line = reader.lineNumber();
    progress.done = true;
    return flush(progress, entry);
}

engine::Status Session::importDocument(const FileEntry& entry, LineReader& reader, const std::string& format,
                                       Progress& progress) {
    auto document = reader.readAll();
    if (!document) return document.error();
    ParsedRecords parsed = m_parsers.parseDocument(format, *document);
    for (const std::string& error : parsed.errors) reject(format, entry.key, 0, error);
    const size_t batch = static_cast<size_t>(std::max(1, m_options.batchSize));
    parsed.labels.resize(parsed.traces.size());
    for (size_t i = 0; i < parsed.traces.size(); ++i) {
        std::vector<Trace> one;
        one.push_back(std::move(parsed.traces[i]));
        std::vector<std::vector<Label>> labels;
        labels.push_back(std::move(parsed.labels[i]));
        CRUCIBLE_TRY(addTraces(std::move(one), entry.key, 0, std::move(labels), parsed.keepsSource));
        if (m_traces.size() >= batch && i + 1 < parsed.traces.size()) {
            CRUCIBLE_TRY(flush(progress, entry));  // not done: a restart re-parses, dedupe drops the repeats
            if (cancelled()) return {};
        }
    }
    progress.offset = reader.offset();
    progress.done = true;
    return flush(progress, entry);
}

engine::Status Session::importFile(const FileEntry& entry) {
    auto found = findProgress(entry);
    if (!found) return found.error();
    Progress progress;
    if (*found) {
        progress = **found;
        if (progress.done && !m_options.rescan) {
            ++m_summary.filesSkipped;
            return {};
        }
        if (progress.done) progress = Progress{progress.rowId, 0, 0, false};
    } else {
        auto insert =
            m_db.prepare("INSERT INTO import_files(import_id, path, size, mtime_ms) VALUES(?1,?2,?3,?4)");
        if (!insert) return insert.error();
        insert->bindInt(1, m_summary.importId);
        insert->bindText(2, entry.key);
        insert->bindInt(3, entry.size);
        insert->bindInt(4, entry.mtimeMs);
        CRUCIBLE_TRY(insert->run());
        progress.rowId = m_db.lastInsertRowId();
    }
    auto source = openEntry(entry);
    if (!source) return source.error();
    LineReader reader(std::move(*source));
    auto head = reader.peek(kSniffBytes);
    if (!head) return head.error();
    std::string format = m_options.format.empty() ? "auto" : m_options.format;
    if (format == "auto") {
        format =
            m_parsers.detectFileFormat ? m_parsers.detectFileFormat(entry.nameHint, *head) : std::string();
        if (format.empty() && (endsWith(entry.nameHint, ".jsonl") || endsWith(entry.nameHint, ".ndjson")))
            format = "auto";  // detect record by record
    }
    if (format.empty()) {
        reject("unknown", entry.key, 0,
               "[import] cannot tell the format of '" + entry.key + "'; pass a format");
        progress.done = true;
        return flush(progress, entry);
    }
    const bool lines = format == "auto" || (m_parsers.isLineFormat && m_parsers.isLineFormat(format));
    if (!lines && !m_parsers.parseDocument) {
        reject(format, entry.key, 0, "[import] no importer for format '" + format + "' in this build");
        progress.done = true;
        return flush(progress, entry);
    }
    if (lines && progress.offset > 0) CRUCIBLE_TRY(reader.skipTo(progress.offset, progress.line));
    CRUCIBLE_TRY(lines ? importLines(entry, reader, format, progress)
                       : importDocument(entry, reader, format, progress));
    if (progress.done) ++m_summary.filesDone;
    return {};
}

}  // namespace

engine::Result<ImportSummary> ImportRunner::run(const ImportOptions& options) {
    ImportSummary summary;
    auto files = collectFiles(options.paths);
    if (!files) return files.error();
    Session session(m_db, m_parsers, options, summary);
    CRUCIBLE_TRY(session.start());
    for (const FileEntry& entry : *files) {
        if (session.cancelled()) break;
        auto status = session.importFile(entry);
        if (!status) {
            // A file that cannot be read is reported; the others still import.
            summary.fileErrors.push_back(status.error().message);
            session.discardPending();
        }
    }
    summary.cancelled = session.cancelled();
    CRUCIBLE_TRY(session.finish(summary.cancelled ? "cancelled" : "done"));
    return summary;
}

}  // namespace crucible
