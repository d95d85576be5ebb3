#include "formula.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "string_cat.h"

namespace evals::detail {

namespace {

constexpr std::string_view kFunctions[] = {"min", "max", "abs", "floor", "ceil", "sqrt", "exp", "log"};

bool is_ident_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool is_ident(char c) { return is_ident_start(c) || (c >= '0' && c <= '9'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

class Parser {
public:
    Parser(std::string_view text, const std::vector<std::string>& names, const std::string& where)
        : s_(text), names_(names), where_(where) {}

    engine::Result<FormulaNode> parse() {
        auto node = expression();
        if (!node.ok()) return node;
        skip();
        if (pos_ != s_.size()) return error(cat("unexpected '", s_.substr(pos_, 1), "'"));
        return node;
    }

private:
    engine::Error error(const std::string& what) const {
        return engine::make_error(
            cat(where_, ": calculate_output '", s_, "' at offset ", std::to_string(pos_), ": ", what));
    }
    void skip() {
        while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n')) ++pos_;
    }
    bool eat(char c) {
        skip();
        if (pos_ < s_.size() && s_[pos_] == c) {
            ++pos_;
            return true;
        }
        return false;
    }
    static FormulaNode binary(FormulaNode::Kind kind, FormulaNode a, FormulaNode b) {
        FormulaNode n;
        n.kind = kind;
        n.args.push_back(std::move(a));
        n.args.push_back(std::move(b));
        return n;
    }

    engine::Result<FormulaNode> expression() {
        auto left = term();
        if (!left.ok()) return left;
        FormulaNode node = std::move(*left);
        while (true) {
            FormulaNode::Kind kind;
            if (eat('+')) {
                kind = FormulaNode::Kind::add;
            } else if (eat('-')) {
                kind = FormulaNode::Kind::subtract;
            } else {
                return node;
            }
            auto right = term();
            if (!right.ok()) return right;
            node = binary(kind, std::move(node), std::move(*right));
        }
    }

    engine::Result<FormulaNode> term() {
        auto left = unary();
        if (!left.ok()) return left;
        FormulaNode node = std::move(*left);
        while (true) {
            FormulaNode::Kind kind;
            if (eat('*')) {
                kind = FormulaNode::Kind::multiply;
            } else if (eat('/')) {
                kind = FormulaNode::Kind::divide;
            } else {
                return node;
            }
            auto right = unary();
            if (!right.ok()) return right;
            node = binary(kind, std::move(node), std::move(*right));
        }
    }

    engine::Result<FormulaNode> unary() {
        if (eat('-')) {
            auto operand = unary();
            if (!operand.ok()) return operand;
            FormulaNode n;
            n.kind = FormulaNode::Kind::negate;
            n.args.push_back(std::move(*operand));
            return n;
        }
        auto base = primary();
        if (!base.ok()) return base;
        if (eat('^')) {
            auto exponent = unary();  // right-associative: 2^3^2 = 2^(3^2)
            if (!exponent.ok()) return exponent;
            return binary(FormulaNode::Kind::power, std::move(*base), std::move(*exponent));
        }
        return base;
    }

    engine::Result<FormulaNode> primary() {
        skip();
        if (pos_ >= s_.size()) return error("expected a number, a grader name or '('");
        if (eat('(')) {
            auto inner = expression();
            if (!inner.ok()) return inner;
            if (!eat(')')) return error("expected ')'");
            return inner;
        }
        const char c = s_[pos_];
        if (is_digit(c) || c == '.') return number();
        if (!is_ident_start(c)) return error(cat("unexpected '", s_.substr(pos_, 1), "'"));
        const size_t start = pos_;
        while (pos_ < s_.size() && is_ident(s_[pos_])) ++pos_;
        const std::string name(s_.substr(start, pos_ - start));
        skip();
        if (pos_ < s_.size() && s_[pos_] == '(') {
            if (std::find(std::begin(kFunctions), std::end(kFunctions), name) == std::end(kFunctions)) {
                pos_ = start;
                return error(
                    cat("unknown function '", name, "' (known: min, max, abs, floor, ceil, sqrt, exp, log)"));
            }
            ++pos_;
            FormulaNode call;
            call.kind = FormulaNode::Kind::call;
            call.name = name;
            do {
                auto arg = expression();
                if (!arg.ok()) return arg;
                call.args.push_back(std::move(*arg));
            } while (eat(','));
            if (!eat(')')) return error(cat("expected ',' or ')' in ", name, "(...)"));
            const bool variadic = name == "min" || name == "max";
            if (!variadic && call.args.size() != 1) return error(cat(name, "() takes one argument"));
            return call;
        }
        if (std::find(names_.begin(), names_.end(), name) == names_.end()) {
            pos_ = start;
            std::string known;
            for (const std::string& n : names_) known += cat(known.empty() ? "" : ", ", n);
            return error(cat("'", name, "' is not a sub-grader (graders: ", known, ")"));
        }
        FormulaNode n;
        n.kind = FormulaNode::Kind::name;
        n.name = name;
        return n;
    }

    engine::Result<FormulaNode> number() {
        const size_t start = pos_;
        while (pos_ < s_.size() && (is_digit(s_[pos_]) || s_[pos_] == '.')) ++pos_;
        if (pos_ < s_.size() && (s_[pos_] == 'e' || s_[pos_] == 'E')) {
            ++pos_;
            if (pos_ < s_.size() && (s_[pos_] == '+' || s_[pos_] == '-')) ++pos_;
            while (pos_ < s_.size() && is_digit(s_[pos_])) ++pos_;
        }
        const std::string text(s_.substr(start, pos_ - start));
        char* end = nullptr;
        const double value = std::strtod(text.c_str(), &end);
        if (end != text.c_str() + text.size() || !std::isfinite(value)) {
            pos_ = start;
            return error(cat("'", text, "' is not a number"));
        }
        FormulaNode n;
        n.number = value;
        return n;
    }

    std::string_view s_;
    const std::vector<std::string>& names_;
    const std::string& where_;
    size_t pos_ = 0;
};

}  // namespace

engine::Result<FormulaNode> parse_formula(std::string_view text, const std::vector<std::string>& names,
                                          const std::string& where) {
    return Parser(text, names, where).parse();
}

engine::Result<double> evaluate_formula(const FormulaNode& node, const std::map<std::string, double>& values,
                                        const std::string& where) {
    using Kind = FormulaNode::Kind;
    if (node.kind == Kind::number) return node.number;
    if (node.kind == Kind::name) {
        auto it = values.find(node.name);
        if (it == values.end())
            return engine::make_error(cat(where, ": no score for sub-grader '", node.name, "'"));
        return it->second;
    }
    // Operands one by one (no vector indexing: GCC 12 reports a false -Wnull-dereference there).
    auto operand = [&](size_t i) -> engine::Result<double> {
        if (i >= node.args.size()) return engine::make_error(cat(where, ": malformed calculate_output"));
        return evaluate_formula(node.args[i], values, where);
    };
    auto first = operand(0);
    if (!first.ok()) return first;
    const double a = *first;
    double b = 0.0;
    const bool binary_op = node.kind == Kind::add || node.kind == Kind::subtract ||
                           node.kind == Kind::multiply || node.kind == Kind::divide ||
                           node.kind == Kind::power;
    if (binary_op) {
        auto second = operand(1);
        if (!second.ok()) return second;
        b = *second;
    }
    double result = 0.0;
    switch (node.kind) {
        case Kind::negate:
            result = -a;
            break;
        case Kind::add:
            result = a + b;
            break;
        case Kind::subtract:
            result = a - b;
            break;
        case Kind::multiply:
            result = a * b;
            break;
        case Kind::divide:
            if (b == 0.0) return engine::make_error(cat(where, ": calculate_output divides by zero"));
            result = a / b;
            break;
        case Kind::power:
            result = std::pow(a, b);
            break;
        case Kind::call:
            result = a;
            if (node.name == "min" || node.name == "max") {
                for (size_t i = 1; i < node.args.size(); ++i) {
                    auto next = operand(i);
                    if (!next.ok()) return next;
                    result = node.name == "min" ? std::min(result, *next) : std::max(result, *next);
                }
            }
            if (node.name == "abs") result = std::fabs(a);
            if (node.name == "floor") result = std::floor(a);
            if (node.name == "ceil") result = std::ceil(a);
            if (node.name == "sqrt") result = std::sqrt(a);
            if (node.name == "exp") result = std::exp(a);
            if (node.name == "log") result = std::log(a);
            break;
        default:
            break;
    }
    if (!std::isfinite(result)) {
        return engine::make_error(
            cat(where,
                ": calculate_output gives a value that is not a finite number (sqrt or log of a negative "
                "score, or an overflow)"));
    }
    return result;
}

}  // namespace evals::detail
