// Recursive-descent parser for the Jinja subset; operator precedence follows
// the Jinja documentation (lowest first): conditional, or, and, not,
// comparisons, + -, ~, * / // %, **, unary - +, then postfix/filters/tests.
#include "jinja/parser.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>

#include "jinja/interp.h"

namespace engine::jinja {
namespace {

class Parser {
public:
    Parser(const std::vector<Token>& tokens, int max_depth) : toks_(tokens), max_depth_(max_depth) {}

    Result<std::shared_ptr<Program>> run() {
        auto program = std::make_shared<Program>();
        std::string end_tag;
        ENGINE_TRY(parse_body(program->body, {}, end_tag));
        if (!end_tag.empty()) return fail("unexpected '" + end_tag + "'");
        return program;
    }

private:
    // ---- token helpers ----
    const Token& cur() const { return toks_[pos_]; }
    const Token& peek(std::size_t n = 1) const { return toks_[std::min(pos_ + n, toks_.size() - 1)]; }
    void advance() {
        if (pos_ + 1 < toks_.size()) ++pos_;
    }
    bool is_op(const char* op) const { return cur().kind == TokKind::op && cur().value == op; }
    bool is_name(const char* n) const { return cur().kind == TokKind::name && cur().value == n; }
    bool accept_op(const char* op) {
        if (!is_op(op)) return false;
        advance();
        return true;
    }
    bool accept_name(const char* n) {
        if (!is_name(n)) return false;
        advance();
        return true;
    }
    Error fail(const std::string& what) const {
        return make_error("[jinja] syntax error at line " + std::to_string(cur().line) + ", column " +
                          std::to_string(cur().column) + ": " + what);
    }
    std::string describe() const {
        switch (cur().kind) {
            case TokKind::eof:
                return "end of template";
            case TokKind::block_end:
                return "'%}'";
            case TokKind::var_end:
                return "'}}'";
            case TokKind::text:
                return "text";
            default:
                return std::string("'") + cur().value + "'";
        }
    }
    Status expect_op(const char* op) {
        if (!accept_op(op)) return fail(std::string("expected '") + op + "', got " + describe());
        return {};
    }
    Result<std::string> expect_name() {
        if (cur().kind != TokKind::name) return fail("expected a name, got " + describe());
        std::string n = cur().value;
        advance();
        return n;
    }
    Status expect_block_end() {
        if (cur().kind != TokKind::block_end) return fail("expected '%}', got " + describe());
        advance();
        return {};
    }
    struct DepthGuard {
        int& d;
        explicit DepthGuard(int& depth) : d(depth) { ++d; }
        ~DepthGuard() { --d; }
    };

    // ---- statements ----

    // Parses until one of `ends` is met as a block keyword; end_tag receives it
    // (the parser is left just after the keyword, before any arguments).
    Status parse_body(Body& body, std::vector<const char*> ends, std::string& end_tag) {
        DepthGuard guard(depth_);
        if (depth_ > max_depth_) return fail("template nesting deeper than " + std::to_string(max_depth_));
        end_tag.clear();
        while (cur().kind != TokKind::eof) {
            const Token& t = cur();
            if (t.kind == TokKind::text) {
                auto s = std::make_unique<Stmt>();
                s->kind = Stmt::Kind::text;
                s->line = t.line;
                s->text = t.value;
                body.push_back(std::move(s));
                advance();
            } else if (t.kind == TokKind::var_begin) {
                advance();
                auto s = std::make_unique<Stmt>();
                s->kind = Stmt::Kind::output;
                s->line = t.line;
                auto e = parse_tuple_expr();
                if (!e) return e.error();
                s->expr = std::move(*e);
                if (cur().kind != TokKind::var_end) return fail("expected '}}', got " + describe());
                advance();
                body.push_back(std::move(s));
            } else if (t.kind == TokKind::block_begin) {
                advance();
                if (cur().kind != TokKind::name) return fail("expected a statement name, got " + describe());
                const std::string kw = cur().value;
                for (const char* e : ends) {
                    if (kw == e) {
                        end_tag = kw;
                        advance();
                        return {};
                    }
                }
                ENGINE_TRY(parse_statement(body));
            } else {
                return fail("unexpected " + describe());
            }
        }
        if (!ends.empty()) return fail(std::string("missing '{% ") + ends.back() + " %}'");
        return {};
    }

