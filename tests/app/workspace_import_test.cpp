// ImportRunner: JSONL streaming with rejections, .gz/.zip/folders, a 10 MB
// line, idempotent re-import, cancel, and an import SIGKILLed midway that
// resumes to exact counts.
#include <zip.h>
#include <zlib.h>

#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>
#include <fstream>

#include "workspace/import_runner.h"
#include "workspace/trace_store.h"
#include "workspace_test_parser.h"

using namespace crucible;
using crucible::testing::openAiChatLine;

namespace {

void writeText(const std::string& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary);
    out << text;
}

std::string lines(int64_t from, int64_t to) {  // records [from, to)
    std::string text;
    for (int64_t i = from; i < to; ++i) text += openAiChatLine(i) + "\n";
    return text;
}

int64_t scalar(Database& db, const std::string& sql) {
    auto stmt = db.prepare(sql);
    if (!stmt) qFatal("%s", stmt.error().message.c_str());
    auto row = stmt->step();
    if (!row || !*row) qFatal("no row");
    return stmt->columnInt(0);
}

}  // namespace

class WorkspaceImportTest : public QObject {
    Q_OBJECT

    std::unique_ptr<Database> openDb(const QTemporaryDir& dir) {
        auto db = Database::open(dir.filePath("w.sqlite").toStdString());
        if (!db) qFatal("%s", db.error().message.c_str());
        return std::move(*db);
    }
    ImportSummary runImport(Database& db, ImportOptions options) {
        ImportRunner runner(db, crucible::testing::openAiChatParsers());
        auto summary = runner.run(options);
        if (!summary) qFatal("%s", summary.error().message.c_str());
        return std::move(*summary);
    }

private Q_SLOTS:
    // With the real importers: a CSV record whose quoted field spans lines is one
    // record; the header row and non-LLM records count as skipped, not rejected.
    void realImportersCsvAcrossLinesAndSkippedRecords() {
        QTemporaryDir dir;
        auto db = openDb(dir);
        const std::string csv = dir.filePath("qa.csv").toStdString();
        writeText(csv,
                  "question,answer,model\n"
                  "\"What is 2+2?\",4,m1\n"
                  "\"Write a haiku\",\"Line one\nline two\nline \"\"three\"\"\",m2\n"
                  "Capital of France?,Paris,m1\n");
        ImportRunner runner(*db, builtinRecordParsers());
        ImportOptions options;
        options.paths = {csv};
        auto s = runner.run(options);
        QVERIFY2(s.ok(), s.ok() ? "" : s.error().message.c_str());
        QCOMPARE(s->total.imported, int64_t{3});
        QCOMPARE(s->total.rejected, int64_t{0});
        QCOMPARE(s->total.skipped, int64_t{1});  // the header
        QCOMPARE(
            scalar(*db, "SELECT count(*) FROM messages WHERE content = 'Line one\nline two\nline \"three\"'"),
            int64_t{1});
        QCOMPARE(
            scalar(*db,
                   "SELECT source_line FROM traces WHERE model = 'm1' ORDER BY source_line DESC LIMIT 1"),
            int64_t{6});  // header 1, records at 2, 3-5 and 6: physical line numbers
    }

