#include "importers/importer_common.h"

namespace crucible::importers {
void parseOtlp(const Json&, ParseOutcome& out) { out.errors.push_back("OTLP not yet supported"); }
}  // namespace crucible::importers