    Status parse_statement(Body& body) {
        const int line = cur().line;
        const std::string kw = cur().value;
        advance();
        auto s = std::make_unique<Stmt>();
        s->line = line;
        if (kw == "if") {
            ENGINE_TRY(parse_if(*s));
        } else if (kw == "for") {
            ENGINE_TRY(parse_for(*s));
        } else if (kw == "set") {
            ENGINE_TRY(parse_set(*s));
        } else if (kw == "macro") {
            ENGINE_TRY(parse_macro(*s));
        } else if (kw == "call") {
            ENGINE_TRY(parse_call_block(*s));
        } else if (kw == "filter") {
            s->kind = Stmt::Kind::filter_block;
            ENGINE_TRY(parse_filter_chain(s->filters));
            ENGINE_TRY(expect_block_end());
            ENGINE_TRY(parse_end(s->body, "endfilter"));
        } else if (kw == "break" || kw == "continue") {
            if (loop_depth_ == 0) return fail(std::string("'") + kw + "' outside of a loop");
            s->kind = kw == "break" ? Stmt::Kind::break_ : Stmt::Kind::continue_;
            ENGINE_TRY(expect_block_end());
        } else if (kw == "with") {
            s->kind = Stmt::Kind::with;
            while (cur().kind != TokKind::block_end) {
                if (!s->params.empty()) ENGINE_TRY(expect_op(","));
                auto n = expect_name();
                if (!n) return n.error();
                ENGINE_TRY(expect_op("="));
                auto e = parse_expression();
                if (!e) return e.error();
                s->params.emplace_back(std::move(*n), std::move(*e));
            }
            ENGINE_TRY(expect_block_end());
            ENGINE_TRY(parse_end(s->body, "endwith"));
        } else if (kw == "generation") {
            s->kind = Stmt::Kind::generation;
            ENGINE_TRY(expect_block_end());
            ENGINE_TRY(parse_end(s->body, "endgeneration"));
        } else if (kw == "include" || kw == "extends" || kw == "import" || kw == "from" || kw == "block") {
            return fail(std::string("'") + kw + "' is not supported (templates cannot load other templates)");
        } else {
            pos_ -= 1;
            return fail("unknown statement '" + kw + "'");
        }
        body.push_back(std::move(s));
        return {};
    }

    Status parse_end(Body& body, const char* end) {
        std::string tag;
        ENGINE_TRY(parse_body(body, {end}, tag));
        return expect_block_end();
    }

    Status parse_if(Stmt& s) {
        s.kind = Stmt::Kind::if_;
        auto cond = parse_tuple_expr();
        if (!cond) return cond.error();
        ENGINE_TRY(expect_block_end());
        ExprPtr current = std::move(*cond);
        while (true) {
            Body body;
            std::string tag;
            ENGINE_TRY(parse_body(body, {"elif", "else", "endif"}, tag));
            s.branches.emplace_back(std::move(current), std::move(body));
            if (tag == "endif") return expect_block_end();
            if (tag == "else") {
                ENGINE_TRY(expect_block_end());
                Body else_body;
                ENGINE_TRY(parse_end(else_body, "endif"));
                s.branches.emplace_back(nullptr, std::move(else_body));
                return {};
            }
            auto c = parse_tuple_expr();
            if (!c) return c.error();
            current = std::move(*c);
            ENGINE_TRY(expect_block_end());
        }
    }

    Status parse_targets(std::vector<std::string>& targets) {
        const bool paren = accept_op("(");
        while (true) {
            auto n = expect_name();
            if (!n) return n.error();
            targets.push_back(std::move(*n));
            if (!accept_op(",")) break;
            if (cur().kind != TokKind::name) break;  // trailing comma
        }
        if (paren) ENGINE_TRY(expect_op(")"));
        return {};
    }

    Status parse_for(Stmt& s) {
        s.kind = Stmt::Kind::for_;
        ENGINE_TRY(parse_targets(s.targets));
        if (!accept_name("in")) return fail("expected 'in', got " + describe());
        auto iter = parse_tuple_expr(/*no_condexpr=*/true);
        if (!iter) return iter.error();
        s.expr = std::move(*iter);
        if (accept_name("if")) {
            auto c = parse_expression();
            if (!c) return c.error();
            s.cond = std::move(*c);
        }
        if (accept_name("recursive")) return fail("recursive loops are not supported");
        ENGINE_TRY(expect_block_end());
        ++loop_depth_;
        std::string tag;
        Status st = parse_body(s.body, {"else", "endfor"}, tag);
        --loop_depth_;
        ENGINE_TRY(st);
        if (tag == "else") {
            ENGINE_TRY(expect_block_end());
            const int saved = loop_depth_;
            loop_depth_ = 0;  // break/continue in the else branch belong to no loop
            Status st2 = parse_end(s.else_body, "endfor");
            loop_depth_ = saved;
            return st2;
        }
        return expect_block_end();
    }

