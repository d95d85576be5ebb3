// json::Value accessors and the ordered, hash-indexed json::Object.
#include <cmath>
#include <functional>
#include <limits>

#include "engine/json.h"

namespace engine::json {
namespace {

// Objects up to this size are searched linearly: cheaper than hashing, and
// most config objects are this small.
constexpr size_t kLinearLimit = 8;

const Value& null_value() {
    static const Value v;
    return v;
}

size_t hash_key(std::string_view key) { return std::hash<std::string_view>{}(key); }

bool integral_double(double d) {
    // 2^63 is exactly representable; anything in [-2^63, 2^63) with no fraction fits.
    return std::isfinite(d) && d == std::trunc(d) && d >= -9223372036854775808.0 && d < 9223372036854775808.0;
}

}  // namespace

std::string_view type_name(Type type) {
    switch (type) {
        case Type::null:
            return "null";
        case Type::boolean:
            return "bool";
        case Type::integer:
            return "int";
        case Type::real:
            return "float";
        case Type::string:
            return "string";
        case Type::array:
            return "array";
        case Type::object:
            return "object";
    }
    return "?";
}

// ---- Object ----

Object::Object() = default;
Object::~Object() = default;
Object::Object(const Object&) = default;
Object::Object(Object&&) noexcept = default;
Object& Object::operator=(const Object&) = default;
Object& Object::operator=(Object&&) noexcept = default;

std::vector<Member>::const_iterator Object::begin() const { return members_.begin(); }
std::vector<Member>::const_iterator Object::end() const { return members_.end(); }
std::vector<Member>::iterator Object::begin() { return members_.begin(); }
std::vector<Member>::iterator Object::end() { return members_.end(); }
const Member& Object::at_index(size_t i) const { return members_[i]; }

long Object::lookup(std::string_view key) const {
    if (slots_.empty()) {
        for (size_t i = 0; i < members_.size(); ++i)
            if (members_[i].key == key) return static_cast<long>(i);
        return -1;
    }
    size_t mask = slots_.size() - 1;
    for (size_t s = hash_key(key) & mask;; s = (s + 1) & mask) {
        uint32_t slot = slots_[s];
        if (slot == 0) return -1;
        if (members_[slot - 1].key == key) return static_cast<long>(slot - 1);
    }
}

void Object::index_member(size_t i) {
    size_t mask = slots_.size() - 1;
    size_t s = hash_key(members_[i].key) & mask;
    while (slots_[s] != 0) s = (s + 1) & mask;
    slots_[s] = static_cast<uint32_t>(i + 1);
}

void Object::rebuild_index(size_t slot_count) {
    slots_.assign(slot_count, 0);
    for (size_t i = 0; i < members_.size(); ++i) index_member(i);
}

void Object::reserve(size_t n) {
    members_.reserve(n);
    if (n > kLinearLimit) {
        size_t want = 16;
        while (want < 2 * n) want *= 2;
        if (want > slots_.size()) rebuild_index(want);
    }
}

const Value* Object::find(std::string_view key) const {
    long i = lookup(key);
    return i < 0 ? nullptr : &members_[static_cast<size_t>(i)].value;
}

Value* Object::find(std::string_view key) {
    long i = lookup(key);
    return i < 0 ? nullptr : &members_[static_cast<size_t>(i)].value;
}

bool Object::insert(std::string key, Value value) {
    if (lookup(key) >= 0) return false;
    members_.push_back(Member{std::move(key), std::move(value)});
    // Keep the load factor at or below one half.
    if (members_.size() > kLinearLimit) {
        if (slots_.size() < 2 * members_.size())
            rebuild_index(slots_.empty() ? 32 : slots_.size() * 2);
        else
            index_member(members_.size() - 1);
    }
    return true;
}

Value& Object::set(std::string key, Value value) {
    long i = lookup(key);
    if (i >= 0) {
        members_[static_cast<size_t>(i)].value = std::move(value);
        return members_[static_cast<size_t>(i)].value;
    }
    insert(std::move(key), std::move(value));
    return members_.back().value;
}

bool Object::operator==(const Object& other) const {
    if (members_.size() != other.members_.size()) return false;
    for (size_t i = 0; i < members_.size(); ++i)
        if (members_[i].key != other.members_[i].key || !(members_[i].value == other.members_[i].value))
            return false;
    return true;
}

// ---- Value ----

bool Value::as_bool() const { return is_bool() && std::get<bool>(v_); }

int64_t Value::as_int() const { return get_int().value_or(0); }

double Value::as_double() const { return get_double().value_or(0.0); }

const std::string& Value::as_string() const {
    static const std::string empty;
    return is_string() ? std::get<std::string>(v_) : empty;
}

const Array& Value::as_array() const {
    static const Array empty;
    return is_array() ? std::get<Array>(v_) : empty;
}

const Object& Value::as_object() const {
    static const Object empty;
    return is_object() ? std::get<Object>(v_) : empty;
}

Array& Value::as_array() {
    if (!is_array()) v_ = Array{};
    return std::get<Array>(v_);
}

Object& Value::as_object() {
    if (!is_object()) v_ = Object{};
    return std::get<Object>(v_);
}

std::optional<bool> Value::get_bool() const {
    if (!is_bool()) return std::nullopt;
    return std::get<bool>(v_);
}

std::optional<int64_t> Value::get_int() const {
    if (is_int()) return std::get<int64_t>(v_);
    if (is_double() && integral_double(std::get<double>(v_)))
        return static_cast<int64_t>(std::get<double>(v_));
    return std::nullopt;
}

std::optional<double> Value::get_double() const {
    if (is_double()) return std::get<double>(v_);
    if (is_int()) return static_cast<double>(std::get<int64_t>(v_));
    return std::nullopt;
}

std::optional<std::string_view> Value::get_string() const {
    if (!is_string()) return std::nullopt;
    return std::string_view(std::get<std::string>(v_));
}

const Value* Value::find(std::string_view key) const { return is_object() ? as_object().find(key) : nullptr; }

const Value* Value::at(size_t index) const {
    if (!is_array()) return nullptr;
    const Array& a = std::get<Array>(v_);
    return index < a.size() ? &a[index] : nullptr;
}

const Value& Value::operator[](std::string_view key) const {
    const Value* v = find(key);
    return v ? *v : null_value();
}

const Value& Value::operator[](size_t index) const {
    const Value* v = at(index);
    return v ? *v : null_value();
}

size_t Value::size() const {
    if (is_array()) return std::get<Array>(v_).size();
    if (is_object()) return std::get<Object>(v_).size();
    return 0;
}

bool Value::operator==(const Value& other) const {
    if (is_number() && other.is_number()) {
        if (is_int() && other.is_int()) return std::get<int64_t>(v_) == std::get<int64_t>(other.v_);
        return as_double() == other.as_double();
    }
    return v_ == other.v_;
}

}  // namespace engine::json
