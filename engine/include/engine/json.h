// The engine's own small, strict JSON (RFC 8259): config.json, tokenizer.json,
// safetensors headers, chat-template `tojson`. Standard library only.
//
// - Numbers keep integers and reals apart: "1" is an int64, "1.0" / "1e3" a
//   double (integers beyond int64 become doubles, as they round-trip there).
// - Objects keep insertion order (what Python's json and HF files rely on) and
//   have a hash index once they grow, so tokenizer vocabularies look up fast.
// - parse() rejects anything RFC 8259 rejects (trailing commas, comments, NaN,
//   leading zeros, control characters in strings, unpaired surrogates) and
//   reports the line and column. Invalid UTF-8 bytes inside strings are passed
//   through unchanged (never a crash).
// - Accessors never crash on the wrong type: as_*() return a neutral value
//   (0, "", empty array) and get_*() return nullopt, so untrusted files can be
//   walked without checks before every step.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

#include "engine/result.h"

namespace engine::json {

enum class Type { null, boolean, integer, real, string, array, object };

std::string_view type_name(Type type);  // "null", "bool", "int", "float", "string", "array", "object"

class Value;
struct Member;
using Array = std::vector<Value>;

// Ordered key -> value map. Lookups are linear while small and hashed after that.
class Object {
public:
    // Special members are defined out of line, where Member is complete (clang
    // instantiates them eagerly otherwise).
    Object();
    ~Object();
    Object(const Object&);
    Object(Object&&) noexcept;
    Object& operator=(const Object&);
    Object& operator=(Object&&) noexcept;

    size_t size() const;
    bool empty() const;
    std::vector<Member>::const_iterator begin() const;
    std::vector<Member>::const_iterator end() const;
    std::vector<Member>::iterator begin();
    std::vector<Member>::iterator end();
    const Member& at_index(size_t i) const;  // i < size()

    const Value* find(std::string_view key) const;
    Value* find(std::string_view key);
    bool contains(std::string_view key) const { return find(key) != nullptr; }

    // Inserts or replaces (keeping the original position); returns the stored value.
    Value& set(std::string key, Value value);
    // Inserts only when the key is absent; false (and nothing changes) otherwise.
    bool insert(std::string key, Value value);
    void reserve(size_t n);

    bool operator==(const Object& other) const;  // same members in the same order

private:
    long lookup(std::string_view key) const;  // member index or -1
    void rebuild_index(size_t slot_count);
    void index_member(size_t i);

    std::vector<Member> members_;
    std::vector<uint32_t> slots_;  // open addressing; 0 = empty, else member index + 1
};

class Value {
public:
    Value() = default;
    Value(std::nullptr_t) {}
    Value(bool b) : v_(b) {}
    template <class T>
    requires(std::is_integral_v<T> && !std::is_same_v<T, bool>) Value(T i) : v_(static_cast<int64_t>(i)) {}
    Value(double d) : v_(d) {}
    Value(float f) : v_(static_cast<double>(f)) {}
    Value(std::string s) : v_(std::move(s)) {}
    Value(std::string_view s) : v_(std::string(s)) {}
    Value(const char* s) : v_(std::string(s)) {}
    Value(Array a) : v_(std::move(a)) {}
    Value(Object o) : v_(std::move(o)) {}

    Type type() const { return static_cast<Type>(v_.index()); }
    bool is_null() const { return type() == Type::null; }
    bool is_bool() const { return type() == Type::boolean; }
    bool is_int() const { return type() == Type::integer; }
    bool is_double() const { return type() == Type::real; }
    bool is_number() const { return is_int() || is_double(); }
    bool is_string() const { return type() == Type::string; }
    bool is_array() const { return type() == Type::array; }
    bool is_object() const { return type() == Type::object; }

    // Typed access with a neutral fallback on type mismatch (see the file comment).
    bool as_bool() const;
    int64_t as_int() const;    // a double is truncated only when it is integral
    double as_double() const;  // an int converts
    const std::string& as_string() const;
    const Array& as_array() const;
    const Object& as_object() const;
    Array& as_array();    // converts a non-array to an empty array first
    Object& as_object();  // converts a non-object to an empty object first

    // nullopt on type mismatch. get_int accepts an integral double (e.g. 2.0).
    std::optional<bool> get_bool() const;
    std::optional<int64_t> get_int() const;
    std::optional<double> get_double() const;
    std::optional<std::string_view> get_string() const;

    // Object member / array element; nullptr when absent or the wrong type.
    const Value* find(std::string_view key) const;
    const Value* at(size_t index) const;
    // Same, returning a shared null value when absent (chains safely: v["a"]["b"]).
    const Value& operator[](std::string_view key) const;
    const Value& operator[](size_t index) const;
    const Value& operator[](const char* key) const { return (*this)[std::string_view(key)]; }
    template <class T>
    requires(std::is_integral_v<T> && !std::is_same_v<T, bool> && !std::is_same_v<T, size_t>) const Value&
    operator[](T index) const {
        return index < 0 ? (*this)[static_cast<size_t>(-1)] : (*this)[static_cast<size_t>(index)];
    }
    // Elements of an array or members of an object; 0 otherwise.
    size_t size() const;

    bool operator==(const Value& other) const;  // ints and doubles compare by value (1 == 1.0)

private:
    std::variant<std::nullptr_t, bool, int64_t, double, std::string, Array, Object> v_;
};

struct Member {
    std::string key;
    Value value;
};

inline size_t Object::size() const { return members_.size(); }
inline bool Object::empty() const { return members_.empty(); }

struct ParseOptions {
    int max_depth = 512;                // nesting of arrays/objects; deeper input is an error
    bool allow_duplicate_keys = false;  // when true the last value wins (Python's behaviour)
};

// Parses one JSON text (surrounding whitespace allowed). Errors read
// "[json] line L, column C: what" (column counted in bytes, both 1-based).
Result<Value> parse(std::string_view text, const ParseOptions& options = {});
// Reads and parses a file; errors name the path.
Result<Value> parse_file(const std::string& path, const ParseOptions& options = {});

struct DumpOptions {
    // Separators: python = ", " and ": " (json.dumps defaults), compact = "," and ":".
    // With indent >= 0 elements go on their own lines and the item separator is ","
    // (as json.dumps(indent=n) does).
    enum class Style { python, compact };
    Style style = Style::python;
    int indent = -1;
    bool ensure_ascii = false;  // true: non-ASCII as \uXXXX (surrogate pairs above U+FFFF)
    bool sort_keys = false;
};

// Serializes like Python's json.dumps with the matching options: doubles in
// repr() form (1.0, 1e-05, 1e+16), NaN/Infinity spelled as Python spells them.
std::string dump(const Value& value, const DumpOptions& options = {});

}  // namespace engine::json
