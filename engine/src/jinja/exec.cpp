// Statement execution and the public Template API.
#include <memory>

#include "jinja/interp.h"
#include "jinja/lexer.h"
#include "jinja/parser.h"

namespace engine::jinja {
namespace {

Status unpack(const std::vector<std::string>& targets, const Value& v, Scope& scope) {
    if (targets.size() == 1) {
        scope.assign(targets[0], v);
        return {};
    }
    if (!v.is_list())
        return make_error("cannot unpack non-iterable " + v.type_name() + " object into " +
                          std::to_string(targets.size()) + " names");
    if (v.items().size() != targets.size())
        return make_error(std::string(v.items().size() > targets.size() ? "too many" : "not enough") +
                          " values to unpack (expected " + std::to_string(targets.size()) + ", got " +
                          std::to_string(v.items().size()) + ")");
    for (std::size_t i = 0; i < targets.size(); ++i) scope.assign(targets[i], v.items()[i]);
    return {};
}

}  // namespace

Status Evaluator::emit(std::string& out, const std::string& text) const {
    if (out.size() + text.size() > opt_.limits.max_output_bytes)
        return make_error("output exceeds the limit of " + std::to_string(opt_.limits.max_output_bytes) +
                          " bytes");
    out += text;
    return {};
}

Result<Flow> Evaluator::exec_body(const Body& body, Scope& scope, std::string& out) {
    for (const auto& s : body) {
        auto flow = exec(*s, scope, out);
        if (!flow) return flow;
        if (*flow != Flow::normal) return flow;
    }
    return Flow::normal;
}

Result<Flow> Evaluator::exec_for(const Stmt& s, Scope& scope, std::string& out) {
    auto iterable = eval(*s.expr, scope);
    if (!iterable) return iterable.error();
    auto all = iterate(*iterable);
    if (!all) return located(all.error(), s.line);
    std::vector<Value> items;
    if (s.cond) {
        for (auto& item : *all) {
            Scope probe{{}, &scope};
            ENGINE_TRY(unpack(s.targets, item, probe));
            auto keep = eval(*s.cond, probe);
            if (!keep) return keep.error();
            if (keep->truthy()) items.push_back(std::move(item));
        }
    } else {
        items = std::move(*all);
    }
    if (items.empty()) {
        Scope else_scope{{}, &scope};
        auto flow = exec_body(s.else_body, else_scope, out);
        if (!flow) return flow;
        return Flow::normal;
    }
    const auto n = static_cast<std::int64_t>(items.size());
    for (std::int64_t i = 0; i < n; ++i) {
        if (++iterations_ > opt_.limits.max_loop_iterations)
            return located(make_error("loop iteration limit of " +
                                      std::to_string(opt_.limits.max_loop_iterations) + " exceeded"),
                           s.line);
        const auto idx = static_cast<std::size_t>(i);
        Value loop = Value::namespace_object();
        loop.set("index", Value(i + 1));
        loop.set("index0", Value(i));
        loop.set("revindex", Value(n - i));
        loop.set("revindex0", Value(n - i - 1));
        loop.set("first", Value(i == 0));
        loop.set("last", Value(i == n - 1));
        loop.set("length", Value(n));
        loop.set("depth", Value(1));
        loop.set("depth0", Value(0));
        if (i > 0) loop.set("previtem", items[idx - 1]);
        if (i + 1 < n) loop.set("nextitem", items[idx + 1]);
        loop.set("cycle", Value::function("cycle", [i](const CallArgs& a) -> Result<Value> {
                     if (a.positional.empty()) return make_error("no items for cycling given");
                     return a.positional[static_cast<std::size_t>(i) % a.positional.size()];
                 }));
        Scope iter_scope{{}, &scope};
        iter_scope.assign("loop", std::move(loop));
        auto st = unpack(s.targets, items[idx], iter_scope);
        if (!st) return located(st.error(), s.line);
        auto flow = exec_body(s.body, iter_scope, out);
        if (!flow) return flow;
        if (*flow == Flow::break_loop) break;
    }
    return Flow::normal;
}

Status Evaluator::exec_set(const Stmt& s, Scope& scope, Value value) {
    if (!s.attr.empty()) {
        const Value* target = scope.lookup(s.targets[0]);
        if (!target || !target->is_namespace())
            return make_error("cannot assign attribute on non-namespace object '" + s.targets[0] + "'");
        if (s.attr.rfind('_', 0) == 0)
            return make_error("cannot store underscore-prefixed attribute '" + s.attr + "' on a namespace");
        target->set(s.attr, std::move(value));
        return {};
    }
    return unpack(s.targets, value, scope);
}

Value Evaluator::make_macro(const Stmt& s, Scope& scope) {
    (void)scope;
    const Stmt* def = &s;
    return Value::function(s.name, [this, def](const CallArgs& args) -> Result<Value> {
        if (call_depth_ >= opt_.limits.max_call_depth)
            return make_error("call depth limit of " + std::to_string(opt_.limits.max_call_depth) +
                              " exceeded");
        Scope local{{}, root_};
        std::vector<Value> varargs;
        for (std::size_t i = 0; i < args.positional.size(); ++i) {
            if (i < def->params.size())
                local.assign(def->params[i].first, args.positional[i]);
            else
                varargs.push_back(args.positional[i]);
        }
        Value kwargs = Value::dict();
        for (const auto& [k, v] : args.named) {
            bool is_param = k == "caller";
            for (const auto& p : def->params) is_param = is_param || p.first == k;
            if (is_param)
                local.assign(k, v);
            else
                kwargs.set(k, v);
        }
        for (const auto& [name, def_expr] : def->params) {
            bool bound = false;
            for (const auto& [k, v] : local.vars) bound = bound || k == name;
            if (bound) continue;
            if (def_expr) {
                auto v = eval(*def_expr, local);
                if (!v) return v;
                local.assign(name, std::move(*v));
            } else {
                local.assign(name, Value::undefined(std::string("'") + name + "' is undefined"));
            }
        }
        local.assign("varargs", Value::tuple(std::move(varargs)));
        local.assign("kwargs", std::move(kwargs));
        std::string text;
        ++call_depth_;
        auto flow = exec_body(def->body, local, text);
        --call_depth_;
        if (!flow) return flow.error();
        return Value(std::move(text));
    });
}

Result<Flow> Evaluator::exec(const Stmt& s, Scope& scope, std::string& out) {
    switch (s.kind) {
        case Stmt::Kind::text: {
            auto st = emit(out, s.text);
            if (!st) return located(st.error(), s.line);
            return Flow::normal;
        }
        case Stmt::Kind::output: {
            auto v = eval(*s.expr, scope);
            if (!v) return located(v.error(), s.line);
            auto st = emit(out, v->str());
            if (!st) return located(st.error(), s.line);
            return Flow::normal;
        }
        case Stmt::Kind::if_: {
            for (const auto& [cond, body] : s.branches) {
                if (cond) {
                    auto c = eval(*cond, scope);
                    if (!c) return located(c.error(), s.line);
                    if (!c->truthy()) continue;
                }
                return exec_body(body, scope, out);
            }
            return Flow::normal;
        }
        case Stmt::Kind::for_: {
            auto r = exec_for(s, scope, out);
            if (!r) return located(r.error(), s.line);
            return r;
        }
        case Stmt::Kind::set: {
            auto v = eval(*s.expr, scope);
            if (!v) return located(v.error(), s.line);
            auto st = exec_set(s, scope, std::move(*v));
            if (!st) return located(st.error(), s.line);
            return Flow::normal;
        }
        case Stmt::Kind::set_block:
        case Stmt::Kind::filter_block: {
            std::string text;
            Scope inner{{}, &scope};
            auto flow = exec_body(s.body, s.kind == Stmt::Kind::set_block ? scope : inner, text);
            if (!flow) return flow;
            Value v(std::move(text));
            for (const auto& f : s.filters) {
                auto args = eval_args(*f, scope, 1);
                if (!args) return located(args.error(), f->line);
                auto r = apply_filter(f->name, v, *args);
                if (!r) return located(r.error(), f->line);
                v = std::move(*r);
            }
            if (s.kind == Stmt::Kind::filter_block) {
                auto st = emit(out, v.str());
                if (!st) return located(st.error(), s.line);
                return Flow::normal;
            }
            auto st = exec_set(s, scope, std::move(v));
            if (!st) return located(st.error(), s.line);
            return Flow::normal;
        }
        case Stmt::Kind::macro:
            scope.assign(s.name, make_macro(s, scope));
            return Flow::normal;
        case Stmt::Kind::call_block: {
            const Expr& call_expr = *s.expr;
            auto fn = eval(*call_expr.args[0], scope);
            if (!fn) return located(fn.error(), s.line);
            auto args = eval_args(call_expr, scope, 1);
            if (!args) return located(args.error(), s.line);
            Scope* caller_parent = &scope;
            const Stmt* def = &s;
            args->named.emplace_back(
                "caller",
                Value::function("caller", [this, caller_parent, def](const CallArgs& a) -> Result<Value> {
                    if (call_depth_ >= opt_.limits.max_call_depth)
                        return make_error("call depth limit of " +
                                          std::to_string(opt_.limits.max_call_depth) + " exceeded");
                    Scope local{{}, caller_parent};
                    for (std::size_t i = 0; i < def->params.size(); ++i) {
                        if (i < a.positional.size()) {
                            local.assign(def->params[i].first, a.positional[i]);
                        } else if (def->params[i].second) {
                            auto v = eval(*def->params[i].second, local);
                            if (!v) return v;
                            local.assign(def->params[i].first, std::move(*v));
                        }
                    }
                    for (const auto& [k, v] : a.named) local.assign(k, v);
                    std::string text;
                    ++call_depth_;
                    auto flow = exec_body(def->body, local, text);
                    --call_depth_;
                    if (!flow) return flow.error();
                    return Value(std::move(text));
                }));
            auto r = call(*fn, *args);
            if (!r) return located(r.error(), s.line);
            auto st = emit(out, r->str());
            if (!st) return located(st.error(), s.line);
            return Flow::normal;
        }
        case Stmt::Kind::break_:
            return Flow::break_loop;
        case Stmt::Kind::continue_:
            return Flow::continue_loop;
        case Stmt::Kind::with: {
            Scope inner{{}, &scope};
            for (const auto& [name, ex] : s.params) {
                auto v = eval(*ex, inner);
                if (!v) return located(v.error(), s.line);
                inner.assign(name, std::move(*v));
            }
            auto flow = exec_body(s.body, inner, out);
            if (!flow) return flow;
            return *flow;
        }
        case Stmt::Kind::generation:
            return exec_body(s.body, scope, out);
    }
    return Flow::normal;
}

Status Evaluator::run(const Program& program, const Value& context) {
    Scope globals;
    install_globals(*this, globals);
    Scope top{{}, &globals};
    if (context.is_dict()) {
        for (const auto& [k, v] : context.dict_data().items)
            if (k.is_string()) top.assign(k.as_string(), v);
    } else if (!context.is_undefined() && !context.is_none()) {
        return make_error("[jinja] render context must be a dict, got " + context.type_name());
    }
    root_ = &top;
    auto flow = exec_body(program.body, top, out_);
    root_ = nullptr;
    if (!flow) return flow.error();
    return {};
}

// ---- public API ----

struct Template::Impl {
    std::shared_ptr<Program> program;
};

Result<Template> Template::parse(std::string_view source, const Options& options) {
    LexOptions lex;
    lex.trim_blocks = options.trim_blocks;
    lex.lstrip_blocks = options.lstrip_blocks;
    lex.keep_trailing_newline = options.keep_trailing_newline;
    auto tokens = tokenize(source, lex);
    if (!tokens) return tokens.error();
    auto program = parse_program(*tokens, options.limits.max_nesting);
    if (!program) return program.error();
    Template t;
    auto impl = std::make_shared<Impl>();
    impl->program = std::move(*program);
    t.impl_ = std::move(impl);
    t.options_ = options;
    return t;
}

Result<std::string> Template::render(const Value& context) const { return render(context, nullptr); }

Result<std::string> Template::render(const Value& context, const std::function<std::time_t()>& now) const {
    if (!impl_) return make_error("[jinja] render called on an empty Template");
    std::string out;
    Options run_options = options_;
    if (now) run_options.now = now;
    Evaluator ev(run_options, out);
    // The immutable sandbox cannot change the caller's containers; otherwise work on a copy.
    const Value ctx = options_.immutable ? context : context.deep_copy();
    ENGINE_TRY(ev.run(*impl_->program, ctx));
    return out;
}

Result<std::string> render_template(std::string_view source, const Value& context, const Options& options) {
    auto t = Template::parse(source, options);
    if (!t) return t.error();
    return t->render(context);
}

}  // namespace engine::jinja
