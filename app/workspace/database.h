// The workspace database: one SQLite connection (the C API, not QtSql) with
// WAL, foreign keys and a busy timeout, brought to the newest schema by the
// numbered, forward-only migrations in app/workspace/migrations/.
//
// Threading: a Database (and every Statement prepared from it) belongs to the
// thread that opened it; other threads open their own connection to the same
// file (WAL lets one writer and many readers work at once).
#pragma once

#include <engine/result.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

struct sqlite3;
struct sqlite3_stmt;

namespace crucible {

// One schema step. `version` is the PRAGMA user_version the database has after it.
struct Migration {
    int version = 0;
    const char* name = "";
    const char* sql = "";
};

// The migrations compiled into this build (generated from migrations/*.sql), in order.
const std::vector<Migration>& builtinMigrations();

// A prepared statement (RAII). Binding indexes are 1-based, column indexes 0-based.
class Statement {
public:
    Statement() = default;
    Statement(sqlite3* db, sqlite3_stmt* stmt) : m_db(db), m_stmt(stmt) {}
    ~Statement();
    Statement(Statement&& other) noexcept;
    Statement& operator=(Statement&& other) noexcept;
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;

    bool isValid() const { return m_stmt != nullptr; }

    void bindNull(int index);
    void bindInt(int index, int64_t value);
    void bindDouble(int index, double value);
    void bindText(int index, std::string_view text);  // copied by SQLite (SQLITE_TRANSIENT)
    void bindBlob(int index, const void* data, int size);
    void bindOptInt(int index, const std::optional<int64_t>& value);
    void bindOptDouble(int index, const std::optional<double>& value);

    // Runs one step: true when a row is available, false when done.
    engine::Result<bool> step();
    // step() until done; for statements that return no rows.
    engine::Status run();
    void reset();  // also clears the bindings

    bool isNull(int column) const;
    int64_t columnInt(int column) const;
    double columnDouble(int column) const;
    std::string columnText(int column) const;
    std::optional<int64_t> columnOptInt(int column) const;
    std::optional<double> columnOptDouble(int column) const;

private:
    sqlite3* m_db = nullptr;
    sqlite3_stmt* m_stmt = nullptr;
};

class Database {
public:
    ~Database();
    Database(const Database&) = delete;
    Database& operator=(const Database&) = delete;

    // Opens (creating if needed) the database file and applies the pending
    // migrations. Refuses a database whose schema is newer than `migrations`.
    static engine::Result<std::unique_ptr<Database>> open(
        const std::string& path, const std::vector<Migration>& migrations = builtinMigrations());

    // Applies every migration newer than the current schema version, each in
    // its own transaction (a failing one is rolled back and reported).
    engine::Status migrate(const std::vector<Migration>& migrations);
    int schemaVersion();

    engine::Status exec(std::string_view sql);  // one or more statements, no results
    engine::Result<Statement> prepare(std::string_view sql);
    int64_t lastInsertRowId() const;
    int changes() const;
    std::string lastError() const;
    const std::string& path() const { return m_path; }
    sqlite3* handle() const { return m_db; }

private:
    Database(sqlite3* db, std::string path) : m_db(db), m_path(std::move(path)) {}
    sqlite3* m_db = nullptr;
    std::string m_path;
};

// BEGIN IMMEDIATE on construction; rolls back on destruction unless committed.
class Transaction {
public:
    explicit Transaction(Database& db);
    ~Transaction();
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    const engine::Status& beginStatus() const { return m_begin; }
    engine::Status commit();

private:
    Database& m_db;
    engine::Status m_begin;
    bool m_open = false;
};

}  // namespace crucible

// Propagates a failed Status/Result from an expression (app-side twin of ENGINE_TRY).
#define CRUCIBLE_TRY(expr)                                                   \
    do {                                                                     \
        auto crucible_try_result_ = (expr);                                  \
        if (!crucible_try_result_.ok()) return crucible_try_result_.error(); \
    } while (0)
