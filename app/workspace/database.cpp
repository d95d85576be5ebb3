#include "workspace/database.h"

#include <sqlite3.h>

namespace crucible {

namespace {

engine::Error sqlError(sqlite3* db, std::string_view where) {
    return engine::make_error("[Database] " + std::string(where) + ": " +
                              (db ? sqlite3_errmsg(db) : "out of memory"));
}

}  // namespace

// ---- Statement -------------------------------------------------------------

Statement::~Statement() {
    if (m_stmt) sqlite3_finalize(m_stmt);
}

Statement::Statement(Statement&& other) noexcept : m_db(other.m_db), m_stmt(other.m_stmt) {
    other.m_stmt = nullptr;
}

Statement& Statement::operator=(Statement&& other) noexcept {
    if (this != &other) {
        if (m_stmt) sqlite3_finalize(m_stmt);
        m_db = other.m_db;
        m_stmt = other.m_stmt;
        other.m_stmt = nullptr;
    }
    return *this;
}

void Statement::bindNull(int index) { sqlite3_bind_null(m_stmt, index); }
void Statement::bindInt(int index, int64_t value) { sqlite3_bind_int64(m_stmt, index, value); }
void Statement::bindDouble(int index, double value) { sqlite3_bind_double(m_stmt, index, value); }
void Statement::bindText(int index, std::string_view text) {
    sqlite3_bind_text64(m_stmt, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
}
void Statement::bindBlob(int index, const void* data, int size) {
    sqlite3_bind_blob(m_stmt, index, data, size, SQLITE_TRANSIENT);
}
void Statement::bindOptInt(int index, const std::optional<int64_t>& value) {
    if (value)
        bindInt(index, *value);
    else
        bindNull(index);
}
void Statement::bindOptDouble(int index, const std::optional<double>& value) {
    if (value)
        bindDouble(index, *value);
    else
        bindNull(index);
}

engine::Result<bool> Statement::step() {
    const int rc = sqlite3_step(m_stmt);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    return sqlError(m_db, std::string("step '") + sqlite3_sql(m_stmt) + "'");
}

engine::Status Statement::run() {
    for (;;) {
        auto more = step();
        if (!more) return more.error();
        if (!*more) return {};
    }
}

void Statement::reset() {
    sqlite3_reset(m_stmt);
    sqlite3_clear_bindings(m_stmt);
}

bool Statement::isNull(int column) const { return sqlite3_column_type(m_stmt, column) == SQLITE_NULL; }
int64_t Statement::columnInt(int column) const { return sqlite3_column_int64(m_stmt, column); }
double Statement::columnDouble(int column) const { return sqlite3_column_double(m_stmt, column); }
std::string Statement::columnText(int column) const {
    const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(m_stmt, column));
    const int size = sqlite3_column_bytes(m_stmt, column);
    return text ? std::string(text, static_cast<size_t>(size)) : std::string();
}
std::optional<int64_t> Statement::columnOptInt(int column) const {
    if (isNull(column)) return std::nullopt;
    return columnInt(column);
}
std::optional<double> Statement::columnOptDouble(int column) const {
    if (isNull(column)) return std::nullopt;
    return columnDouble(column);
}

// ---- Database --------------------------------------------------------------

Database::~Database() {
    if (m_db) sqlite3_close_v2(m_db);
}

engine::Result<std::unique_ptr<Database>> Database::open(const std::string& path,
                                                         const std::vector<Migration>& migrations) {
    sqlite3* raw = nullptr;
    // NOMUTEX: the connection is used by one thread only (see the class comment).
    const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    if (sqlite3_open_v2(path.c_str(), &raw, flags, nullptr) != SQLITE_OK) {
        std::string message =
            "[Database] cannot open '" + path + "': " + (raw ? sqlite3_errmsg(raw) : "out of memory");
        sqlite3_close_v2(raw);
        return engine::make_error(std::move(message));
    }
    std::unique_ptr<Database> db(new Database(raw, path));
    sqlite3_busy_timeout(raw, 10000);
    sqlite3_extended_result_codes(raw, 1);
    // WAL: readers do not block the importer; NORMAL sync is crash-safe in WAL mode
    // (a power cut may lose the last commits, never corrupt the file).
    CRUCIBLE_TRY(
        db->exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
                 "PRAGMA temp_store=MEMORY; PRAGMA cache_size=-65536;"));
    CRUCIBLE_TRY(db->migrate(migrations));
    return db;
}

int Database::schemaVersion() {
    auto stmt = prepare("PRAGMA user_version");
    if (!stmt) return -1;
    auto row = stmt->step();
    return row && *row ? static_cast<int>(stmt->columnInt(0)) : -1;
}

engine::Status Database::migrate(const std::vector<Migration>& migrations) {
    const int known = migrations.empty() ? 0 : migrations.back().version;
    for (size_t i = 0; i < migrations.size(); ++i) {
        if (migrations[i].version != static_cast<int>(i) + 1)
            return engine::make_error("[Database] migration '" + std::string(migrations[i].name) +
                                      "' has version " + std::to_string(migrations[i].version) +
                                      ", expected " + std::to_string(i + 1));
    }
    const int current = schemaVersion();
    if (current < 0) return sqlError(m_db, "reading the schema version of '" + m_path + "'");
    if (current > known)
        return engine::make_error("[Database] '" + m_path + "' has schema version " +
                                  std::to_string(current) + ", newer than this build of Crucible supports (" +
                                  std::to_string(known) + "); update Crucible to open it");
    for (const Migration& migration : migrations) {
        if (migration.version <= current) continue;
        Transaction tx(*this);
        CRUCIBLE_TRY(tx.beginStatus());
        auto applied = exec(migration.sql);
        if (!applied)
            return engine::make_error("[Database] migration " + std::string(migration.name) + " failed on '" +
                                      m_path + "': " + applied.error().message);
        CRUCIBLE_TRY(exec("PRAGMA user_version=" + std::to_string(migration.version)));
        CRUCIBLE_TRY(tx.commit());
    }
    return {};
}

engine::Status Database::exec(std::string_view sql) {
    std::string text(sql);
    char* message = nullptr;
    if (sqlite3_exec(m_db, text.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
        std::string error = "[Database] " + std::string(message ? message : sqlite3_errmsg(m_db));
        sqlite3_free(message);
        return engine::make_error(std::move(error));
    }
    return {};
}

engine::Result<Statement> Database::prepare(std::string_view sql) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v3(m_db, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &stmt,
                           nullptr) != SQLITE_OK)
        return sqlError(m_db, "prepare '" + std::string(sql.substr(0, 200)) + "'");
    return Statement(m_db, stmt);
}

int64_t Database::lastInsertRowId() const { return sqlite3_last_insert_rowid(m_db); }
int Database::changes() const { return sqlite3_changes(m_db); }
std::string Database::lastError() const { return sqlite3_errmsg(m_db); }

// ---- Transaction -----------------------------------------------------------

Transaction::Transaction(Database& db) : m_db(db) {
    m_begin = m_db.exec("BEGIN IMMEDIATE");
    m_open = m_begin.ok();
}

Transaction::~Transaction() {
    if (m_open) (void)m_db.exec("ROLLBACK");
}

engine::Status Transaction::commit() {
    if (!m_open) return engine::make_error("[Transaction] commit without an open transaction");
    m_open = false;
    auto status = m_db.exec("COMMIT");
    if (!status) (void)m_db.exec("ROLLBACK");
    return status;
}

}  // namespace crucible
