// RubricStore: the workspace's versioned rubrics. A name gets versions 1, 2, ...;
// a version never changes once stored (every judgment names the version it used).
//
// Threading: as TraceStore, it belongs to its Database's thread.
#pragma once

#include <engine/result.h>
#include <evals/rubric.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "workspace/database.h"

namespace crucible {

struct RubricInfo {
    std::string name;
    int latestVersion = 0;
    int versionCount = 0;
    evals::Scale scale = evals::Scale::pass_fail;  // of the latest version
    int64_t createdAtMs = 0;                       // of the latest version
};

class RubricStore {
public:
    explicit RubricStore(Database& db) : m_db(db) {}

    // Stores version 1 of a new name (rubric.version is ignored); refuses a name that exists.
    engine::Result<evals::Rubric> create(evals::Rubric rubric);
    // Stores the next version of an existing name (rubric.version is ignored).
    engine::Result<evals::Rubric> addVersion(evals::Rubric rubric);
    // version 0: the newest. nullopt when there is no such rubric or version.
    engine::Result<std::optional<evals::Rubric>> get(const std::string& name, int version = 0);
    engine::Result<std::vector<evals::Rubric>> versions(const std::string& name);  // oldest first
    engine::Result<std::vector<RubricInfo>> list();                                // by name

private:
    engine::Result<evals::Rubric> insert(evals::Rubric rubric, int version);
    engine::Result<int> latestVersion(const std::string& name);

    Database& m_db;
};

// "name" or "name@3" (version 0 when not given).
engine::Result<std::pair<std::string, int>> parseRubricRef(const std::string& ref);

}  // namespace crucible
