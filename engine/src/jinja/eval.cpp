// Expression evaluation: names, literals, operators, attribute/item access,
// slices, calls, filters and tests.
#include <algorithm>
#include <cstdint>

#include "jinja/interp.h"
#include "jinja/utf8.h"

namespace engine::jinja {
namespace {

Error undefined_error(const Value& v) {
    const std::string& hint = v.undefined_hint();
    return make_error(hint.empty() ? std::string("value is undefined") : hint);
}

std::string object_name(const Value& v) { return std::string("'") + v.type_name() + " object'"; }

// Python slice index normalisation for a sequence of length n.
void slice_indices(std::int64_t n, const Value& start, const Value& stop, std::int64_t step, std::int64_t& lo,
                   std::int64_t& hi) {
    auto clamp = [n, step](const Value& v, bool is_start) -> std::int64_t {
        if (v.is_none() || v.is_undefined()) {
            if (step > 0) return is_start ? 0 : n;
            return is_start ? n - 1 : -1;
        }
        std::int64_t i = v.as_int();
        if (i < 0) {
            i += n;
            if (i < 0) i = step > 0 ? 0 : -1;
        } else if (i >= n) {
            i = step > 0 ? n : n - 1;
        }
        return i;
    };
    lo = clamp(start, true);
    hi = clamp(stop, false);
}

}  // namespace

Error Evaluator::located(const Error& err, int line) const {
    if (err.message.rfind("[jinja]", 0) == 0) return err;
    return make_error("[jinja] line " + std::to_string(line) + ": " + err.message);
}

Status Evaluator::check_size(std::size_t bytes) const {
    if (bytes > opt_.limits.max_output_bytes)
        return make_error("output exceeds the limit of " + std::to_string(opt_.limits.max_output_bytes) +
                          " bytes");
    return {};
}

Result<std::vector<Value>> Evaluator::iterate(const Value& v) {
    switch (v.kind()) {
        case ValueKind::undefined:
            return std::vector<Value>{};
        case ValueKind::list:
            return v.items();
        case ValueKind::dict: {
            if (v.is_namespace()) break;
            std::vector<Value> keys;
            for (const auto& [k, item] : v.dict_data().items) keys.push_back(k);
            return keys;
        }
        case ValueKind::string: {
            std::vector<Value> chars;
            const std::string& s = v.as_string();
            if (is_ascii(s)) {
                for (char c : s) chars.emplace_back(std::string(1, c));
            } else {
                for (char32_t c : utf8_decode(s)) {
                    std::string one;
                    utf8_append(one, c);
                    chars.emplace_back(std::move(one));
                }
            }
            return chars;
        }
        default:
            break;
    }
    return make_error(std::string("'") + v.type_name() + "' object is not iterable");
}

Result<Value> Evaluator::get_attr(const Value& obj, const std::string& name) {
    if (obj.is_undefined()) return undefined_error(obj);
    if (obj.is_dict()) {
        if (!obj.is_namespace()) {
            Value m = find_method(*this, obj, name);
            if (!m.is_undefined() || !m.undefined_hint().empty()) return m;
        }
        if (const Value* v = obj.find(name)) return *v;
        return Value::undefined(object_name(obj) + " has no attribute '" + name + "'");
    }
    if (obj.is_string() || obj.is_list()) {
        Value m = find_method(*this, obj, name);
        if (!m.is_undefined() || !m.undefined_hint().empty()) return m;
    }
    return Value::undefined(object_name(obj) + " has no attribute '" + name + "'");
}

Result<Value> Evaluator::get_item(const Value& obj, const Value& key) {
    if (obj.is_undefined()) return undefined_error(obj);
    if (obj.is_dict()) {
        if (const Value* v = obj.find(key)) return *v;
        if (key.is_string() && !obj.is_namespace()) {
            Value m = find_method(*this, obj, key.as_string());
            if (!m.is_undefined()) return m;
        }
        return Value::undefined(object_name(obj) + " has no attribute " + key.repr());
    }
    if ((obj.is_list() || obj.is_string()) && (key.is_int() || key.is_bool())) {
        std::int64_t i = key.as_int();
        if (obj.is_list()) {
            const auto n = static_cast<std::int64_t>(obj.items().size());
            if (i < 0) i += n;
            if (i < 0 || i >= n) return Value::undefined(object_name(obj) + " has no element " + key.repr());
            return obj.items()[static_cast<std::size_t>(i)];
        }
        const std::string& s = obj.as_string();
        if (is_ascii(s)) {
            const auto n = static_cast<std::int64_t>(s.size());
            if (i < 0) i += n;
            if (i < 0 || i >= n) return Value::undefined(object_name(obj) + " has no element " + key.repr());
            return Value(std::string(1, s[static_cast<std::size_t>(i)]));
        }
        const auto cps = utf8_decode(s);
        const auto n = static_cast<std::int64_t>(cps.size());
        if (i < 0) i += n;
        if (i < 0 || i >= n) return Value::undefined(object_name(obj) + " has no element " + key.repr());
        return Value(utf8_encode(cps, static_cast<std::size_t>(i), static_cast<std::size_t>(i) + 1));
    }
    if (key.is_string()) return get_attr(obj, key.as_string());
    return Value::undefined(object_name(obj) + " has no element " + key.repr());
}

Result<Value> Evaluator::get_path(const Value& obj, const std::string& path) {
    Value cur = obj;
    std::size_t start = 0;
    while (true) {
        const std::size_t dot = path.find('.', start);
        const std::string part =
            path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
        Value key(part);
        if (!part.empty() &&
            std::all_of(part.begin(), part.end(), [](char c) { return c >= '0' && c <= '9'; }))
            key = Value(static_cast<std::int64_t>(std::stoll(part)));
        auto next = get_item(cur, key);
        if (!next) return next;
        cur = std::move(*next);
        if (dot == std::string::npos) return cur;
        start = dot + 1;
    }
}

Result<Value> Evaluator::call(const Value& fn, const CallArgs& args) {
    if (fn.is_undefined()) return undefined_error(fn);
    if (!fn.is_function()) return make_error(std::string("'") + fn.type_name() + "' object is not callable");
    return fn.function_data().fn(args);
}

Result<CallArgs> Evaluator::eval_args(const Expr& e, Scope& scope, std::size_t first) {
    CallArgs args;
    for (std::size_t i = first; i < e.args.size(); ++i) {
        auto v = eval(*e.args[i], scope);
        if (!v) return v.error();
        args.positional.push_back(std::move(*v));
    }
    for (const auto& [k, ex] : e.kwargs) {
        auto v = eval(*ex, scope);
        if (!v) return v.error();
        args.named.emplace_back(k, std::move(*v));
    }
    return args;
}

Result<Value> Evaluator::eval_call(const Expr& e, Scope& scope) {
    auto fn = eval(*e.args[0], scope);
    if (!fn) return fn;
    auto args = eval_args(e, scope, 1);
    if (!args) return args.error();
    auto r = call(*fn, *args);
    if (!r) return located(r.error(), e.line);
    return r;
}

Result<Value> Evaluator::eval_compare(const Expr& e, Scope& scope) {
    auto left = eval(*e.args[0], scope);
    if (!left) return left;
    Value a = std::move(*left);
    for (std::size_t i = 0; i < e.ops.size(); ++i) {
        auto right = eval(*e.args[i + 1], scope);
        if (!right) return right;
        const std::string& op = e.ops[i];
        bool ok = false;
        if (op == "==") {
            ok = a.equals(*right);
        } else if (op == "!=") {
            ok = !a.equals(*right);
        } else if (op == "in" || op == "notin") {
            auto r = contains(*right, a);
            if (!r) return located(r.error(), e.line);
            ok = (op == "in") == *r;
        } else {
            const bool swap = op == ">" || op == "<=";
            auto lt = swap ? less_than(*right, a) : less_than(a, *right);
            if (!lt) return located(lt.error(), e.line);
            ok = (op == "<" || op == ">") ? *lt : !*lt;
        }
        if (!ok) return Value(false);
        a = std::move(*right);
    }
    return Value(true);
}

Result<Value> Evaluator::eval_slice(const Expr& e, Scope& scope) {
    auto obj = eval(*e.args[0], scope);
    if (!obj) return obj;
    Value parts[3];
    for (int i = 0; i < 3; ++i) {
        if (!e.args[static_cast<std::size_t>(i) + 1]) {
            parts[i] = Value::none();
            continue;
        }
        auto v = eval(*e.args[static_cast<std::size_t>(i) + 1], scope);
        if (!v) return v;
        if (!v->is_none() && !v->is_int() && !v->is_bool())
            return located(make_error("slice indices must be integers or None, not " + v->type_name()),
                           e.line);
        parts[i] = std::move(*v);
    }
    const std::int64_t step = parts[2].is_none() ? 1 : parts[2].as_int();
    if (step == 0) return located(make_error("slice step cannot be zero"), e.line);
    if (obj->is_undefined()) return located(undefined_error(*obj), e.line);
    if (!obj->is_list() && !obj->is_string())
        return located(make_error(std::string("'") + obj->type_name() + "' object is not subscriptable"),
                       e.line);
    const bool is_str = obj->is_string();
    std::vector<char32_t> cps;
    if (is_str) cps = utf8_decode(obj->as_string());
    const auto n = static_cast<std::int64_t>(is_str ? cps.size() : obj->items().size());
    std::int64_t lo, hi;
    slice_indices(n, parts[0], parts[1], step, lo, hi);
    std::vector<Value> items;
    std::string s;
    for (std::int64_t i = lo; step > 0 ? i < hi : i > hi; i += step) {
        if (is_str)
            utf8_append(s, cps[static_cast<std::size_t>(i)]);
        else
            items.push_back(obj->items()[static_cast<std::size_t>(i)]);
    }
    if (is_str) return Value(std::move(s));
    return obj->is_tuple() ? Value::tuple(std::move(items)) : Value::list(std::move(items));
}

Result<Value> Evaluator::eval(const Expr& e, Scope& scope) {
    switch (e.kind) {
        case Expr::Kind::literal:
            return e.value;
        case Expr::Kind::name: {
            if (const Value* v = scope.lookup(e.name)) return *v;
            return Value::undefined(std::string("'") + e.name + "' is undefined");
        }
        case Expr::Kind::list:
        case Expr::Kind::tuple: {
            std::vector<Value> items;
            for (const auto& a : e.args) {
                auto v = eval(*a, scope);
                if (!v) return v;
                items.push_back(std::move(*v));
            }
            return e.kind == Expr::Kind::tuple ? Value::tuple(std::move(items))
                                               : Value::list(std::move(items));
        }
        case Expr::Kind::dict: {
            Value d = Value::dict();
            for (std::size_t i = 0; i + 1 < e.args.size(); i += 2) {
                auto k = eval(*e.args[i], scope);
                if (!k) return k;
                auto v = eval(*e.args[i + 1], scope);
                if (!v) return v;
                if (k->is_list() && !k->is_tuple())
                    return located(make_error("unhashable type: 'list'"), e.line);
                if (k->is_dict()) return located(make_error("unhashable type: 'dict'"), e.line);
                d.set(std::move(*k), std::move(*v));
            }
            return d;
        }
        case Expr::Kind::attr: {
            auto obj = eval(*e.args[0], scope);
            if (!obj) return obj;
            auto r = get_attr(*obj, e.name);
            if (!r) return located(r.error(), e.line);
            return r;
        }
        case Expr::Kind::item: {
            auto obj = eval(*e.args[0], scope);
            if (!obj) return obj;
            auto key = eval(*e.args[1], scope);
            if (!key) return key;
            auto r = get_item(*obj, *key);
            if (!r) return located(r.error(), e.line);
            return r;
        }
        case Expr::Kind::slice:
            return eval_slice(e, scope);
        case Expr::Kind::call:
            return eval_call(e, scope);
        case Expr::Kind::filter: {
            auto subject = eval(*e.args[0], scope);
            if (!subject) return subject;
            auto args = eval_args(e, scope, 1);
            if (!args) return args.error();
            auto r = apply_filter(e.name, *subject, *args);
            if (!r) return located(r.error(), e.line);
            return r;
        }
        case Expr::Kind::test: {
            auto subject = eval(*e.args[0], scope);
            if (!subject) return subject;
            auto args = eval_args(e, scope, 1);
            if (!args) return args.error();
            auto r = apply_test(e.name, *subject, *args);
            if (!r) return located(r.error(), e.line);
            return Value(*r);
        }
        case Expr::Kind::neg:
        case Expr::Kind::pos: {
            auto v = eval(*e.args[0], scope);
            if (!v) return v;
            if (v->is_undefined()) return located(undefined_error(*v), e.line);
            if (!v->is_number())
                return located(
                    make_error(std::string("bad operand type for unary ") +
                               (e.kind == Expr::Kind::neg ? "-" : "+") + ": '" + v->type_name() + "'"),
                    e.line);
            if (e.kind == Expr::Kind::pos) return v->is_bool() ? Value(v->as_int()) : *v;
            if (v->is_float()) return Value(-v->as_double());
            if (v->as_int() == INT64_MIN) return located(make_error("integer overflow in unary -"), e.line);
            return Value(-v->as_int());
        }
        case Expr::Kind::not_: {
            auto v = eval(*e.args[0], scope);
            if (!v) return v;
            return Value(!v->truthy());
        }
        case Expr::Kind::and_:
        case Expr::Kind::or_: {
            auto a = eval(*e.args[0], scope);
            if (!a) return a;
            const bool t = a->truthy();
            if ((e.kind == Expr::Kind::and_) != t) return a;  // Python returns the deciding operand
            return eval(*e.args[1], scope);
        }
        case Expr::Kind::binary: {
            auto a = eval(*e.args[0], scope);
            if (!a) return a;
            auto b = eval(*e.args[1], scope);
            if (!b) return b;
            auto r = binary_op(e.name, *a, *b, opt_.limits.max_output_bytes);
            if (!r) return located(r.error(), e.line);
            return r;
        }
        case Expr::Kind::compare:
            return eval_compare(e, scope);
        case Expr::Kind::cond: {
            auto c = eval(*e.args[1], scope);
            if (!c) return c;
            if (c->truthy()) return eval(*e.args[0], scope);
            if (e.args[2]) return eval(*e.args[2], scope);
            return Value::undefined(
                "the inline if-expression evaluated to false and no else section was defined");
        }
    }
    return make_error("[jinja] unknown expression kind");
}

}  // namespace engine::jinja
