// Where a workspace lives: a folder holding workspace.sqlite. Any thread.
#pragma once

#include <engine/result.h>

#include <memory>
#include <string>

#include "workspace/database.h"

namespace crucible {

// $CRUCIBLE_WORKSPACE, else $XDG_DATA_HOME/crucible, else the user's generic
// data folder (QStandardPaths) + "/crucible" (~/.local/share/crucible on Linux).
std::string defaultWorkspaceDir();

// Creates the folder if needed and opens (migrating) DIR/workspace.sqlite.
engine::Result<std::unique_ptr<Database>> openWorkspace(const std::string& dir);

}  // namespace crucible
