// Database: pragmas, the migration ladder, refusing newer schemas, rollback of a failing migration.
#include <QTemporaryDir>
#include <QtTest>

#include "workspace/database.h"

using namespace crucible;

class WorkspaceDatabaseTest : public QObject {
    Q_OBJECT

private:
    static int64_t scalar(Database& db, const char* sql) {
        auto stmt = db.prepare(sql);
        if (!stmt) qFatal("%s", stmt.error().message.c_str());
        auto row = stmt->step();
        if (!row || !*row) qFatal("no row for %s", sql);
        return stmt->columnInt(0);
    }
    static std::string text(Database& db, const char* sql) {
        auto stmt = db.prepare(sql);
        if (!stmt) qFatal("%s", stmt.error().message.c_str());
        auto row = stmt->step();
        if (!row || !*row) qFatal("no row for %s", sql);
        return stmt->columnText(0);
    }

private Q_SLOTS:
    void freshDatabaseGetsEveryMigration() {
        QTemporaryDir dir;
        const std::string path = dir.filePath("w.sqlite").toStdString();
        auto db = Database::open(path);
        QVERIFY2(db.ok(), db.ok() ? "" : db.error().message.c_str());
        QVERIFY(!builtinMigrations().empty());
        QCOMPARE((*db)->schemaVersion(), builtinMigrations().back().version);
        QCOMPARE(text(**db, "PRAGMA journal_mode"), std::string("wal"));
        QCOMPARE(scalar(**db, "PRAGMA foreign_keys"), int64_t{1});
        for (const char* table : {"traces", "messages", "tags", "labels", "datasets", "dataset_traces",
                                  "imports", "import_files", "import_rejections", "traces_fts"}) {
            auto stmt = (*db)->prepare("SELECT count(*) FROM sqlite_master WHERE name = ?1");
            QVERIFY(stmt.ok());
            stmt->bindText(1, table);
            QVERIFY(stmt->step().ok());
            QVERIFY2(stmt->columnInt(0) == 1, table);
        }
    }

    void migrationsAreNumberedFromOne() {
        const auto& migrations = builtinMigrations();
        for (size_t i = 0; i < migrations.size(); ++i)
            QCOMPARE(migrations[i].version, static_cast<int>(i) + 1);
    }

    // Each migration upgrades a database created at the previous version (built
    // from the older migrations' SQL) and keeps the rows already there.
    void eachMigrationUpgradesThePreviousVersion() {
        const auto& all = builtinMigrations();
        for (size_t n = 1; n <= all.size(); ++n) {
            QTemporaryDir dir;
            const std::string path = dir.filePath("w.sqlite").toStdString();
            const std::vector<Migration> previous(all.begin(), all.begin() + static_cast<long>(n - 1));
            {
                auto old = Database::open(path, previous);
                QVERIFY2(old.ok(), old.ok() ? "" : old.error().message.c_str());
                QCOMPARE((*old)->schemaVersion(), static_cast<int>(n - 1));
                if (n >= 2)  // version 1 has traces: put one in to see it survive
                    QVERIFY(
                        (*old)
                            ->exec("INSERT INTO traces(content_hash, format, sort_time_ms, imported_at_ms)"
                                   " VALUES(x'01', 'openai_chat', 5, 5)")
                            .ok());
            }
            const std::vector<Migration> upTo(all.begin(), all.begin() + static_cast<long>(n));
            auto db = Database::open(path, upTo);
            QVERIFY2(db.ok(), db.ok() ? "" : db.error().message.c_str());
            QCOMPARE((*db)->schemaVersion(), static_cast<int>(n));
            if (n >= 2) QCOMPARE(scalar(**db, "SELECT count(*) FROM traces"), int64_t{1});
        }
    }

    void reopeningIsANoOp() {
        QTemporaryDir dir;
        const std::string path = dir.filePath("w.sqlite").toStdString();
        {
            auto db = Database::open(path);
            QVERIFY(db.ok());
            QVERIFY((*db)->exec("INSERT INTO datasets(name, version, created_at_ms) VALUES('d', 1, 0)").ok());
        }
        auto db = Database::open(path);
        QVERIFY(db.ok());
        QCOMPARE(scalar(**db, "SELECT count(*) FROM datasets"), int64_t{1});
    }

    void refusesANewerDatabase() {
        QTemporaryDir dir;
        const std::string path = dir.filePath("w.sqlite").toStdString();
        {
            auto db = Database::open(path);
            QVERIFY(db.ok());
            QVERIFY((*db)->exec("PRAGMA user_version = 999").ok());
        }
        auto db = Database::open(path);
        QVERIFY(!db.ok());
        QVERIFY2(db.error().message.find("999") != std::string::npos, db.error().message.c_str());
        QVERIFY(db.error().message.find("newer") != std::string::npos);
    }

    void failingMigrationIsRolledBack() {
        QTemporaryDir dir;
        const std::string path = dir.filePath("w.sqlite").toStdString();
        const std::vector<Migration> steps = {
            {1, "0001_ok", "CREATE TABLE a(x INTEGER);"},
            {2, "0002_broken", "CREATE TABLE b(y INTEGER); INSERT INTO no_such_table VALUES(1);"},
        };
        auto db = Database::open(path, steps);
        QVERIFY(!db.ok());
        QVERIFY2(db.error().message.find("0002_broken") != std::string::npos, db.error().message.c_str());
        const std::vector<Migration> first(steps.begin(), steps.begin() + 1);
        auto reopened = Database::open(path, first);
        QVERIFY(reopened.ok());
        QCOMPARE((*reopened)->schemaVersion(), 1);
        // Table b was created inside the failed migration's transaction: it must be gone.
        QCOMPARE(scalar(**reopened, "SELECT count(*) FROM sqlite_master WHERE name = 'b'"), int64_t{0});
    }

    void rejectsGapsInMigrationNumbers() {
        QTemporaryDir dir;
        const std::vector<Migration> steps = {{1, "0001", "SELECT 1;"}, {3, "0003", "SELECT 1;"}};
        auto db = Database::open(dir.filePath("w.sqlite").toStdString(), steps);
        QVERIFY(!db.ok());
        QVERIFY(db.error().message.find("0003") != std::string::npos);
    }

    void unopenablePathIsAnError() {
        auto db = Database::open("/nonexistent-dir-for-crucible/w.sqlite");
        QVERIFY(!db.ok());
        QVERIFY(db.error().message.find("/nonexistent-dir-for-crucible") != std::string::npos);
    }
};

QTEST_GUILESS_MAIN(WorkspaceDatabaseTest)
#include "workspace_database_test.moc"
