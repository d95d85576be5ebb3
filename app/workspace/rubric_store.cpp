#include "workspace/rubric_store.h"

#include <engine/json.h>

#include <charconv>

#include "workspace/trace_store.h"

namespace crucible {

namespace {

engine::Result<evals::Rubric> rubricFromText(const std::string& text, const std::string& where) {
    auto json = engine::json::parse(text);
    if (!json.ok()) return engine::make_error("[RubricStore] " + where + ": " + json.error().message);
    auto rubric = evals::rubric_from_json(*json);
    if (!rubric.ok()) return engine::make_error("[RubricStore] " + where + ": " + rubric.error().message);
    return rubric;
}

}  // namespace

engine::Result<int> RubricStore::latestVersion(const std::string& name) {
    auto stmt = m_db.prepare("SELECT coalesce(max(version), 0) FROM rubrics WHERE name = ?1");
    if (!stmt) return stmt.error();
    stmt->bindText(1, name);
    auto row = stmt->step();
    if (!row) return row.error();
    return static_cast<int>(stmt->columnInt(0));
}

engine::Result<evals::Rubric> RubricStore::insert(evals::Rubric rubric, int version) {
    rubric.version = version;
    CRUCIBLE_TRY(evals::validate_rubric(rubric));
    auto stmt = m_db.prepare(
        "INSERT INTO rubrics(name, version, definition_json, created_at_ms) VALUES(?1, ?2, ?3, ?4)");
    if (!stmt) return stmt.error();
    stmt->bindText(1, rubric.name);
    stmt->bindInt(2, version);
    stmt->bindText(3, engine::json::dump(evals::rubric_to_json(rubric)));
    stmt->bindInt(4, currentTimeMs());
    CRUCIBLE_TRY(stmt->run());
    return rubric;
}

engine::Result<evals::Rubric> RubricStore::create(evals::Rubric rubric) {
    Transaction tx(m_db);
    CRUCIBLE_TRY(tx.beginStatus());
    auto latest = latestVersion(rubric.name);
    if (!latest) return latest.error();
    if (*latest > 0)
        return engine::make_error("[RubricStore] rubric '" + rubric.name + "' already exists (v" +
                                  std::to_string(*latest) + "); edit it to add a version");
    auto stored = insert(std::move(rubric), 1);
    if (!stored) return stored.error();
    CRUCIBLE_TRY(tx.commit());
    return stored;
}

engine::Result<evals::Rubric> RubricStore::addVersion(evals::Rubric rubric) {
    Transaction tx(m_db);
    CRUCIBLE_TRY(tx.beginStatus());
    auto latest = latestVersion(rubric.name);
    if (!latest) return latest.error();
    if (*latest == 0) return engine::make_error("[RubricStore] no rubric named '" + rubric.name + "'");
    auto stored = insert(std::move(rubric), *latest + 1);
    if (!stored) return stored.error();
    CRUCIBLE_TRY(tx.commit());
    return stored;
}

engine::Result<std::optional<evals::Rubric>> RubricStore::get(const std::string& name, int version) {
    auto stmt = m_db.prepare(version > 0 ? "SELECT definition_json, version FROM rubrics WHERE name = ?1 AND "
                                           "version = ?2"
                                         : "SELECT definition_json, version FROM rubrics WHERE name = ?1 "
                                           "ORDER BY version DESC LIMIT 1");
    if (!stmt) return stmt.error();
    stmt->bindText(1, name);
    if (version > 0) stmt->bindInt(2, version);
    auto row = stmt->step();
    if (!row) return row.error();
    if (!*row) return std::optional<evals::Rubric>();
    auto rubric =
        rubricFromText(stmt->columnText(0), "'" + name + "' v" + std::to_string(stmt->columnInt(1)));
    if (!rubric) return rubric.error();
    return std::optional<evals::Rubric>(std::move(*rubric));
}

engine::Result<std::vector<evals::Rubric>> RubricStore::versions(const std::string& name) {
    auto stmt = m_db.prepare("SELECT definition_json, version FROM rubrics WHERE name = ?1 ORDER BY version");
    if (!stmt) return stmt.error();
    stmt->bindText(1, name);
    std::vector<evals::Rubric> out;
    for (;;) {
        auto row = stmt->step();
        if (!row) return row.error();
        if (!*row) break;
        auto rubric =
            rubricFromText(stmt->columnText(0), "'" + name + "' v" + std::to_string(stmt->columnInt(1)));
        if (!rubric) return rubric.error();
        out.push_back(std::move(*rubric));
    }
    return out;
}

engine::Result<std::vector<RubricInfo>> RubricStore::list() {
    auto stmt = m_db.prepare(
        "SELECT r.name, r.version, r.definition_json, r.created_at_ms, "
        "(SELECT count(*) FROM rubrics c WHERE c.name = r.name) FROM rubrics r "
        "WHERE r.version = (SELECT max(version) FROM rubrics m WHERE m.name = r.name) ORDER BY r.name");
    if (!stmt) return stmt.error();
    std::vector<RubricInfo> out;
    for (;;) {
        auto row = stmt->step();
        if (!row) return row.error();
        if (!*row) break;
        RubricInfo info;
        info.name = stmt->columnText(0);
        info.latestVersion = static_cast<int>(stmt->columnInt(1));
        auto rubric = rubricFromText(stmt->columnText(2), "'" + info.name + "'");
        if (!rubric) return rubric.error();
        info.scale = rubric->scale;
        info.createdAtMs = stmt->columnInt(3);
        info.versionCount = static_cast<int>(stmt->columnInt(4));
        out.push_back(std::move(info));
    }
    return out;
}

engine::Result<std::pair<std::string, int>> parseRubricRef(const std::string& ref) {
    const size_t at = ref.rfind('@');
    if (at == std::string::npos) {
        if (ref.empty()) return engine::make_error("[rubric] empty rubric name");
        return std::make_pair(ref, 0);
    }
    const std::string name = ref.substr(0, at);
    const std::string number = ref.substr(at + 1);
    int version = 0;
    auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), version);
    if (name.empty() || ec != std::errc() || end != number.data() + number.size() || version < 1)
        return engine::make_error("[rubric] '" + ref + "': expected NAME or NAME@VERSION (VERSION >= 1)");
    return std::make_pair(name, version);
}

}  // namespace crucible
