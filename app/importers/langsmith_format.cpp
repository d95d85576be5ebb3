#include "importers/importer_common.h"

namespace crucible::importers {
void parseLangSmith(const Json&, std::string_view, ParseOutcome& out) {
    out.errors.push_back("LangSmith not yet supported");
}
}  // namespace crucible::importers
