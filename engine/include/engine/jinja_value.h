// Dynamic values for the Jinja interpreter (engine/jinja.h) and the JSON-like
// data that chat templates consume (messages, tools, extra variables).
//
// The semantics follow Python as Jinja exposes it: ints and floats stay
// distinct, bools print as True/False, None prints as None, lists and dicts are
// shared by reference (so `namespace()` attributes and list aliases behave as in
// Python), dicts keep insertion order, and Undefined is a value of its own that
// prints empty and fails only when it is really used.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "engine/result.h"

namespace engine::jinja {

class Value;

// Arguments of a call from a template: positional first, then keyword arguments
// in the order they were written.
struct CallArgs {
    std::vector<Value> positional;
    std::vector<std::pair<std::string, Value>> named;
};

// A function a template can call (globals such as raise_exception, macros,
// bound methods). Errors come back as Result errors; the interpreter adds the
// template line to the message.
using NativeFunction = std::function<Result<Value>(const CallArgs& args)>;

enum class ValueKind { undefined, none, boolean, integer, floating, string, list, dict, function };

class Value {
public:
    struct ListData {
        std::vector<Value> items;
        bool is_tuple = false;  // tuples print as (a, b) and are immutable
    };
    // Ordered dict. Lookup is linear: template dicts are small (messages, tool
    // schemas), and keeping one vector keeps insertion order for free.
    struct DictData {
        std::vector<std::pair<Value, Value>> items;
        bool is_namespace = false;  // namespace(): attribute assignment allowed
    };
    struct FunctionData {
        std::string name;
        NativeFunction fn;
    };

    Value() = default;  // undefined
    static Value undefined(std::string hint = {});
    static Value none();
    Value(bool b) : data_(b) {}
    Value(int v) : data_(static_cast<std::int64_t>(v)) {}
    Value(std::int64_t v) : data_(v) {}
    Value(double v) : data_(v) {}
    Value(std::string s) : data_(std::move(s)) {}
    Value(std::string_view s) : data_(std::string(s)) {}
    Value(const char* s) : data_(std::string(s)) {}
    static Value list(std::vector<Value> items = {});
    static Value tuple(std::vector<Value> items);
    static Value dict();
    static Value namespace_object();
    static Value function(std::string name, NativeFunction fn);

    ValueKind kind() const;
    bool is_undefined() const { return kind() == ValueKind::undefined; }
    bool is_none() const { return kind() == ValueKind::none; }
    bool is_bool() const { return kind() == ValueKind::boolean; }
    bool is_int() const { return kind() == ValueKind::integer; }
    bool is_float() const { return kind() == ValueKind::floating; }
    bool is_number() const { return is_int() || is_float() || is_bool(); }  // bool is an int in Python
    bool is_string() const { return kind() == ValueKind::string; }
    bool is_list() const { return kind() == ValueKind::list; }
    bool is_tuple() const { return is_list() && list_data().is_tuple; }
    bool is_dict() const { return kind() == ValueKind::dict; }
    bool is_namespace() const { return is_dict() && dict_data().is_namespace; }
    bool is_function() const { return kind() == ValueKind::function; }

    // Accessors; callers check the kind first.
    bool as_bool() const { return std::get<bool>(data_); }
    std::int64_t as_int() const;  // int or bool
    double as_double() const;     // int, bool or float
    const std::string& as_string() const { return std::get<std::string>(data_); }
    const std::string& undefined_hint() const { return std::get<Undefined>(data_).hint; }
    ListData& list_data() const { return *std::get<std::shared_ptr<ListData>>(data_); }
    DictData& dict_data() const { return *std::get<std::shared_ptr<DictData>>(data_); }
    const FunctionData& function_data() const { return *std::get<std::shared_ptr<FunctionData>>(data_); }
    std::vector<Value>& items() const { return list_data().items; }

    // List helpers.
    void push_back(Value v) const { list_data().items.push_back(std::move(v)); }
    // Dict helpers (keys compared with Python equality).
    const Value* find(const Value& key) const;
    const Value* find(std::string_view key) const;
    const Value* find(const std::string& key) const { return find(std::string_view(key)); }
    const Value* find(const char* key) const { return find(std::string_view(key)); }
    void set(Value key, Value value) const;
    void set(std::string_view key, Value value) const { set(Value(key), std::move(value)); }
    void set(const std::string& key, Value value) const { set(Value(key), std::move(value)); }
    void set(const char* key, Value value) const { set(Value(key), std::move(value)); }
    std::size_t size() const;  // len(): list items, dict keys, string code points

    // Python truthiness (undefined is false).
    bool truthy() const;
    // Python equality (1 == 1.0 == True; containers compared element-wise).
    bool equals(const Value& other) const;
    // Python str(): what `{{ value }}` prints. Undefined prints empty.
    std::string str() const;
    // Python repr(): how values print inside containers.
    std::string repr() const;
    // Python type name, for error messages ("int", "str", "list", ...).
    std::string type_name() const;

    // A copy that shares nothing with this value (lists and dicts are cloned).
    Value deep_copy() const;

private:
    struct Undefined {
        std::string hint;  // the name that was looked up, for error messages
    };
    std::variant<Undefined, std::nullptr_t, bool, std::int64_t, double, std::string,
                 std::shared_ptr<ListData>, std::shared_ptr<DictData>, std::shared_ptr<FunctionData>>
        data_;
};

// Python float repr (shortest round-trip: 1.0, 0.1, 1e-05, 1e+16, inf, nan).
std::string format_float(double v);

// json.dumps options, as transformers' tojson filter exposes them.
struct JsonDumpOptions {
    int indent = -1;             // < 0: single line; >= 0: pretty-printed with that many spaces
    std::string indent_string;   // used instead of spaces when non-empty (indent="\t")
    std::string item_separator;  // default ", " (single line) or "," (indented)
    std::string key_separator;   // default ": "
    bool ensure_ascii = false;
    bool sort_keys = false;
};

// Serialises like Python's json.dumps. Fails on undefined values and functions
// ("Object of type Undefined is not JSON serializable").
Result<std::string> to_json(const Value& value, const JsonDumpOptions& options = {});

// Strict JSON (RFC 8259) parser: objects keep key order, integers that fit in
// int64 become ints, other numbers floats. Errors name the byte offset.
Result<Value> parse_json(std::string_view text);

}  // namespace engine::jinja
