// Shared between the check parsers, the serializers and the runner: the spec
// names of leaf checks and how to quote arguments.
#pragma once

#include <string>
#include <string_view>

#include "evals/checks.h"

namespace evals::detail {

// "max_words", "not_icontains", ... for a leaf; "" for composites.
std::string leaf_spec_name(const Check& check);
// The quoted spec form of a text argument ("..." with \" and \\ escapes only where needed).
std::string quote_spec_argument(std::string_view text);
// Validates and fills in the compiled parts of a leaf (regex, schema); `where` prefixes errors.
engine::Status finish_leaf(Check& check, const std::string& where);

}  // namespace evals::detail