    Status parse_set(Stmt& s) {
        auto first = expect_name();
        if (!first) return first.error();
        s.targets.push_back(std::move(*first));
        if (accept_op(".")) {
            auto a = expect_name();
            if (!a) return a.error();
            s.attr = std::move(*a);
        } else {
            while (accept_op(",")) {
                if (cur().kind != TokKind::name) break;
                auto n = expect_name();
                if (!n) return n.error();
                s.targets.push_back(std::move(*n));
            }
        }
        if (accept_op("=")) {
            s.kind = Stmt::Kind::set;
            auto e = parse_tuple_expr();
            if (!e) return e.error();
            s.expr = std::move(*e);
            return expect_block_end();
        }
        if (!s.attr.empty() || s.targets.size() != 1) return fail("expected '=' in set");
        s.kind = Stmt::Kind::set_block;
        if (is_op("|")) ENGINE_TRY(parse_filter_chain(s.filters));
        ENGINE_TRY(expect_block_end());
        return parse_end(s.body, "endset");
    }

    Status parse_params(std::vector<std::pair<std::string, ExprPtr>>& params) {
        ENGINE_TRY(expect_op("("));
        while (!accept_op(")")) {
            if (!params.empty()) ENGINE_TRY(expect_op(","));
            if (accept_op(")")) break;
            auto n = expect_name();
            if (!n) return n.error();
            ExprPtr def;
            if (accept_op("=")) {
                auto e = parse_expression();
                if (!e) return e.error();
                def = std::move(*e);
            }
            params.emplace_back(std::move(*n), std::move(def));
        }
        return {};
    }

    Status parse_macro(Stmt& s) {
        s.kind = Stmt::Kind::macro;
        auto n = expect_name();
        if (!n) return n.error();
        s.name = std::move(*n);
        ENGINE_TRY(parse_params(s.params));
        ENGINE_TRY(expect_block_end());
        const int saved = loop_depth_;
        loop_depth_ = 0;
        Status st = parse_end(s.body, "endmacro");
        loop_depth_ = saved;
        return st;
    }

    Status parse_call_block(Stmt& s) {
        s.kind = Stmt::Kind::call_block;
        if (is_op("(")) ENGINE_TRY(parse_params(s.params));
        auto e = parse_expression();
        if (!e) return e.error();
        if ((*e)->kind != Expr::Kind::call) return fail("expected a call after 'call'");
        s.expr = std::move(*e);
        ENGINE_TRY(expect_block_end());
        return parse_end(s.body, "endcall");
    }

    // name[(args)] | name[(args)] ... (the leading '|' is optional for {% filter %}).
    Status parse_filter_chain(std::vector<ExprPtr>& filters) {
        accept_op("|");
        while (true) {
            auto f = parse_filter_call(nullptr);
            if (!f) return f.error();
            filters.push_back(std::move(*f));
            if (!accept_op("|")) return {};
        }
    }

    // ---- expressions ----

    ExprPtr make(Expr::Kind kind, int line) {
        auto e = std::make_unique<Expr>();
        e->kind = kind;
        e->line = line;
        return e;
    }

    // An expression, or a bare tuple `a, b` where Jinja allows one.
    Result<ExprPtr> parse_tuple_expr(bool no_condexpr = false) {
        const int line = cur().line;
        auto first = no_condexpr ? parse_or() : parse_expression();
        if (!first) return first;
        if (!is_op(",")) return first;
        auto t = make(Expr::Kind::tuple, line);
        t->args.push_back(std::move(*first));
        while (accept_op(",")) {
            if (cur().kind == TokKind::block_end || cur().kind == TokKind::var_end || is_name("if")) break;
            auto e = no_condexpr ? parse_or() : parse_expression();
            if (!e) return e;
            t->args.push_back(std::move(*e));
        }
        return t;
    }

    Result<ExprPtr> parse_expression() {
        DepthGuard guard(depth_);
        if (depth_ > max_depth_) return fail("expression nesting deeper than " + std::to_string(max_depth_));
        const int line = cur().line;
        auto expr = parse_or();
        if (!expr) return expr;
        while (is_name("if")) {
            advance();
            auto cond = parse_or();
            if (!cond) return cond;
            auto e = make(Expr::Kind::cond, line);
            e->args.push_back(std::move(*expr));
            e->args.push_back(std::move(*cond));
            if (accept_name("else")) {
                auto other = parse_expression();
                if (!other) return other;
                e->args.push_back(std::move(*other));
            } else {
                e->args.push_back(nullptr);
            }
            expr = std::move(e);
        }
        return expr;
    }

