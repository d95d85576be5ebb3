// Python methods on str, list and dict values (`s.strip()`, `d.items()`, ...).
#include <algorithm>

#include "jinja/interp.h"
#include "jinja/strings.h"
#include "jinja/utf8.h"

namespace engine::jinja {
namespace {

const Value* arg(const CallArgs& a, std::size_t i, const char* name) {
    if (i < a.positional.size()) return &a.positional[i];
    for (const auto& [k, v] : a.named)
        if (k == name) return &v;
    return nullptr;
}

Result<std::string> string_arg(const CallArgs& a, std::size_t i, const char* name, const char* method) {
    const Value* v = arg(a, i, name);
    if (!v) return make_error(std::string(method) + "() missing argument '" + name + "'");
    if (!v->is_string())
        return make_error(std::string(method) + "() argument must be str, not " + v->type_name());
    return v->as_string();
}

std::int64_t int_arg(const CallArgs& a, std::size_t i, const char* name, std::int64_t def) {
    const Value* v = arg(a, i, name);
    if (!v || !(v->is_int() || v->is_bool())) return def;
    return v->as_int();
}

Value str_list(const std::vector<std::string>& parts) {
    std::vector<Value> items;
    items.reserve(parts.size());
    for (const auto& p : parts) items.emplace_back(p);
    return Value::list(std::move(items));
}

// Code-point index of a byte offset (find() returns code-point positions in Python).
std::int64_t cp_index(const std::string& s, std::size_t byte) {
    if (byte == std::string::npos) return -1;
    return static_cast<std::int64_t>(utf8_length(std::string_view(s).substr(0, byte)));
}

Result<Value> str_format(const std::string& fmt, const CallArgs& a) {
    std::string out;
    std::size_t auto_index = 0;
    for (std::size_t i = 0; i < fmt.size(); ++i) {
        const char c = fmt[i];
        if (c == '}') {
            if (i + 1 < fmt.size() && fmt[i + 1] == '}') ++i;
            out.push_back('}');
            continue;
        }
        if (c != '{') {
            out.push_back(c);
            continue;
        }
        if (i + 1 < fmt.size() && fmt[i + 1] == '{') {
            out.push_back('{');
            ++i;
            continue;
        }
        const std::size_t close = fmt.find('}', i);
        if (close == std::string::npos) return make_error("Single '{' encountered in format string");
        std::string field = fmt.substr(i + 1, close - i - 1);
        i = close;
        char conversion = 's';
        const std::size_t bang = field.find('!');
        if (bang != std::string::npos) {
            conversion = bang + 1 < field.size() ? field[bang + 1] : 's';
            field.resize(bang);
        }
        if (field.find(':') != std::string::npos)
            return make_error("format specs are not supported in str.format");
        const Value* v = nullptr;
        if (field.empty()) {
            v = auto_index < a.positional.size() ? &a.positional[auto_index] : nullptr;
            ++auto_index;
        } else if (std::all_of(field.begin(), field.end(), [](char d) { return d >= '0' && d <= '9'; })) {
            const auto idx = static_cast<std::size_t>(std::stoul(field));
            v = idx < a.positional.size() ? &a.positional[idx] : nullptr;
        } else {
            for (const auto& [k, val] : a.named)
                if (k == field) v = &val;
        }
        if (!v) return make_error("format field '" + field + "' has no matching argument");
        out += conversion == 'r' ? v->repr() : v->str();
    }
    return Value(std::move(out));
}

Value bind_method(const Value& self, const std::string& name,
                  std::function<Result<Value>(const Value& self, const CallArgs& a)> fn) {
    return Value::function(name, [self, fn = std::move(fn)](const CallArgs& a) { return fn(self, a); });
}

Value string_method(const Value& obj, const std::string& name) {
    using A = const CallArgs&;
    using S = const Value&;
    if (name == "strip" || name == "lstrip" || name == "rstrip") {
        const bool l = name != "rstrip", r = name != "lstrip";
        return bind_method(obj, name, [l, r](S s, A a) -> Result<Value> {
            const Value* chars = arg(a, 0, "chars");
            return Value(py_strip(s.as_string(), chars ? *chars : Value::none(), l, r));
        });
    }
    if (name == "upper")
        return bind_method(obj, name, [](S s, A) -> Result<Value> { return Value(py_upper(s.as_string())); });
    if (name == "lower")
        return bind_method(obj, name, [](S s, A) -> Result<Value> { return Value(py_lower(s.as_string())); });
    if (name == "title")
        return bind_method(obj, name, [](S s, A) -> Result<Value> { return Value(py_title(s.as_string())); });
    if (name == "capitalize")
        return bind_method(obj, name,
                           [](S s, A) -> Result<Value> { return Value(py_capitalize(s.as_string())); });
    if (name == "split" || name == "rsplit") {
        const bool reverse = name == "rsplit";
        return bind_method(obj, name, [reverse](S s, A a) -> Result<Value> {
            const Value* sep = arg(a, 0, "sep");
            const std::int64_t maxsplit = int_arg(a, 1, "maxsplit", -1);
            const bool ws = !sep || sep->is_none();
            if (!ws && !sep->is_string()) return make_error("must be str or None, not " + sep->type_name());
            if (!ws && sep->as_string().empty()) return make_error("empty separator");
            if (!reverse || maxsplit < 0)
                return str_list(py_split(s.as_string(), ws ? std::string() : sep->as_string(), ws, maxsplit));
            // rsplit with a limit: split everything, then re-join the leading surplus.
            auto parts = py_split(s.as_string(), ws ? std::string() : sep->as_string(), ws, -1);
            if (static_cast<std::int64_t>(parts.size()) <= maxsplit + 1) return str_list(parts);
            const std::size_t keep = static_cast<std::size_t>(maxsplit);
            std::string head;
            const std::size_t head_n = parts.size() - keep;
            if (ws) {
                // Whitespace rsplit keeps the original spacing of the head.
                std::string src = py_strip(s.as_string(), Value::none(), false, true);
                std::size_t pos = src.size();
                for (std::size_t k = 0; k < keep; ++k) {
                    pos = src.rfind(parts[parts.size() - 1 - k], pos);
                    if (k + 1 < keep) --pos;
                }
                head = py_strip(src.substr(0, pos), Value::none(), false, true);
            } else {
                for (std::size_t k = 0; k < head_n; ++k) head += (k ? sep->as_string() : "") + parts[k];
            }
            std::vector<std::string> out{head};
            out.insert(out.end(), parts.end() - static_cast<std::ptrdiff_t>(keep), parts.end());
            return str_list(out);
        });
    }
    if (name == "splitlines")
        return bind_method(obj, name,
                           [](S s, A) -> Result<Value> { return str_list(py_splitlines(s.as_string())); });
    if (name == "startswith" || name == "endswith") {
        const bool starts = name == "startswith";
        return bind_method(obj, name, [starts](S s, A a) -> Result<Value> {
            const Value* p = arg(a, 0, "prefix");
            if (!p) return make_error("startswith/endswith takes at least 1 argument");
            std::vector<Value> options = p->is_tuple() ? p->items() : std::vector<Value>{*p};
            const std::string& str = s.as_string();
            for (const auto& o : options) {
                if (!o.is_string())
                    return make_error("startswith/endswith first arg must be str or a tuple of str");
                const std::string& x = o.as_string();
                if (x.size() > str.size()) continue;
                if (starts ? str.compare(0, x.size(), x) == 0
                           : str.compare(str.size() - x.size(), x.size(), x) == 0)
                    return Value(true);
            }
            return Value(false);
        });
    }
    if (name == "replace") {
        return bind_method(obj, name, [](S s, A a) -> Result<Value> {
            auto old = string_arg(a, 0, "old", "replace");
            if (!old) return old.error();
            auto repl = string_arg(a, 1, "new", "replace");
            if (!repl) return repl.error();
            return Value(py_replace(s.as_string(), *old, *repl, int_arg(a, 2, "count", -1)));
        });
    }
    if (name == "find" || name == "rfind" || name == "index" || name == "rindex") {
        const bool rev = name[0] == 'r';
        const bool raise = name.find("index") != std::string::npos;
        return bind_method(obj, name, [rev, raise](S s, A a) -> Result<Value> {
            auto sub = string_arg(a, 0, "sub", "find");
            if (!sub) return sub.error();
            const std::string& str = s.as_string();
            const std::size_t hit = rev ? str.rfind(*sub) : str.find(*sub);
            if (hit == std::string::npos && raise) return make_error("substring not found");
            return Value(cp_index(str, hit));
        });
    }
    if (name == "count") {
        return bind_method(obj, name, [](S s, A a) -> Result<Value> {
            auto sub = string_arg(a, 0, "sub", "count");
            if (!sub) return sub.error();
            const std::string& str = s.as_string();
            if (sub->empty()) return Value(static_cast<std::int64_t>(utf8_length(str) + 1));
            std::int64_t n = 0;
            for (std::size_t pos = str.find(*sub); pos != std::string::npos;
                 pos = str.find(*sub, pos + sub->size()))
                ++n;
            return Value(n);
        });
    }
    if (name == "join") {
        return bind_method(obj, name, [](S s, A a) -> Result<Value> {
            const Value* it = arg(a, 0, "iterable");
            if (!it || !(it->is_list() || it->is_string() || it->is_dict()))
                return make_error("can only join an iterable");
            std::vector<Value> items;
            if (it->is_list()) {
                items = it->items();
            } else if (it->is_dict()) {
                for (const auto& [k, v] : it->dict_data().items) items.push_back(k);
            } else {
                for (char32_t c : utf8_decode(it->as_string())) {
                    std::string one;
                    utf8_append(one, c);
                    items.emplace_back(std::move(one));
                }
            }
            std::string out;
            for (std::size_t i = 0; i < items.size(); ++i) {
                if (!items[i].is_string())
                    return make_error("sequence item " + std::to_string(i) + ": expected str instance, " +
                                      items[i].type_name() + " found");
                if (i) out += s.as_string();
                out += items[i].as_string();
            }
            return Value(std::move(out));
        });
    }
    if (name == "format")
        return bind_method(obj, name, [](S s, A a) { return str_format(s.as_string(), a); });
    if (name == "isdigit" || name == "isalpha" || name == "isalnum" || name == "isspace" ||
        name == "islower" || name == "isupper") {
        return bind_method(obj, name, [name](S s, A) -> Result<Value> {
            const auto cps = utf8_decode(s.as_string());
            if (cps.empty()) return Value(false);
            if (name == "islower" || name == "isupper") {
                bool any_cased = false;
                for (char32_t c : cps) {
                    const bool lower = to_upper_cp(c) != c;
                    const bool upper = to_lower_cp(c) != c;
                    if (lower || upper) any_cased = true;
                    if (name == "islower" ? upper : lower) return Value(false);
                }
                return Value(any_cased);
            }
            for (char32_t c : cps) {
                const bool ok = name == "isdigit"   ? is_digit_cp(c)
                                : name == "isalpha" ? is_alpha_cp(c)
                                : name == "isalnum" ? (is_alpha_cp(c) || is_digit_cp(c))
                                                    : is_py_space(c);
                if (!ok) return Value(false);
            }
            return Value(true);
        });
    }
    if (name == "center") {
        return bind_method(obj, name, [](S s, A a) -> Result<Value> {
            const Value* fill = arg(a, 1, "fillchar");
            return Value(py_center(s.as_string(), int_arg(a, 0, "width", 0),
                                   fill && fill->is_string() ? fill->as_string() : " "));
        });
    }
    if (name == "removeprefix" || name == "removesuffix") {
        const bool prefix = name == "removeprefix";
        return bind_method(obj, name, [prefix](S s, A a) -> Result<Value> {
            auto x = string_arg(a, 0, "prefix", prefix ? "removeprefix" : "removesuffix");
            if (!x) return x.error();
            const std::string& str = s.as_string();
            if (x->size() > str.size()) return s;
            if (prefix && str.compare(0, x->size(), *x) == 0) return Value(str.substr(x->size()));
            if (!prefix && str.compare(str.size() - x->size(), x->size(), *x) == 0)
                return Value(str.substr(0, str.size() - x->size()));
            return s;
        });
    }
    return Value();
}

}  // namespace

Value find_method(Evaluator& ev, const Value& obj, const std::string& name) {
    using A = const CallArgs&;
    using S = const Value&;
    const bool immutable = ev.options().immutable;
    auto unsafe = [&obj, &name]() {
        return Value::undefined("access to attribute '" + name + "' of '" + obj.type_name() +
                                "' object is unsafe.");
    };
    if (obj.is_string()) return string_method(obj, name);
    if (obj.is_dict()) {
        if (name == "items")
            return bind_method(obj, name, [](S d, A) -> Result<Value> {
                std::vector<Value> out;
                for (const auto& [k, v] : d.dict_data().items) out.push_back(Value::tuple({k, v}));
                return Value::list(std::move(out));
            });
        if (name == "keys")
            return bind_method(obj, name, [](S d, A) -> Result<Value> {
                std::vector<Value> out;
                for (const auto& [k, v] : d.dict_data().items) out.push_back(k);
                return Value::list(std::move(out));
            });
        if (name == "values")
            return bind_method(obj, name, [](S d, A) -> Result<Value> {
                std::vector<Value> out;
                for (const auto& [k, v] : d.dict_data().items) out.push_back(v);
                return Value::list(std::move(out));
            });
        if (name == "get")
            return bind_method(obj, name, [](S d, A a) -> Result<Value> {
                if (a.positional.empty()) return make_error("get expected at least 1 argument, got 0");
                if (const Value* v = d.find(a.positional[0])) return *v;
                return a.positional.size() > 1 ? a.positional[1] : Value::none();
            });
        if (name == "copy")
            return bind_method(obj, name, [](S d, A) -> Result<Value> { return d.deep_copy(); });
        if (name == "pop" || name == "popitem" || name == "setdefault" || name == "update" ||
            name == "clear") {
            if (immutable) return unsafe();
            if (name == "update")
                return bind_method(obj, name, [](S d, A a) -> Result<Value> {
                    if (!a.positional.empty() && a.positional[0].is_dict())
                        for (const auto& [k, v] : a.positional[0].dict_data().items) d.set(k, v);
                    for (const auto& [k, v] : a.named) d.set(k, v);
                    return Value::none();
                });
            if (name == "clear")
                return bind_method(obj, name, [](S d, A) -> Result<Value> {
                    d.dict_data().items.clear();
                    return Value::none();
                });
            if (name == "setdefault")
                return bind_method(obj, name, [](S d, A a) -> Result<Value> {
                    if (a.positional.empty()) return make_error("setdefault expected at least 1 argument");
                    if (const Value* v = d.find(a.positional[0])) return *v;
                    Value def = a.positional.size() > 1 ? a.positional[1] : Value::none();
                    d.set(a.positional[0], def);
                    return def;
                });
            return bind_method(obj, name, [name](S d, A a) -> Result<Value> {
                auto& items = d.dict_data().items;
                if (name == "popitem") {
                    if (items.empty()) return make_error("popitem(): dictionary is empty");
                    Value t = Value::tuple({items.back().first, items.back().second});
                    items.pop_back();
                    return t;
                }
                if (a.positional.empty()) return make_error("pop expected at least 1 argument");
                for (auto it = items.begin(); it != items.end(); ++it) {
                    if (it->first.equals(a.positional[0])) {
                        Value v = it->second;
                        items.erase(it);
                        return v;
                    }
                }
                if (a.positional.size() > 1) return a.positional[1];
                return make_error("KeyError: " + a.positional[0].repr());
            });
        }
        return Value();
    }
    if (obj.is_list()) {
        if (name == "index" || name == "count")
            return bind_method(obj, name, [name](S l, A a) -> Result<Value> {
                if (a.positional.empty()) return make_error(name + "() takes exactly one argument");
                std::int64_t n = 0;
                for (std::size_t i = 0; i < l.items().size(); ++i) {
                    if (!l.items()[i].equals(a.positional[0])) continue;
                    if (name == "index") return Value(static_cast<std::int64_t>(i));
                    ++n;
                }
                if (name == "index") return make_error(a.positional[0].repr() + " is not in list");
                return Value(n);
            });
        if (obj.is_tuple()) return Value();
        if (name == "copy")
            return bind_method(obj, name, [](S l, A) -> Result<Value> { return Value::list(l.items()); });
        if (name == "append" || name == "extend" || name == "insert" || name == "pop" || name == "remove" ||
            name == "clear" || name == "reverse" || name == "sort") {
            if (immutable) return unsafe();
            return bind_method(obj, name, [name, &ev](S l, A a) -> Result<Value> {
                auto& items = l.items();
                if (name == "append") {
                    if (a.positional.size() != 1) return make_error("append() takes exactly one argument");
                    items.push_back(a.positional[0]);
                } else if (name == "extend") {
                    if (a.positional.size() != 1) return make_error("extend() takes exactly one argument");
                    auto more = ev.iterate(a.positional[0]);
                    if (!more) return more.error();
                    items.insert(items.end(), more->begin(), more->end());
                } else if (name == "insert") {
                    if (a.positional.size() != 2) return make_error("insert expected 2 arguments");
                    auto n = static_cast<std::int64_t>(items.size());
                    std::int64_t i = a.positional[0].is_number() ? a.positional[0].as_int() : 0;
                    if (i < 0) i = std::max<std::int64_t>(0, i + n);
                    i = std::min(i, n);
                    items.insert(items.begin() + i, a.positional[1]);
                } else if (name == "pop") {
                    if (items.empty()) return make_error("pop from empty list");
                    auto n = static_cast<std::int64_t>(items.size());
                    std::int64_t i = a.positional.empty() ? n - 1 : a.positional[0].as_int();
                    if (i < 0) i += n;
                    if (i < 0 || i >= n) return make_error("pop index out of range");
                    Value v = items[static_cast<std::size_t>(i)];
                    items.erase(items.begin() + i);
                    return v;
                } else if (name == "remove") {
                    if (a.positional.size() != 1) return make_error("remove() takes exactly one argument");
                    auto it = std::find_if(items.begin(), items.end(),
                                           [&](const Value& v) { return v.equals(a.positional[0]); });
                    if (it == items.end()) return make_error("list.remove(x): x not in list");
                    items.erase(it);
                } else if (name == "clear") {
                    items.clear();
                } else if (name == "reverse") {
                    std::reverse(items.begin(), items.end());
                } else {
                    CallArgs sort_args;
                    sort_args.named = a.named;
                    auto sorted = ev.apply_filter("sort", l, sort_args);
                    if (!sorted) return sorted.error();
                    items = sorted->items();
                }
                return Value::none();
            });
        }
    }
    return Value();
}

}  // namespace engine::jinja
