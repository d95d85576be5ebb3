// Jinja syntax tree. Nodes are generic (a kind plus children) to keep the
// parser and evaluator small; the comments say which slot holds what.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "engine/jinja_value.h"

namespace engine::jinja {

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

struct Expr {
    enum class Kind {
        literal,  // value
        name,     // name
        list,     // args = items
        tuple,    // args = items
        dict,     // args = k0, v0, k1, v1, ...
        attr,     // args[0] . name
        item,     // args[0] [ args[1] ]
        slice,    // args[0] [ args[1] : args[2] : args[3] ] (null = omitted)
        call,     // args[0] ( args[1..], kwargs )
        filter,   // args[0] | name ( args[1..], kwargs ); args[0] null inside {% filter %}
        test,     // args[0] is name ( args[1..], kwargs )
        neg,      // - args[0]
        pos,      // + args[0]
        not_,     // not args[0]
        binary,   // args[0] name args[1]: + - * / // % ** ~
        and_,     // args[0] and args[1]
        or_,      // args[0] or args[1]
        compare,  // args[0] ops[0] args[1] ops[1] args[2] ...
        cond,     // args[0] if args[1] else args[2] (args[2] null = undefined)
    };
    Kind kind;
    int line = 0;
    Value value;
    std::string name;
    std::vector<ExprPtr> args;
    std::vector<std::pair<std::string, ExprPtr>> kwargs;
    std::vector<std::string> ops;
};

struct Stmt;
using StmtPtr = std::unique_ptr<Stmt>;
using Body = std::vector<StmtPtr>;

struct Stmt {
    enum class Kind {
        text,          // text
        output,        // {{ expr }}
        if_,           // branches (condition, body); a null condition is the else branch
        for_,          // targets in expr [if cond] body [else else_body]
        set,           // targets (or targets[0].attr) = expr
        set_block,     // {% set targets %}body{% endset %} with optional filters
        macro,         // name(params) body
        call_block,    // {% call(params) expr %}body{% endcall %}
        filter_block,  // {% filter filters %}body{% endfilter %}
        break_,
        continue_,
        with,        // {% with assigns %}body{% endwith %}
        generation,  // {% generation %}body{% endgeneration %}: transformers' assistant-mask marker
    };
    Kind kind;
    int line = 0;
    std::string text;
    ExprPtr expr;
    ExprPtr cond;  // for ... if cond
    std::vector<std::pair<ExprPtr, Body>> branches;
    Body body;
    Body else_body;
    std::vector<std::string> targets;
    std::string attr;                                     // set ns.attr = ...
    std::string name;                                     // macro name
    std::vector<std::pair<std::string, ExprPtr>> params;  // macro/caller params and with-assignments
    std::vector<ExprPtr> filters;                         // filter_block / set_block filter chain
};

struct Program {
    Body body;
};

}  // namespace engine::jinja