    Result<ExprPtr> parse_or() {
        auto left = parse_and();
        if (!left) return left;
        while (is_name("or")) {
            const int line = cur().line;
            advance();
            auto right = parse_and();
            if (!right) return right;
            auto e = make(Expr::Kind::or_, line);
            e->args.push_back(std::move(*left));
            e->args.push_back(std::move(*right));
            left = std::move(e);
        }
        return left;
    }

    Result<ExprPtr> parse_and() {
        auto left = parse_not();
        if (!left) return left;
        while (is_name("and")) {
            const int line = cur().line;
            advance();
            auto right = parse_not();
            if (!right) return right;
            auto e = make(Expr::Kind::and_, line);
            e->args.push_back(std::move(*left));
            e->args.push_back(std::move(*right));
            left = std::move(e);
        }
        return left;
    }

    Result<ExprPtr> parse_not() {
        if (is_name("not")) {
            DepthGuard guard(depth_);
            if (depth_ > max_depth_) return fail("expression nesting too deep");
            const int line = cur().line;
            advance();
            auto inner = parse_not();
            if (!inner) return inner;
            auto e = make(Expr::Kind::not_, line);
            e->args.push_back(std::move(*inner));
            return e;
        }
        return parse_compare();
    }

    Result<ExprPtr> parse_compare() {
        const int line = cur().line;
        auto first = parse_math1();
        if (!first) return first;
        ExprPtr cmp;
        while (true) {
            std::string op;
            if (cur().kind == TokKind::op &&
                (cur().value == "==" || cur().value == "!=" || cur().value == "<" || cur().value == "<=" ||
                 cur().value == ">" || cur().value == ">=")) {
                op = cur().value;
                advance();
            } else if (is_name("in")) {
                op = "in";
                advance();
            } else if (is_name("not") && peek().kind == TokKind::name && peek().value == "in") {
                op = "notin";
                advance();
                advance();
            } else {
                break;
            }
            auto right = parse_math1();
            if (!right) return right;
            if (!cmp) {
                cmp = make(Expr::Kind::compare, line);
                cmp->args.push_back(std::move(*first));
            }
            cmp->ops.push_back(op);
            cmp->args.push_back(std::move(*right));
        }
        if (cmp) return cmp;
        return first;
    }

    Result<ExprPtr> binary_loop(Result<ExprPtr> (Parser::*next)(), std::initializer_list<const char*> ops) {
        auto left = (this->*next)();
        if (!left) return left;
        while (true) {
            const char* found = nullptr;
            for (const char* op : ops)
                if (is_op(op)) found = op;
            if (!found) return left;
            const int line = cur().line;
            advance();
            auto right = (this->*next)();
            if (!right) return right;
            auto e = make(Expr::Kind::binary, line);
            e->name = found;
            e->args.push_back(std::move(*left));
            e->args.push_back(std::move(*right));
            left = std::move(e);
        }
    }

    Result<ExprPtr> parse_math1() { return binary_loop(&Parser::parse_concat, {"+", "-"}); }
    Result<ExprPtr> parse_concat() { return binary_loop(&Parser::parse_math2, {"~"}); }
    Result<ExprPtr> parse_math2() { return binary_loop(&Parser::parse_pow, {"*", "/", "//", "%"}); }
    Result<ExprPtr> parse_pow() { return binary_loop(&Parser::parse_unary_filtered, {"**"}); }
    Result<ExprPtr> parse_unary_filtered() { return parse_unary(true); }

    Result<ExprPtr> parse_unary(bool with_filter) {
        DepthGuard guard(depth_);
        if (depth_ > max_depth_) return fail("expression nesting deeper than " + std::to_string(max_depth_));
        const int line = cur().line;
        Result<ExprPtr> node = ExprPtr{};
        if (is_op("-") || is_op("+")) {
            const bool neg = is_op("-");
            advance();
            auto inner = parse_unary(false);
            if (!inner) return inner;
            auto e = make(neg ? Expr::Kind::neg : Expr::Kind::pos, line);
            e->args.push_back(std::move(*inner));
            node = std::move(e);
        } else {
            node = parse_primary();
            if (!node) return node;
        }
        node = parse_postfix(std::move(*node));
        if (!node) return node;
        if (with_filter) return parse_filter_expr(std::move(*node));
        return node;
    }