    void jsonlWithRejectionsAndBlankLines() {
        QTemporaryDir dir;
        const std::string file = dir.filePath("a.jsonl").toStdString();
        std::string text = lines(0, 30) + "\n  \nnot json\n" + lines(30, 40) + "{\"messages\": 5}\r\n" +
                           openAiChatLine(40);  // CRLF and a last line without newline
        writeText(file, text);
        auto db = openDb(dir);
        ImportOptions options;
        options.paths = {file};
        options.batchSize = 7;
        const ImportSummary s = runImport(*db, options);
        QCOMPARE(s.total.imported, int64_t{41});
        QCOMPARE(s.total.rejected, int64_t{2});
        QCOMPARE(s.total.read, int64_t{43});
        QCOMPARE(s.byFormat.at("openai_chat").imported, int64_t{41});
        QCOMPARE(s.filesDone, int64_t{1});
        QCOMPARE(scalar(*db, "SELECT count(*) FROM traces"), int64_t{41});
        // Rejections name the file and the 1-based line.
        auto stmt = db->prepare("SELECT file, line, reason FROM import_rejections ORDER BY line");
        QVERIFY(stmt.ok());
        QVERIFY(*stmt->step());
        QCOMPARE(stmt->columnText(0), file);
        QCOMPARE(stmt->columnInt(1), int64_t{33});
        QVERIFY(*stmt->step());
        QCOMPARE(stmt->columnInt(1), int64_t{44});
        QVERIFY(stmt->columnText(2).find("messages") != std::string::npos);
        // Source lines recorded per trace.
        QCOMPARE(scalar(*db, "SELECT source_line FROM traces WHERE raw = '" + openAiChatLine(30) + "'"),
                 int64_t{34});
        QCOMPARE(scalar(*db, "SELECT status = 'done' FROM imports WHERE id = " + std::to_string(s.importId)),
                 int64_t{1});

        // Again: the finished file is skipped; with rescan every record is a duplicate.
        const ImportSummary again = runImport(*db, options);
        QCOMPARE(again.filesSkipped, int64_t{1});
        QCOMPARE(again.total.read, int64_t{0});
        options.rescan = true;
        const ImportSummary rescan = runImport(*db, options);
        QCOMPARE(rescan.total.duplicates, int64_t{41});
        QCOMPARE(rescan.total.imported, int64_t{0});
        QCOMPARE(scalar(*db, "SELECT count(*) FROM traces"), int64_t{41});
    }

    void gzipZipAndFolders() {
        QTemporaryDir dir;
        const QString root = dir.filePath("in");
        QVERIFY(QDir().mkpath(root + "/sub/deeper"));
        writeText((root + "/sub/plain.jsonl").toStdString(), lines(0, 10));
        writeText((root + "/README.md").toStdString(), "not a trace file\n");
        {
            gzFile gz = gzopen((root + "/sub/deeper/packed.jsonl.gz").toStdString().c_str(), "wb");
            const std::string text = lines(10, 25);
            QVERIFY(gz && gzwrite(gz, text.data(), static_cast<unsigned>(text.size())) > 0);
            gzclose(gz);
        }
        {
            int error = 0;
            zip_t* z =
                zip_open((root + "/bundle.zip").toStdString().c_str(), ZIP_CREATE | ZIP_TRUNCATE, &error);
            QVERIFY(z);
            static const std::string m1 = lines(25, 31), m2 = lines(31, 40);
            zip_file_add(z, "one.jsonl", zip_source_buffer(z, m1.data(), m1.size(), 0), ZIP_FL_OVERWRITE);
            zip_dir_add(z, "nested", 0);
            zip_file_add(z, "nested/two.jsonl", zip_source_buffer(z, m2.data(), m2.size(), 0),
                         ZIP_FL_OVERWRITE);
            QCOMPARE(zip_close(z), 0);
        }
        auto db = openDb(dir);
        ImportOptions options;
        options.paths = {root.toStdString()};
        options.batchSize = 4;
        const ImportSummary s = runImport(*db, options);
        QVERIFY2(s.fileErrors.empty(), s.fileErrors.empty() ? "" : s.fileErrors.front().c_str());
        QCOMPARE(s.filesDone, int64_t{4});  // plain, .gz, two zip members; README ignored
        QCOMPARE(s.total.imported, int64_t{40});
        QCOMPARE(s.total.rejected, int64_t{0});
        QCOMPARE(scalar(*db, "SELECT count(DISTINCT source_file) FROM traces"), int64_t{4});
        QCOMPARE(
            scalar(*db, "SELECT count(*) FROM traces WHERE source_file LIKE '%bundle.zip!nested/two.jsonl'"),
            int64_t{9});
    }

    void tenMegabyteLine() {
        QTemporaryDir dir;
        const std::string big(10 * 1024 * 1024, 'q');
        nlohmann::json j = {{"messages", {{{"role", "user"}, {"content", big}}}}};
        const std::string file = dir.filePath("big.jsonl").toStdString();
        writeText(file, openAiChatLine(1) + "\n" + j.dump() + "\n" + openAiChatLine(2) + "\n");
        auto db = openDb(dir);
        ImportOptions options;
        options.paths = {file};
        const ImportSummary s = runImport(*db, options);
        QCOMPARE(s.total.imported, int64_t{3});
        QCOMPARE(scalar(*db, "SELECT max(total_length) FROM traces"), static_cast<int64_t>(big.size()));
    }

