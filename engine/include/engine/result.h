// Error values for the public engine API: every fallible call returns Result<T>
// (or Status) instead of throwing across the library boundary or aborting.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace engine {

// A human-readable error. Messages start with "[where]" and name the offending
// value (file offset, tensor name, shape) so a user can act on them.
struct Error {
    std::string message;
};

template <class T>
class [[nodiscard]] Result {
public:
    Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}
    Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}

    bool ok() const { return v_.index() == 0; }
    explicit operator bool() const { return ok(); }

    T& value() & {
        assert(ok());
        return std::get<0>(v_);
    }
    const T& value() const& {
        assert(ok());
        return std::get<0>(v_);
    }
    T&& value() && {
        assert(ok());
        return std::get<0>(std::move(v_));
    }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }

    const Error& error() const {
        assert(!ok());
        return std::get<1>(v_);
    }

private:
    std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
public:
    Result() = default;
    Result(Error error) : error_(std::move(error)), failed_(true) {}

    bool ok() const { return !failed_; }
    explicit operator bool() const { return ok(); }
    const Error& error() const {
        assert(failed_);
        return error_;
    }

private:
    Error error_;
    bool failed_ = false;
};

using Status = Result<void>;

inline Error make_error(std::string message) { return Error{std::move(message)}; }

}  // namespace engine

// Propagates the error of a Status/Result expression to the caller.
#define ENGINE_TRY(expr)                                                                  \
    do {                                                                                  \
        auto engine_try_result_ = (expr);                                                 \
        if (!engine_try_result_.ok()) return ::engine::Error{engine_try_result_.error()}; \
    } while (0)