    Result<ExprPtr> parse_primary() {
        const Token& t = cur();
        const int line = t.line;
        switch (t.kind) {
            case TokKind::name: {
                const std::string& n = t.value;
                auto lit = make(Expr::Kind::literal, line);
                if (n == "true" || n == "True") {
                    lit->value = Value(true);
                } else if (n == "false" || n == "False") {
                    lit->value = Value(false);
                } else if (n == "none" || n == "None") {
                    lit->value = Value::none();
                } else {
                    auto e = make(Expr::Kind::name, line);
                    e->name = n;
                    advance();
                    return e;
                }
                advance();
                return lit;
            }
            case TokKind::string: {
                std::string s;
                while (cur().kind == TokKind::string) {  // adjacent literals concatenate
                    s += cur().value;
                    advance();
                }
                auto e = make(Expr::Kind::literal, line);
                e->value = Value(std::move(s));
                return e;
            }
            case TokKind::integer: {
                auto e = make(Expr::Kind::literal, line);
                errno = 0;
                const long long v = std::strtoll(t.value.c_str(), nullptr, 10);
                if (errno == ERANGE) return fail("integer literal out of range: " + t.value);
                e->value = Value(static_cast<std::int64_t>(v));
                advance();
                return e;
            }
            case TokKind::floating: {
                auto e = make(Expr::Kind::literal, line);
                e->value = Value(std::strtod(t.value.c_str(), nullptr));
                advance();
                return e;
            }
            case TokKind::op: {
                if (accept_op("(")) {
                    if (accept_op(")")) return make(Expr::Kind::tuple, line);
                    auto inner = parse_expression();
                    if (!inner) return inner;
                    if (is_op(",")) {
                        auto tup = make(Expr::Kind::tuple, line);
                        tup->args.push_back(std::move(*inner));
                        while (accept_op(",")) {
                            if (is_op(")")) break;
                            auto e = parse_expression();
                            if (!e) return e;
                            tup->args.push_back(std::move(*e));
                        }
                        ENGINE_TRY(expect_op(")"));
                        return tup;
                    }
                    ENGINE_TRY(expect_op(")"));
                    return inner;
                }
                if (accept_op("[")) {
                    auto lst = make(Expr::Kind::list, line);
                    while (!accept_op("]")) {
                        if (!lst->args.empty()) ENGINE_TRY(expect_op(","));
                        if (accept_op("]")) break;
                        auto e = parse_expression();
                        if (!e) return e;
                        lst->args.push_back(std::move(*e));
                    }
                    return lst;
                }
                if (accept_op("{")) {
                    auto d = make(Expr::Kind::dict, line);
                    while (!accept_op("}")) {
                        if (!d->args.empty()) ENGINE_TRY(expect_op(","));
                        if (accept_op("}")) break;
                        auto k = parse_expression();
                        if (!k) return k;
                        ENGINE_TRY(expect_op(":"));
                        auto v = parse_expression();
                        if (!v) return v;
                        d->args.push_back(std::move(*k));
                        d->args.push_back(std::move(*v));
                    }
                    return d;
                }
                break;
            }
            default:
                break;
        }
        return fail("unexpected " + describe() + " in expression");
    }

    Status parse_call_args(Expr& call) {
        // Current token is just after '('.
        while (!accept_op(")")) {
            if (call.args.size() > 1 || !call.kwargs.empty()) ENGINE_TRY(expect_op(","));
            if (accept_op(")")) break;
            if (cur().kind == TokKind::name && peek().kind == TokKind::op && peek().value == "=") {
                std::string key = cur().value;
                advance();
                advance();
                auto v = parse_expression();
                if (!v) return v.error();
                call.kwargs.emplace_back(std::move(key), std::move(*v));
            } else {
                if (!call.kwargs.empty()) return fail("positional argument after keyword argument");
                auto v = parse_expression();
                if (!v) return v.error();
                call.args.push_back(std::move(*v));
            }
        }
        return {};
    }

