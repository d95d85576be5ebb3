// A practical JSON Schema subset validator (for json_schema checks and for
// checking judge verdicts). Supported keywords:
//   type (a name or a list; "integer" also accepts integral reals like 2.0),
//   enum, const, properties, required, additionalProperties (bool or schema),
//   items (one schema for every element), minItems, maxItems, minimum, maximum,
//   exclusiveMinimum, exclusiveMaximum (numbers, draft-6+ form), minLength,
//   maxLength (counted in code points), pattern (PCRE2, unanchored as JSON
//   Schema says), anyOf, allOf; boolean schemas (true / false).
// Annotations are ignored: $schema, $id, $comment, title, description, default,
// examples, format, readOnly, writeOnly, deprecated. Any other keyword ($ref,
// oneOf, not, patternProperties, uniqueItems, multipleOf, ...) is refused when the
// schema is compiled, so a schema never silently checks less than it says.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "engine/json.h"
#include "engine/result.h"

namespace evals {

class JsonSchema {
public:
    // Errors read "[json_schema] #/properties/age: ..." with the schema location.
    static engine::Result<JsonSchema> compile(const engine::json::Value& schema);

    // The first violations (at most `max_errors`), each "$.path.to[2]: what"; empty when valid.
    std::vector<std::string> violations(const engine::json::Value& instance, size_t max_errors = 8) const;
    bool valid(const engine::json::Value& instance) const { return violations(instance, 1).empty(); }
    const engine::json::Value& source() const { return source_; }

    struct Node;

private:
    engine::json::Value source_;
    std::shared_ptr<const Node> root_;
};

}  // namespace evals
