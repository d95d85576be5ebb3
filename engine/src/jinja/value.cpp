// Value: Python-like dynamic values for the Jinja interpreter.
#include <charconv>
#include <cmath>
#include <cstdio>

#include "engine/jinja_value.h"
#include "jinja/utf8.h"
#include "json/float_repr.h"

namespace engine::jinja {

Value Value::undefined(std::string hint) {
    Value v;
    v.data_ = Undefined{std::move(hint)};
    return v;
}

Value Value::none() {
    Value v;
    v.data_ = nullptr;
    return v;
}

Value Value::list(std::vector<Value> items) {
    Value v;
    auto data = std::make_shared<ListData>();
    data->items = std::move(items);
    v.data_ = std::move(data);
    return v;
}

Value Value::tuple(std::vector<Value> items) {
    Value v = list(std::move(items));
    v.list_data().is_tuple = true;
    return v;
}

Value Value::dict() {
    Value v;
    v.data_ = std::make_shared<DictData>();
    return v;
}

Value Value::namespace_object() {
    Value v = dict();
    v.dict_data().is_namespace = true;
    return v;
}

Value Value::function(std::string name, NativeFunction fn) {
    Value v;
    auto data = std::make_shared<FunctionData>();
    data->name = std::move(name);
    data->fn = std::move(fn);
    v.data_ = std::move(data);
    return v;
}

ValueKind Value::kind() const { return static_cast<ValueKind>(data_.index()); }

std::int64_t Value::as_int() const {
    if (is_bool()) return as_bool() ? 1 : 0;
    return std::get<std::int64_t>(data_);
}

double Value::as_double() const {
    if (is_float()) return std::get<double>(data_);
    return static_cast<double>(as_int());
}

const Value* Value::find(const Value& key) const {
    for (auto& [k, v] : dict_data().items)
        if (k.equals(key)) return &v;
    return nullptr;
}

const Value* Value::find(std::string_view key) const {
    for (auto& [k, v] : dict_data().items)
        if (k.is_string() && k.as_string() == key) return &v;
    return nullptr;
}

void Value::set(Value key, Value value) const {
    for (auto& [k, v] : dict_data().items) {
        if (k.equals(key)) {
            v = std::move(value);
            return;
        }
    }
    dict_data().items.emplace_back(std::move(key), std::move(value));
}

std::size_t Value::size() const {
    switch (kind()) {
        case ValueKind::string:
            return utf8_length(as_string());
        case ValueKind::list:
            return items().size();
        case ValueKind::dict:
            return dict_data().items.size();
        default:
            return 0;
    }
}

bool Value::truthy() const {
    switch (kind()) {
        case ValueKind::undefined:
        case ValueKind::none:
            return false;
        case ValueKind::boolean:
            return as_bool();
        case ValueKind::integer:
            return as_int() != 0;
        case ValueKind::floating:
            return as_double() != 0.0;
        case ValueKind::string:
            return !as_string().empty();
        case ValueKind::list:
            return !items().empty();
        case ValueKind::dict:
            return is_namespace() || !dict_data().items.empty();
        case ValueKind::function:
            return true;
    }
    return false;
}

bool Value::equals(const Value& other) const {
    if (is_number() && other.is_number()) {
        if (is_float() || other.is_float()) return as_double() == other.as_double();
        return as_int() == other.as_int();
    }
    if (kind() != other.kind()) return false;
    switch (kind()) {
        case ValueKind::undefined:
        case ValueKind::none:
            return true;
        case ValueKind::string:
            return as_string() == other.as_string();
        case ValueKind::list: {
            if (is_tuple() != other.is_tuple()) return false;
            const auto& a = items();
            const auto& b = other.items();
            if (a.size() != b.size()) return false;
            for (std::size_t i = 0; i < a.size(); ++i)
                if (!a[i].equals(b[i])) return false;
            return true;
        }
        case ValueKind::dict: {
            if (is_namespace() || other.is_namespace()) return &dict_data() == &other.dict_data();
            const auto& a = dict_data().items;
            if (a.size() != other.dict_data().items.size()) return false;
            for (const auto& [k, v] : a) {
                const Value* ov = other.find(k);
                if (!ov || !v.equals(*ov)) return false;
            }
            return true;
        }
        case ValueKind::function:
            return &function_data() == &other.function_data();
        default:
            return false;
    }
}

// One implementation shared with the JSON dumper, so both spell floats alike.
std::string format_float(double v) { return json::python_float_repr(v); }

static std::string py_string_repr(const std::string& s) {
    const bool has_single = s.find('\'') != std::string::npos;
    const bool has_double = s.find('"') != std::string::npos;
    const char quote = (has_single && !has_double) ? '"' : '\'';
    std::string out(1, quote);
    for (char32_t c : utf8_decode(s)) {
        if (c == static_cast<char32_t>(quote) || c == '\\') {
            out.push_back('\\');
            out.push_back(static_cast<char>(c));
        } else if (c == '\n') {
            out += "\\n";
        } else if (c == '\r') {
            out += "\\r";
        } else if (c == '\t') {
            out += "\\t";
        } else if (c < 0x20 || c == 0x7F || (c >= 0x80 && c <= 0xA0) || c == 0xAD) {
            char buf[16];
            std::snprintf(buf, sizeof(buf), "\\x%02x", static_cast<unsigned>(c));
            out += buf;
        } else if (c >= 0xDC80 && c <= 0xDCFF) {
            char buf[16];
            std::snprintf(buf, sizeof(buf), "\\udc%02x", static_cast<unsigned>(c - 0xDC00));
            out += buf;
        } else if (c == 0x2028 || c == 0x2029) {
            char buf[16];
            std::snprintf(buf, sizeof(buf), "\\u%04x", static_cast<unsigned>(c));
            out += buf;
        } else {
            utf8_append(out, c);
        }
    }
    out.push_back(quote);
    return out;
}

std::string Value::str() const {
    switch (kind()) {
        case ValueKind::undefined:
            return {};
        case ValueKind::string:
            return as_string();
        default:
            return repr();
    }
}

std::string Value::repr() const {
    switch (kind()) {
        case ValueKind::undefined:
            return {};
        case ValueKind::none:
            return "None";
        case ValueKind::boolean:
            return as_bool() ? "True" : "False";
        case ValueKind::integer:
            return std::to_string(as_int());
        case ValueKind::floating:
            return format_float(as_double());
        case ValueKind::string:
            return py_string_repr(as_string());
        case ValueKind::list: {
            const bool tuple = is_tuple();
            std::string out = tuple ? "(" : "[";
            const auto& v = items();
            for (std::size_t i = 0; i < v.size(); ++i) {
                if (i) out += ", ";
                out += v[i].repr();
            }
            if (tuple && v.size() == 1) out += ",";
            out += tuple ? ")" : "]";
            return out;
        }
        case ValueKind::dict: {
            std::string out = is_namespace() ? "<Namespace {" : "{";
            bool first = true;
            for (const auto& [k, v] : dict_data().items) {
                if (!first) out += ", ";
                first = false;
                out += k.repr() + ": " + v.repr();
            }
            out += is_namespace() ? "}>" : "}";
            return out;
        }
        case ValueKind::function:
            return "<function " + function_data().name + ">";
    }
    return {};
}

std::string Value::type_name() const {
    switch (kind()) {
        case ValueKind::undefined:
            return "Undefined";
        case ValueKind::none:
            return "NoneType";
        case ValueKind::boolean:
            return "bool";
        case ValueKind::integer:
            return "int";
        case ValueKind::floating:
            return "float";
        case ValueKind::string:
            return "str";
        case ValueKind::list:
            return is_tuple() ? "tuple" : "list";
        case ValueKind::dict:
            return is_namespace() ? "Namespace" : "dict";
        case ValueKind::function:
            return "function";
    }
    return "object";
}

Value Value::deep_copy() const {
    if (is_list()) {
        std::vector<Value> copy;
        copy.reserve(items().size());
        for (const auto& v : items()) copy.push_back(v.deep_copy());
        Value out = list(std::move(copy));
        out.list_data().is_tuple = is_tuple();
        return out;
    }
    if (is_dict()) {
        Value out = dict();
        out.dict_data().is_namespace = is_namespace();
        for (const auto& [k, v] : dict_data().items) out.dict_data().items.emplace_back(k, v.deep_copy());
        return out;
    }
    return *this;
}

}  // namespace engine::jinja
