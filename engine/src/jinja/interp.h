// The tree-walking evaluator behind engine::jinja::Template (internal).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/jinja.h"
#include "jinja/ast.h"

namespace engine::jinja {

// Variables visible at one level (template, loop iteration, macro call).
struct Scope {
    std::vector<std::pair<std::string, Value>> vars;
    Scope* parent = nullptr;

    const Value* lookup(const std::string& name) const {
        for (const Scope* s = this; s; s = s->parent)
            for (const auto& [k, v] : s->vars)
                if (k == name) return &v;
        return nullptr;
    }
    void assign(const std::string& name, Value v) {
        for (auto& [k, old] : vars) {
            if (k == name) {
                old = std::move(v);
                return;
            }
        }
        vars.emplace_back(name, std::move(v));
    }
};

enum class Flow { normal, break_loop, continue_loop };

class Evaluator {
public:
    Evaluator(const Options& options, std::string& out) : opt_(options), out_(out) {}

    Status run(const Program& program, const Value& context);

    // ---- used by filters, tests and methods ----
    Result<Value> eval(const Expr& e, Scope& scope);
    Result<Value> call(const Value& fn, const CallArgs& args);
    // Jinja's getattr (attribute first, then item) and getitem (item first, then attribute).
    Result<Value> get_attr(const Value& obj, const std::string& name);
    Result<Value> get_item(const Value& obj, const Value& key);
    // Attribute paths as filters take them: "a.b.0".
    Result<Value> get_path(const Value& obj, const std::string& path);
    Result<Value> apply_filter(const std::string& name, const Value& subject, const CallArgs& args);
    Result<bool> apply_test(const std::string& name, const Value& subject, const CallArgs& args);
    // Iterates like Python's iter(): lists, tuples, dict keys, string characters; undefined is empty.
    Result<std::vector<Value>> iterate(const Value& v);
    const Options& options() const { return opt_; }
    Status check_size(std::size_t bytes) const;

private:
    Result<Flow> exec_body(const Body& body, Scope& scope, std::string& out);
    Result<Flow> exec(const Stmt& s, Scope& scope, std::string& out);
    Result<Flow> exec_for(const Stmt& s, Scope& scope, std::string& out);
    Status exec_set(const Stmt& s, Scope& scope, Value value);
    Value make_macro(const Stmt& s, Scope& scope);
    Result<Value> eval_call(const Expr& e, Scope& scope);
    Result<Value> eval_compare(const Expr& e, Scope& scope);
    Result<Value> eval_slice(const Expr& e, Scope& scope);
    Result<CallArgs> eval_args(const Expr& e, Scope& scope, std::size_t first);
    Status emit(std::string& out, const std::string& text) const;
    Error located(const Error& err, int line) const;

    const Options& opt_;
    std::string& out_;
    Scope* root_ = nullptr;
    std::size_t iterations_ = 0;
    int call_depth_ = 0;
};

// Binary operators and comparisons with Python semantics (ops.cpp).
Result<Value> binary_op(const std::string& op, const Value& a, const Value& b, std::size_t max_bytes);
Result<bool> less_than(const Value& a, const Value& b);
Result<bool> contains(const Value& container, const Value& item);
// Bound methods of str/list/dict (methods.cpp): undefined when there is no such method.
Value find_method(Evaluator& ev, const Value& obj, const std::string& name);
// Names of the built-in filters and tests (checked when a template is parsed, as Jinja does).
bool is_known_filter(std::string_view name);
bool is_known_test(std::string_view name);
// Built-in globals: range, dict, namespace, raise_exception, strftime_now (builtins.cpp).
void install_globals(Evaluator& ev, Scope& scope);

// Marks errors raised by raise_exception so the message passes through unchanged.
inline constexpr const char* kRaisePrefix = "raise_exception: ";

}  // namespace engine::jinja
