// Building grammars (private): JSON Schema -> nodes, and the finishing pass
// that every grammar goes through before use.
#pragma once

#include <memory>

#include "constrain/grammar.h"
#include "engine/json.h"
#include "engine/result.h"

namespace engine::constrain {

Result<std::shared_ptr<const Grammar>> compile_schema(const json::Value& schema);

// The grammar of any JSON value (built once, shared).
std::shared_ptr<const Grammar> any_value_grammar();

// Adds the nodes of "any JSON value" to g; returns its alternatives node.
int32_t add_any_value(Grammar& g);

// Resolves alternatives into dispatch tables, computes shortest lengths and the
// completion costs the matcher's budget uses, and rejects grammars with a node
// that has no finite value. Errors name the node's schema path.
Status finish_grammar(Grammar& g);

}  // namespace engine::constrain
