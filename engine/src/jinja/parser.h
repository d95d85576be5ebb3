// Jinja parser: tokens to a Program (syntax tree).
#pragma once

#include <memory>
#include <vector>

#include "engine/result.h"
#include "jinja/ast.h"
#include "jinja/lexer.h"

namespace engine::jinja {

// max_depth bounds nesting (blocks and expressions) so hostile templates cannot
// exhaust the stack while parsing.
Result<std::shared_ptr<Program>> parse_program(const std::vector<Token>& tokens, int max_depth);

}  // namespace engine::jinja
