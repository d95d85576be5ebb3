#include "workspace/workspace_paths.h"

#include <QStandardPaths>
#include <cstdlib>
#include <filesystem>
#include <system_error>

namespace crucible {

std::string defaultWorkspaceDir() {
    if (const char* env = std::getenv("CRUCIBLE_WORKSPACE"); env && *env) return env;
    if (const char* xdg = std::getenv("XDG_DATA_HOME"); xdg && *xdg) return std::string(xdg) + "/crucible";
    return QStandardPaths::writableLocation(QStandardPaths::GenericDataLocation).toStdString() + "/crucible";
}

engine::Result<std::unique_ptr<Database>> openWorkspace(const std::string& dir) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) return engine::make_error("[workspace] cannot create folder '" + dir + "': " + ec.message());
    return Database::open((std::filesystem::path(dir) / "workspace.sqlite").string());
}

}  // namespace crucible