    void cancelBetweenBatchesThenResume() {
        QTemporaryDir dir;
        const std::string file = dir.filePath("c.jsonl").toStdString();
        writeText(file, lines(0, 100));
        auto db = openDb(dir);
        std::atomic<bool> cancel{false};
        ImportOptions options;
        options.paths = {file};
        options.batchSize = 10;
        options.cancel = &cancel;
        options.onProgress = [&](const ImportProgress& p) {
            if (p.total.read >= 30) cancel = true;
        };
        const ImportSummary first = runImport(*db, options);
        QVERIFY(first.cancelled);
        QCOMPARE(first.total.imported, int64_t{30});
        QCOMPARE(scalar(*db, "SELECT count(*) FROM traces"), int64_t{30});
        cancel = false;
        options.onProgress = nullptr;
        const ImportSummary second = runImport(*db, options);
        QVERIFY(!second.cancelled);
        QCOMPARE(second.total.read, int64_t{70});  // resumed at line 31, not re-read
        QCOMPARE(second.total.imported, int64_t{70});
        QCOMPARE(second.total.duplicates, int64_t{0});
        QCOMPARE(scalar(*db, "SELECT count(DISTINCT source_line) FROM traces"), int64_t{100});
    }

    void killedImportResumesExactly() {
        QTemporaryDir dir;
        const int64_t n = 3000;
        const std::string file = dir.filePath("k.jsonl").toStdString();
        writeText(file, lines(0, n) + "broken line\n");
        const std::string dbPath = dir.filePath("w.sqlite").toStdString();
        {
            auto db = Database::open(dbPath);  // create the schema before the child runs
            QVERIFY(db.ok());
        }
        QProcess child;
        child.start(IMPORT_CHILD_PATH, {QString::fromStdString(dbPath), QString::fromStdString(file)});
        QVERIFY(child.waitForStarted());
        int batches = 0;
        while (batches < 5 && child.state() == QProcess::Running) {
            child.waitForReadyRead(5000);
            while (child.canReadLine())
                if (child.readLine().startsWith("batch")) ++batches;
        }
        child.kill();  // SIGKILL: no chance to clean up
        child.waitForFinished();
        QVERIFY2(batches >= 5, "the child did not report progress");

        auto db = openDb(dir);
        const int64_t before = scalar(*db, "SELECT count(*) FROM traces");
        QVERIFY2(before > 0 && before < n, qPrintable(QString::number(before)));  // really midway
        QCOMPARE(before % 50, int64_t{0});  // only whole batches were committed
        ImportOptions options;
        options.paths = {file};
        const ImportSummary s = runImport(*db, options);
        QCOMPARE(s.total.imported, n - before);
        QCOMPARE(s.total.duplicates, int64_t{0});  // progress avoided re-reading committed lines
        QCOMPARE(s.total.read, n - before + 1);
        QCOMPARE(s.total.rejected, int64_t{1});
        QCOMPARE(scalar(*db, "SELECT count(*) FROM traces"), n);
        QCOMPARE(scalar(*db, "SELECT count(DISTINCT source_line) FROM traces"), n);
        QCOMPARE(scalar(*db, "SELECT min(source_line) FROM traces"), int64_t{1});
        QCOMPARE(scalar(*db, "SELECT max(source_line) FROM traces"), n);
        QCOMPARE(scalar(*db, "SELECT count(*) FROM import_rejections"), int64_t{1});
        QCOMPARE(scalar(*db, "SELECT count(*) FROM messages"), 2 * n);
    }

    void missingPathIsAnError() {
        QTemporaryDir dir;
        auto db = openDb(dir);
        ImportRunner runner(*db, crucible::testing::openAiChatParsers());
        ImportOptions options;
        options.paths = {"/no/such/file.jsonl"};
        auto s = runner.run(options);
        QVERIFY(!s.ok());
        QVERIFY(s.error().message.find("/no/such/file.jsonl") != std::string::npos);
    }
};

QTEST_GUILESS_MAIN(WorkspaceImportTest)
#include "workspace_import_test.moc"
