// Jinja built-in filters, with transformers' tojson (json.dumps, no HTML escaping).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "jinja/interp.h"
#include "jinja/strings.h"
#include "jinja/utf8.h"

namespace engine::jinja {
namespace {

// Positional-or-keyword argument lookup; index counts the arguments after the subject.
const Value* arg(const CallArgs& a, std::size_t i, const char* name) {
    if (i < a.positional.size()) return &a.positional[i];
    for (const auto& [k, v] : a.named)
        if (k == name) return &v;
    return nullptr;
}
bool bool_arg(const CallArgs& a, std::size_t i, const char* name, bool def) {
    const Value* v = arg(a, i, name);
    return v ? v->truthy() : def;
}

Error undefined_error(const Value& v) {
    return make_error(v.undefined_hint().empty() ? std::string("value is undefined") : v.undefined_hint());
}

std::string html_escape(const std::string& s) {
    std::string out;
    for (char c : s) {
        switch (c) {
            case '&':
                out += "&amp;";
                break;
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '"':
                out += "&#34;";
                break;
            case '\'':
                out += "&#39;";
                break;
            default:
                out.push_back(c);
        }
    }
    return out;
}

// Jinja's title filter: capitalise after whitespace, '-', '(', '{', '[' or '<'.
std::string jinja_title(const std::string& s) {
    std::string out;
    bool word_start = true;
    for (char32_t c : utf8_decode(s)) {
        const bool sep = is_py_space(c) || c == '-' || c == '(' || c == '{' || c == '[' || c == '<';
        if (sep) {
            utf8_append(out, c);
            word_start = true;
        } else {
            utf8_append(out, word_start ? to_upper_cp(c) : to_lower_cp(c));
            word_start = false;
        }
    }
    return out;
}

std::string indent_text(std::string s, const std::string& pad, bool first, bool blank) {
    s += "\n";  // Jinja appends a newline so splitlines() keeps a trailing empty line
    const auto lines = py_splitlines(s);
    std::string out;
    for (std::size_t i = 0; i < lines.size(); ++i) {
        if (i) out += "\n";
        if (i == 0) {
            out += lines[i];
        } else if (blank || !lines[i].empty()) {
            out += pad + lines[i];
        }
    }
    if (first) out = pad + out;
    return out;
}

Result<Value> round_value(const Value& v, std::int64_t precision, const std::string& method) {
    if (!v.is_number()) return make_error("round: expected a number, got " + v.type_name());
    if (method != "common" && method != "ceil" && method != "floor")
        return make_error("round: method must be common, ceil or floor");
    if (method == "common") {
        if (!v.is_float()) return Value(v.as_int());
        const double x = v.as_double();
        if (!std::isfinite(x)) return Value(x);
        if (precision >= 0) {
            // printf rounds the exact binary value half-to-even, as Python's round() does.
            char buf[512];
            std::snprintf(buf, sizeof(buf), "%.*f", static_cast<int>(std::min<std::int64_t>(precision, 300)),
                          x);
            return Value(std::strtod(buf, nullptr));
        }
        const double scale = std::pow(10.0, static_cast<double>(-precision));
        return Value(std::nearbyint(x / scale) * scale);
    }
    const double scale = std::pow(10.0, static_cast<double>(precision));
    const double y = v.as_double() * scale;
    return Value((method == "ceil" ? std::ceil(y) : std::floor(y)) / scale);
}

// Python int("...") accepting surrounding whitespace, a sign and underscores.
bool parse_py_int(const std::string& text, int base, std::int64_t& out) {
    std::string s = py_strip(text, Value::none(), true, true);
    std::string clean;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '_' && i > 0 && i + 1 < s.size()) continue;
        clean.push_back(s[i]);
    }
    if (clean.empty()) return false;
    char* end = nullptr;
    errno = 0;
    const long long v = std::strtoll(clean.c_str(), &end, base);
    if (errno != 0 || end != clean.c_str() + clean.size()) return false;
    out = v;
    return true;
}

