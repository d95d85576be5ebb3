// The arithmetic of an OpenAI multi grader's calculate_output: numbers, names of
// sub-graders, + - * / ^ (right-associative), parentheses, unary minus, and the
// functions min, max (one or more arguments), abs, floor, ceil, sqrt, exp, log.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/result.h"

namespace evals::detail {

struct FormulaNode {
    enum class Kind { number, name, negate, add, subtract, multiply, divide, power, call };
    Kind kind = Kind::number;
    double number = 0.0;
    std::string name;  // a sub-grader (name) or a function (call)
    std::vector<FormulaNode> args;
};

// `names` are the sub-graders a formula may use. Errors read "<where>: calculate_output '...' at
// offset N: ...".
engine::Result<FormulaNode> parse_formula(std::string_view text, const std::vector<std::string>& names,
                                          const std::string& where);

// Errors on division by zero and non-finite results (sqrt(-1), log(0)).
engine::Result<double> evaluate_formula(const FormulaNode& node, const std::map<std::string, double>& values,
                                        const std::string& where);

}  // namespace evals::detail
