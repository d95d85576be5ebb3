#include "importers/importer_common.h"

namespace crucible::importers {
void parseLangfuse(const Json&, std::string_view, ParseOutcome& out) {
    out.errors.push_back("Langfuse not yet supported");
}
}  // namespace crucible::importers