    Result<ExprPtr> parse_postfix(ExprPtr node) {
        while (true) {
            const int line = cur().line;
            if (accept_op(".")) {
                if (cur().kind == TokKind::integer) {  // x.0 is x[0]
                    auto e = make(Expr::Kind::item, line);
                    e->args.push_back(std::move(node));
                    auto idx = make(Expr::Kind::literal, line);
                    idx->value =
                        Value(static_cast<std::int64_t>(std::strtoll(cur().value.c_str(), nullptr, 10)));
                    e->args.push_back(std::move(idx));
                    advance();
                    node = std::move(e);
                    continue;
                }
                auto n = expect_name();
                if (!n) return n.error();
                auto e = make(Expr::Kind::attr, line);
                e->name = std::move(*n);
                e->args.push_back(std::move(node));
                node = std::move(e);
            } else if (accept_op("[")) {
                ExprPtr parts[3];
                bool is_slice = false;
                for (int i = 0; i < 3; ++i) {
                    if (!is_op(":") && !is_op("]")) {
                        auto e = parse_expression();
                        if (!e) return e;
                        parts[i] = std::move(*e);
                    }
                    if (i < 2 && accept_op(":")) {
                        is_slice = true;
                        continue;
                    }
                    break;
                }
                ENGINE_TRY(expect_op("]"));
                if (!is_slice) {
                    if (!parts[0]) return fail("empty subscript");
                    auto e = make(Expr::Kind::item, line);
                    e->args.push_back(std::move(node));
                    e->args.push_back(std::move(parts[0]));
                    node = std::move(e);
                } else {
                    auto e = make(Expr::Kind::slice, line);
                    e->args.push_back(std::move(node));
                    for (auto& p : parts) e->args.push_back(std::move(p));
                    node = std::move(e);
                }
            } else if (accept_op("(")) {
                auto e = make(Expr::Kind::call, line);
                e->args.push_back(std::move(node));
                ENGINE_TRY(parse_call_args(*e));
                node = std::move(e);
            } else {
                return node;
            }
        }
    }

    Result<ExprPtr> parse_filter_call(ExprPtr subject) {
        const int line = cur().line;
        auto n = expect_name();
        if (!n) return n.error();
        std::string name = std::move(*n);
        while (accept_op(".")) {  // dotted filter names
            auto more = expect_name();
            if (!more) return more.error();
            name += "." + *more;
        }
        if (!is_known_filter(name)) return fail("no filter named '" + name + "'");
        auto f = make(Expr::Kind::filter, line);
        f->name = std::move(name);
        f->args.push_back(std::move(subject));
        if (accept_op("(")) ENGINE_TRY(parse_call_args(*f));
        return f;
    }

    Result<ExprPtr> parse_filter_expr(ExprPtr node) {
        while (true) {
            const int line = cur().line;
            if (accept_op("|")) {
                auto f = parse_filter_call(std::move(node));
                if (!f) return f;
                node = std::move(*f);
            } else if (is_name("is")) {
                advance();
                const bool negated = accept_name("not");
                auto n = expect_name();
                if (!n) return n.error();
                if (!is_known_test(*n)) return fail("no test named '" + *n + "'");
                auto t = make(Expr::Kind::test, line);
                t->name = std::move(*n);
                t->args.push_back(std::move(node));
                if (accept_op("(")) {
                    ENGINE_TRY(parse_call_args(*t));
                } else if ((cur().kind == TokKind::name || cur().kind == TokKind::string ||
                            cur().kind == TokKind::integer || cur().kind == TokKind::floating || is_op("[") ||
                            is_op("{")) &&
                           !is_name("else") && !is_name("or") && !is_name("and") && !is_name("if") &&
                           !is_name("in") && !is_name("not") && !is_name("is")) {
                    // `x is divisibleby 3`: one argument without parentheses.
                    auto arg = parse_primary();
                    if (!arg) return arg;
                    auto post = parse_postfix(std::move(*arg));
                    if (!post) return post;
                    t->args.push_back(std::move(*post));
                }
                if (negated) {
                    auto e = make(Expr::Kind::not_, line);
                    e->args.push_back(std::move(t));
                    node = std::move(e);
                } else {
                    node = std::move(t);
                }
            } else if (accept_op("(")) {
                auto e = make(Expr::Kind::call, line);
                e->args.push_back(std::move(node));
                ENGINE_TRY(parse_call_args(*e));
                node = std::move(e);
            } else {
                return node;
            }
        }
    }

    const std::vector<Token>& toks_;
    std::size_t pos_ = 0;
    int max_depth_;
    int depth_ = 0;
    int loop_depth_ = 0;
};

}  // namespace

Result<std::shared_ptr<Program>> parse_program(const std::vector<Token>& tokens, int max_depth) {
    return Parser(tokens, max_depth).run();
}

}  // namespace engine::jinja
