// Jinja tests (`x is defined`, `x is divisibleby 3`, ...).
#include <cmath>

#include "jinja/interp.h"
#include "jinja/strings.h"

namespace engine::jinja {
namespace {

Result<Value> need_arg(const CallArgs& a, const std::string& test) {
    if (!a.positional.empty()) return a.positional[0];
    if (!a.named.empty()) return a.named[0].second;
    return make_error("test '" + test + "' needs an argument");
}

Result<double> number_for_test(const Value& v, const std::string& test) {
    if (v.is_undefined())
        return make_error(v.undefined_hint().empty() ? std::string("value is undefined")
                                                     : v.undefined_hint());
    if (!v.is_number()) return make_error("test '" + test + "' needs a number, got " + v.type_name());
    return v.as_double();
}

}  // namespace

bool is_known_test(std::string_view name) {
    static const char* const tests[] = {
        "defined",     "undefined", "none",    "string",   "number",   "integer",  "float",    "boolean",
        "true",        "false",     "mapping", "iterable", "sequence", "callable", "odd",      "even",
        "divisibleby", "equalto",   "eq",      "==",       "ne",       "!=",       "lt",       "<",
        "gt",          ">",         "le",      "<=",       "ge",       ">=",       "lessthan", "greaterthan",
        "in",          "sameas",    "lower",   "upper",    "escaped",  "filter",   "test"};
    for (const char* t : tests)
        if (name == t) return true;
    return false;
}

Result<bool> Evaluator::apply_test(const std::string& name, const Value& v, const CallArgs& args) {
    if (name == "defined") return !v.is_undefined();
    if (name == "undefined") return v.is_undefined();
    if (name == "none") return v.is_none();
    if (name == "string") return v.is_string();
    if (name == "number") return v.is_number();
    if (name == "integer") return v.is_int();
    if (name == "float") return v.is_float();
    if (name == "boolean") return v.is_bool();
    if (name == "true") return v.is_bool() && v.as_bool();
    if (name == "false") return v.is_bool() && !v.as_bool();
    if (name == "mapping") return v.is_dict() && !v.is_namespace();
    if (name == "iterable")
        return v.is_undefined() || v.is_string() || v.is_list() || (v.is_dict() && !v.is_namespace());
    if (name == "sequence")
        return v.is_undefined() || v.is_string() || v.is_list() || (v.is_dict() && !v.is_namespace());
    if (name == "callable") return v.is_function();
    if (name == "escaped") return false;
    if (name == "lower" || name == "upper") {
        const std::string s = v.str();
        const bool want_lower = name == "lower";
        bool cased = false;
        for (char c : s) {
            if (c >= 'a' && c <= 'z') {
                cased = true;
                if (!want_lower) return false;
            } else if (c >= 'A' && c <= 'Z') {
                cased = true;
                if (want_lower) return false;
            }
        }
        return cased;
    }
    if (name == "odd" || name == "even") {
        auto x = number_for_test(v, name);
        if (!x) return x.error();
        const double r = std::fmod(std::fabs(*x), 2.0);
        return name == "odd" ? r == 1.0 : r == 0.0;
    }
    if (name == "divisibleby") {
        auto x = number_for_test(v, name);
        if (!x) return x.error();
        auto d = need_arg(args, name);
        if (!d) return d.error();
        auto y = number_for_test(*d, name);
        if (!y) return y.error();
        if (*y == 0) return make_error("integer division or modulo by zero");
        return std::fmod(*x, *y) == 0.0;
    }
    if (name == "equalto" || name == "eq" || name == "==" || name == "ne" || name == "!=") {
        auto other = need_arg(args, name);
        if (!other) return other.error();
        const bool eq = v.equals(*other);
        return (name == "ne" || name == "!=") ? !eq : eq;
    }
    if (name == "lt" || name == "<" || name == "gt" || name == ">" || name == "le" || name == "<=" ||
        name == "ge" || name == ">=" || name == "lessthan" || name == "greaterthan") {
        auto other = need_arg(args, name);
        if (!other) return other.error();
        const bool swap =
            name == "gt" || name == ">" || name == "greaterthan" || name == "le" || name == "<=";
        auto lt = swap ? less_than(*other, v) : less_than(v, *other);
        if (!lt) return lt.error();
        const bool strict = name == "lt" || name == "<" || name == "gt" || name == ">" ||
                            name == "lessthan" || name == "greaterthan";
        return strict ? *lt : !*lt;
    }
    if (name == "in") {
        auto seq = need_arg(args, name);
        if (!seq) return seq.error();
        return contains(*seq, v);
    }
    if (name == "sameas") {
        auto other = need_arg(args, name);
        if (!other) return other.error();
        if (v.kind() != other->kind()) return false;
        if (v.is_list()) return &v.list_data() == &other->list_data();
        if (v.is_dict()) return &v.dict_data() == &other->dict_data();
        return v.equals(*other);
    }
    if (name == "filter" || name == "test") {
        if (!v.is_string()) return false;
        return name == "filter" ? is_known_filter(v.as_string()) : is_known_test(v.as_string());
    }
    return make_error("no test named '" + name + "'");
}

}  // namespace engine::jinja
