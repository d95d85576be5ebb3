// Arithmetic, comparison and membership with Python semantics.
#include <cmath>
#include <cstdio>

#include "jinja/interp.h"

namespace engine::jinja {
namespace {

Error undefined_error(const Value& v) {
    const std::string& hint = v.undefined_hint();
    return make_error(hint.empty() ? std::string("value is undefined") : hint);
}

Error unsupported(const std::string& op, const Value& a, const Value& b) {
    return make_error("unsupported operand type(s) for " + op + ": '" + a.type_name() + "' and '" +
                      b.type_name() + "'");
}

bool is_plain_int(const Value& v) { return v.is_int() || v.is_bool(); }

// Python's printf-style `str % args` for the common conversions.
Result<Value> percent_format(const std::string& fmt, const Value& args) {
    std::vector<Value> list = args.is_tuple() ? args.items() : std::vector<Value>{args};
    std::size_t next = 0;
    std::string out;
    for (std::size_t i = 0; i < fmt.size(); ++i) {
        if (fmt[i] != '%') {
            out.push_back(fmt[i]);
            continue;
        }
        if (++i >= fmt.size()) return make_error("incomplete format");
        const char c = fmt[i];
        if (c == '%') {
            out.push_back('%');
            continue;
        }
        if (next >= list.size()) return make_error("not enough arguments for format string");
        const Value& v = list[next++];
        switch (c) {
            case 's':
                out += v.str();
                break;
            case 'r':
                out += v.repr();
                break;
            case 'd':
            case 'i':
                if (!v.is_number())
                    return make_error(std::string("%") + c + " format: a real number is required, not " +
                                      v.type_name());
                out += std::to_string(v.is_float() ? static_cast<std::int64_t>(v.as_double()) : v.as_int());
                break;
            case 'f': {
                if (!v.is_number())
                    return make_error("%f format: a real number is required, not " + v.type_name());
                char buf[64];
                std::snprintf(buf, sizeof(buf), "%f", v.as_double());
                out += buf;
                break;
            }
            default:
                return make_error(std::string("unsupported format character '") + c + "'");
        }
    }
    if (next < list.size() && args.is_tuple())
        return make_error("not all arguments converted during string formatting");
    return Value(std::move(out));
}

}  // namespace

Result<Value> binary_op(const std::string& op, const Value& a, const Value& b, std::size_t max_bytes) {
    if (op == "~") {
        std::string s = a.str() + b.str();
        if (s.size() > max_bytes) return make_error("string exceeds the output limit");
        return Value(std::move(s));
    }
    if (a.is_undefined()) return undefined_error(a);
    if (b.is_undefined()) return undefined_error(b);
    const bool nums = a.is_number() && b.is_number();
    const bool ints = nums && is_plain_int(a) && is_plain_int(b);
    if (op == "+") {
        if (ints) {
            std::int64_t r;
            if (__builtin_add_overflow(a.as_int(), b.as_int(), &r))
                return make_error("integer overflow in +");
            return Value(r);
        }
        if (nums) return Value(a.as_double() + b.as_double());
        if (a.is_string() && b.is_string()) {
            if (a.as_string().size() + b.as_string().size() > max_bytes)
                return make_error("string exceeds the output limit");
            return Value(a.as_string() + b.as_string());
        }
        if (a.is_list() && b.is_list() && a.is_tuple() == b.is_tuple()) {
            std::vector<Value> items = a.items();
            items.insert(items.end(), b.items().begin(), b.items().end());
            return a.is_tuple() ? Value::tuple(std::move(items)) : Value::list(std::move(items));
        }
        if (a.is_string())
            return make_error("can only concatenate str (not \"" + b.type_name() + "\") to str");
        if (a.is_list() && !a.is_tuple())
            return make_error("can only concatenate list (not \"" + b.type_name() + "\") to list");
        return unsupported("+", a, b);
    }
    if (op == "-") {
        if (ints) {
            std::int64_t r;
            if (__builtin_sub_overflow(a.as_int(), b.as_int(), &r))
                return make_error("integer overflow in -");
            return Value(r);
        }
        if (nums) return Value(a.as_double() - b.as_double());
        return unsupported("-", a, b);
    }
    if (op == "*") {
        if (ints) {
            std::int64_t r;
            if (__builtin_mul_overflow(a.as_int(), b.as_int(), &r))
                return make_error("integer overflow in *");
            return Value(r);
        }
        if (nums) return Value(a.as_double() * b.as_double());
        const Value* seq = (a.is_string() || a.is_list()) && is_plain_int(b)   ? &a
                           : (b.is_string() || b.is_list()) && is_plain_int(a) ? &b
                                                                               : nullptr;
        if (seq) {
            const std::int64_t n = std::max<std::int64_t>(0, (seq == &a ? b : a).as_int());
            const std::size_t unit = seq->is_string() ? seq->as_string().size() : seq->items().size() * 8;
            if (unit != 0 && static_cast<std::uint64_t>(n) > max_bytes / unit)
                return make_error("repetition exceeds the output limit");
            if (seq->is_string()) {
                std::string s;
                for (std::int64_t i = 0; i < n; ++i) s += seq->as_string();
                return Value(std::move(s));
            }
            std::vector<Value> items;
            for (std::int64_t i = 0; i < n; ++i)
                items.insert(items.end(), seq->items().begin(), seq->items().end());
            return seq->is_tuple() ? Value::tuple(std::move(items)) : Value::list(std::move(items));
        }
        return unsupported("*", a, b);
    }
    if (op == "/") {
        if (!nums) return unsupported("/", a, b);
        if (b.as_double() == 0.0) return make_error("division by zero");
        return Value(a.as_double() / b.as_double());
    }
    if (op == "//") {
        if (!nums) return unsupported("//", a, b);
        if (b.as_double() == 0.0) return make_error("integer division or modulo by zero");
        if (ints) {
            const std::int64_t x = a.as_int(), y = b.as_int();
            std::int64_t q = x / y;
            if ((x % y != 0) && ((x < 0) != (y < 0))) --q;
            return Value(q);
        }
        return Value(std::floor(a.as_double() / b.as_double()));
    }
    if (op == "%") {
        if (a.is_string()) return percent_format(a.as_string(), b);
        if (!nums) return unsupported("%", a, b);
        if (b.as_double() == 0.0) return make_error("integer division or modulo by zero");
        if (ints) {
            const std::int64_t x = a.as_int(), y = b.as_int();
            std::int64_t r = x % y;
            if (r != 0 && ((r < 0) != (y < 0))) r += y;
            return Value(r);
        }
        const double x = a.as_double(), y = b.as_double();
        double r = std::fmod(x, y);
        if (r != 0 && ((r < 0) != (y < 0))) r += y;
        return Value(r);
    }
    if (op == "**") {
        if (!nums) return unsupported("** or pow()", a, b);
        if (ints && b.as_int() >= 0) {
            std::int64_t r = 1, base = a.as_int();
            for (std::int64_t e = b.as_int(); e > 0; --e) {
                if (__builtin_mul_overflow(r, base, &r)) return make_error("integer overflow in **");
                if (r == 0 || r == 1) break;
            }
            return Value(r);
        }
        return Value(std::pow(a.as_double(), b.as_double()));
    }
    return make_error("unknown operator " + op);
}

Result<bool> less_than(const Value& a, const Value& b) {
    if (a.is_undefined()) return undefined_error(a);
    if (b.is_undefined()) return undefined_error(b);
    if (a.is_number() && b.is_number()) {
        if (a.is_float() || b.is_float()) return a.as_double() < b.as_double();
        return a.as_int() < b.as_int();
    }
    if (a.is_string() && b.is_string()) return a.as_string() < b.as_string();
    if (a.is_list() && b.is_list() && a.is_tuple() == b.is_tuple()) {
        const auto& x = a.items();
        const auto& y = b.items();
        for (std::size_t i = 0; i < x.size() && i < y.size(); ++i) {
            if (x[i].equals(y[i])) continue;
            return less_than(x[i], y[i]);
        }
        return x.size() < y.size();
    }
    return make_error("'<' not supported between instances of '" + a.type_name() + "' and '" + b.type_name() +
                      "'");
}

Result<bool> contains(const Value& container, const Value& item) {
    switch (container.kind()) {
        case ValueKind::undefined:
            return false;
        case ValueKind::string:
            if (!item.is_string())
                return make_error("'in <string>' requires string as left operand, not " + item.type_name());
            return container.as_string().find(item.as_string()) != std::string::npos;
        case ValueKind::list:
            for (const auto& v : container.items())
                if (v.equals(item)) return true;
            return false;
        case ValueKind::dict:
            return container.find(item) != nullptr;
        default:
            return make_error("argument of type '" + container.type_name() + "' is not iterable");
    }
}

}  // namespace engine::jinja