bool parse_py_float(const std::string& text, double& out) {
    const std::string s = py_strip(text, Value::none(), true, true);
    if (s.empty()) return false;
    char* end = nullptr;
    out = std::strtod(s.c_str(), &end);
    return end == s.c_str() + s.size();
}

}  // namespace

bool is_known_filter(std::string_view name) {
    static const char* const filters[] = {
        "abs",      "attr",       "batch",  "capitalize", "center",  "count",   "d",      "default",
        "dictsort", "e",          "escape", "first",      "float",   "format",  "indent", "int",
        "items",    "join",       "last",   "length",     "list",    "lower",   "map",    "max",
        "min",      "pprint",     "reject", "rejectattr", "replace", "reverse", "round",  "safe",
        "select",   "selectattr", "slice",  "sort",       "string",  "sum",     "title",  "tojson",
        "trim",     "unique",     "upper",  "wordcount"};
    for (const char* f : filters)
        if (name == f) return true;
    return false;
}

Result<Value> Evaluator::apply_filter(const std::string& name, const Value& v, const CallArgs& a) {
    if (!is_known_filter(name)) return make_error("no filter named '" + name + "'");
    // Sort key for the case-insensitive filters (sort, unique, min, max, dictsort).
    auto fold = [](const Value& x, bool case_sensitive) {
        if (!case_sensitive && x.is_string()) return Value(py_lower(x.as_string()));
        return x;
    };
    auto attribute_of = [this](const Value& item, const Value* attribute) -> Result<Value> {
        if (!attribute || attribute->is_none()) return item;
        if (attribute->is_int()) return get_item(item, *attribute);
        return get_path(item, attribute->str());
    };

    if (name == "safe" || name == "string") return Value(v.str());
    if (name == "e" || name == "escape") return Value(html_escape(v.str()));
    if (name == "pprint") return Value(v.repr());
    if (name == "upper") return Value(py_upper(v.str()));
    if (name == "lower") return Value(py_lower(v.str()));
    if (name == "capitalize") return Value(py_capitalize(v.str()));
    if (name == "title") return Value(jinja_title(v.str()));
    if (name == "trim") {
        const Value* chars = arg(a, 0, "chars");
        return Value(py_strip(v.str(), chars ? *chars : Value::none(), true, true));
    }
    if (name == "center") {
        const Value* w = arg(a, 0, "width");
        return Value(py_center(v.str(), w && w->is_number() ? w->as_int() : 80, " "));
    }
    if (name == "wordcount") {
        std::int64_t n = 0;
        bool in_word = false;
        for (char32_t c : utf8_decode(v.str())) {
            const bool w = is_word_char(c);
            if (w && !in_word) ++n;
            in_word = w;
        }
        return Value(n);
    }
    if (name == "indent") {
        const Value* w = arg(a, 0, "width");
        std::string pad = w && w->is_string() ? w->as_string()
                                              : std::string(static_cast<std::size_t>(std::max<std::int64_t>(
                                                                0, w && w->is_number() ? w->as_int() : 4)),
                                                            ' ');
        return Value(
            indent_text(v.str(), pad, bool_arg(a, 1, "first", false), bool_arg(a, 2, "blank", false)));
    }
    if (name == "replace") {
        const Value* old = arg(a, 0, "old");
        const Value* repl = arg(a, 1, "new");
        if (!old || !repl) return make_error("replace filter needs old and new strings");
        const Value* count = arg(a, 2, "count");
        return Value(
            py_replace(v.str(), old->str(), repl->str(), count && count->is_number() ? count->as_int() : -1));
    }
    if (name == "format") {
        Value args = Value::tuple(a.positional);
        return binary_op("%", Value(v.str()), args, opt_.limits.max_output_bytes);
    }
    if (name == "default" || name == "d") {
        const Value* def = arg(a, 0, "default_value");
        const bool boolean = bool_arg(a, 1, "boolean", false);
        if (v.is_undefined() || (boolean && !v.truthy())) return def ? *def : Value("");
        return v;
    }
    if (name == "length" || name == "count") {
        if (v.is_undefined()) return Value(0);
        if (v.is_string() || v.is_list() || (v.is_dict() && !v.is_namespace()))
            return Value(static_cast<std::int64_t>(v.size()));
        return make_error("object of type '" + v.type_name() + "' has no len()");
    }
    if (name == "abs") {
        if (v.is_float()) return Value(std::fabs(v.as_double()));
        if (v.is_number()) {
            if (v.as_int() == INT64_MIN) return make_error("integer overflow in abs");
            return Value(static_cast<std::int64_t>(std::llabs(v.as_int())));
        }
        return make_error("bad operand type for abs(): '" + v.type_name() + "'");
    }
    if (name == "int") {
        const Value* def = arg(a, 0, "default");
        const Value* base = arg(a, 1, "base");
        const Value fallback = def ? *def : Value(0);
        if (v.is_undefined()) return undefined_error(v);
        if (v.is_bool() || v.is_int()) return Value(v.as_int());
        if (v.is_float()) {
            if (!std::isfinite(v.as_double())) return fallback;
            return Value(static_cast<std::int64_t>(v.as_double()));
        }
        if (v.is_string()) {
            std::int64_t out;
            if (parse_py_int(v.as_string(), base && base->is_int() ? static_cast<int>(base->as_int()) : 10,
                             out))
                return Value(out);
            double d;
            if (parse_py_float(v.as_string(), d) && std::isfinite(d))
                return Value(static_cast<std::int64_t>(d));
        }
        return fallback;
    }
    if (name == "float") {
        const Value* def = arg(a, 0, "default");
        if (v.is_undefined()) return undefined_error(v);
        if (v.is_number()) return Value(v.as_double());
        double d;
        if (v.is_string() && parse_py_float(v.as_string(), d)) return Value(d);
        return def ? *def : Value(0.0);
    }
    if (name == "round") {
        const Value* p = arg(a, 0, "precision");
        const Value* m = arg(a, 1, "method");
        return round_value(v, p && p->is_number() ? p->as_int() : 0, m ? m->str() : "common");
    }
    if (name == "tojson") {
        JsonDumpOptions o;
        o.ensure_ascii = bool_arg(a, 0, "ensure_ascii", false);
        if (const Value* ind = arg(a, 1, "indent"); ind && !ind->is_none()) {
            if (ind->is_string())
                o.indent_string = ind->as_string(), o.indent = 0;
            else if (ind->is_number())
                o.indent = static_cast<int>(ind->as_int());
            else
                return make_error("tojson: indent must be an int or a string");
        }
        if (const Value* sep = arg(a, 2, "separators"); sep && !sep->is_none()) {
            if (!sep->is_list() || sep->items().size() != 2)
                return make_error("tojson: separators must be a pair of strings");
            o.item_separator = sep->items()[0].str();
            o.key_separator = sep->items()[1].str();
        }
        o.sort_keys = bool_arg(a, 3, "sort_keys", false);
        auto s = to_json(v, o);
        if (!s) return s.error();
        return Value(std::move(*s));
    }
    if (name == "attr") {
        const Value* n = arg(a, 0, "name");
        if (!n) return make_error("attr filter needs a name");
        return get_attr(v, n->str());
    }

    // ---- sequence filters ----
    if (name == "items") {
        if (v.is_undefined()) return Value::list();
        if (!v.is_dict()) return make_error("Can only get item pairs from a mapping.");
        std::vector<Value> out;
        for (const auto& [k, x] : v.dict_data().items) out.push_back(Value::tuple({k, x}));
        return Value::list(std::move(out));
    }
    if (name == "dictsort") {
        if (!v.is_dict()) return make_error("dictsort: expected a mapping, got " + v.type_name());
        const bool cs = bool_arg(a, 0, "case_sensitive", false);
        const Value* by = arg(a, 1, "by");
        const bool by_value = by && by->str() == "value";
        if (by && !by_value && by->str() != "key")
            return make_error("You can only sort by either \"key\" or \"value\"");
        const bool rev = bool_arg(a, 2, "reverse", false);
        std::vector<Value> pairs;
        for (const auto& [k, x] : v.dict_data().items) pairs.push_back(Value::tuple({k, x}));
        std::string err;
        std::stable_sort(pairs.begin(), pairs.end(), [&](const Value& p, const Value& q) {
            const Value x = fold(p.items()[by_value ? 1 : 0], cs);
            const Value y = fold(q.items()[by_value ? 1 : 0], cs);
            auto lt = rev ? less_than(y, x) : less_than(x, y);
            if (!lt) {
                err = lt.error().message;
                return false;
            }
            return *lt;
        });
        if (!err.empty()) return make_error(err);
        return Value::list(std::move(pairs));
    }

    auto seq = iterate(v);
    if (!seq) return seq.error();
    std::vector<Value>& items = *seq;

    if (name == "list") return Value::list(std::move(items));
    if (name == "first" || name == "last") {
        if (v.is_undefined()) return Value::undefined("'first'/'last' of an undefined value");
        if (items.empty()) return Value::undefined("No " + name + " item, sequence was empty.");
        return name == "first" ? items.front() : items.back();
    }
    if (name == "reverse") {
        if (v.is_string()) {
            auto cps = utf8_decode(v.as_string());
            std::reverse(cps.begin(), cps.end());
            return Value(utf8_encode(cps));
        }
        std::reverse(items.begin(), items.end());
        return Value::list(std::move(items));
    }
    if (name == "join") {
        const Value* sep = arg(a, 0, "d");
        const Value* attribute = arg(a, 1, "attribute");
        std::string out;
        for (std::size_t i = 0; i < items.size(); ++i) {
            auto x = attribute_of(items[i], attribute);
            if (!x) return x.error();
            if (i) out += sep ? sep->str() : "";
            out += x->str();
            ENGINE_TRY(check_size(out.size()));
        }
        return Value(std::move(out));
    }
    if (name == "sort" || name == "unique" || name == "min" || name == "max") {
        const bool is_sort = name == "sort";
        const bool rev = is_sort && bool_arg(a, 0, "reverse", false);
        const bool cs =
            is_sort ? bool_arg(a, 1, "case_sensitive", false) : bool_arg(a, 0, "case_sensitive", false);
        const Value* attribute = is_sort ? arg(a, 2, "attribute") : arg(a, 1, "attribute");
        std::vector<std::pair<Value, Value>> keyed;  // (key, item)
        for (auto& item : items) {
            auto k = attribute_of(item, attribute);
            if (!k) return k.error();
            keyed.emplace_back(fold(*k, cs), item);
        }
        if (name == "unique") {
            std::vector<Value> out;
            std::vector<Value> seen;
            for (auto& [k, item] : keyed) {
                bool dup = false;
                for (const auto& s : seen) dup = dup || s.equals(k);
                if (dup) continue;
                seen.push_back(k);
                out.push_back(item);
            }
            return Value::list(std::move(out));
        }
        std::string err;
        auto cmp = [&](const std::pair<Value, Value>& p, const std::pair<Value, Value>& q) {
            auto lt = rev ? less_than(q.first, p.first) : less_than(p.first, q.first);
            if (!lt) {
                err = lt.error().message;
                return false;
            }
            return *lt;
        };
        if (is_sort) {
            std::stable_sort(keyed.begin(), keyed.end(), cmp);
            if (!err.empty()) return make_error(err);
            std::vector<Value> out;
            for (auto& [k, item] : keyed) out.push_back(item);
            return Value::list(std::move(out));
        }
        if (keyed.empty()) return Value::undefined("No aggregated item, sequence was empty.");
        auto it = name == "min" ? std::min_element(keyed.begin(), keyed.end(), cmp)
                                : std::max_element(keyed.begin(), keyed.end(), cmp);
        if (!err.empty()) return make_error(err);
        return it->second;
    }
    if (name == "sum") {
        const Value* attribute = arg(a, 0, "attribute");
        const Value* start = arg(a, 1, "start");
        Value total = start ? *start : Value(0);
        for (auto& item : items) {
            auto x = attribute_of(item, attribute);
            if (!x) return x.error();
            auto r = binary_op("+", total, *x, opt_.limits.max_output_bytes);
            if (!r) return r.error();
            total = std::move(*r);
        }
        return total;
    }
    if (name == "map") {
        std::vector<Value> out;
        const Value* attribute = nullptr;
        const Value* def = nullptr;
        for (const auto& [k, x] : a.named) {
            if (k == "attribute") attribute = &x;
            if (k == "default") def = &x;
        }
        if (attribute) {
            for (auto& item : items) {
                auto x = get_path(item, attribute->str());
                if (!x) return x.error();
                out.push_back(x->is_undefined() && def ? *def : std::move(*x));
            }
            return Value::list(std::move(out));
        }
        if (a.positional.empty()) return make_error("map requires a filter name or attribute=");
        CallArgs rest;
        rest.positional.assign(a.positional.begin() + 1, a.positional.end());
        rest.named = a.named;
        const std::string filter = a.positional[0].str();
        for (auto& item : items) {
            auto x = apply_filter(filter, item, rest);
            if (!x) return x;
            out.push_back(std::move(*x));
        }
        return Value::list(std::move(out));
    }
    if (name == "select" || name == "reject" || name == "selectattr" || name == "rejectattr") {
        const bool by_attr = name == "selectattr" || name == "rejectattr";
        const bool keep_if = name == "select" || name == "selectattr";
        std::size_t next = 0;
        const Value* attribute = nullptr;
        if (by_attr) {
            if (a.positional.empty()) return make_error(name + " requires an attribute name");
            attribute = &a.positional[next++];
        }
        std::string test;
        if (next < a.positional.size()) test = a.positional[next++].str();
        CallArgs test_args;
        test_args.positional.assign(a.positional.begin() + static_cast<std::ptrdiff_t>(next),
                                    a.positional.end());
        test_args.named = a.named;
        std::vector<Value> out;
        for (auto& item : items) {
            Value subject = item;
            if (attribute) {
                auto x = get_path(item, attribute->str());
                if (!x) return x.error();
                subject = std::move(*x);
            }
            bool pass;
            if (test.empty()) {
                pass = subject.truthy();
            } else {
                auto t = apply_test(test, subject, test_args);
                if (!t) return t.error();
                pass = *t;
            }
            if (pass == keep_if) out.push_back(item);
        }
        return Value::list(std::move(out));
    }
    if (name == "batch") {
        const Value* n = arg(a, 0, "linecount");
        if (!n || !n->is_number() || n->as_int() <= 0)
            return make_error("batch: linecount must be a positive integer");
        const Value* fill = arg(a, 1, "fill_with");
        const auto size = static_cast<std::size_t>(n->as_int());
        std::vector<Value> out;
        std::vector<Value> cur;
        for (auto& item : items) {
            cur.push_back(item);
            if (cur.size() == size) {
                out.push_back(Value::list(std::move(cur)));
                cur.clear();
            }
        }
        if (!cur.empty()) {
            if (fill && !fill->is_none())
                while (cur.size() < size) cur.push_back(*fill);
            out.push_back(Value::list(std::move(cur)));
        }
        return Value::list(std::move(out));
    }
    if (name == "slice") {
        const Value* n = arg(a, 0, "slices");
        if (!n || !n->is_number() || n->as_int() <= 0)
            return make_error("slice: slices must be a positive integer");
        const Value* fill = arg(a, 1, "fill_with");
        const auto slices = static_cast<std::size_t>(n->as_int());
        const std::size_t per = items.size() / slices, extra = items.size() % slices;
        std::size_t offset = 0;
        std::vector<Value> out;
        for (std::size_t s = 0; s < slices; ++s) {
            const std::size_t start = offset + s * per;
            if (s < extra) ++offset;
            const std::size_t end = offset + (s + 1) * per;
            std::vector<Value> part(items.begin() + static_cast<std::ptrdiff_t>(start),
                                    items.begin() + static_cast<std::ptrdiff_t>(end));
            if (fill && !fill->is_none() && s >= extra) part.push_back(*fill);
            out.push_back(Value::list(std::move(part)));
        }
        return Value::list(std::move(out));
    }
    return make_error("no filter named '" + name + "'");
}

}  // namespace engine::jinja
