// Result<T, E>: a value or an error, for the gateway's "it worked, here is what; or it failed, here
// is why" answers (std::expected is C++23). Header-only, no project includes: the lowest layer.
//
//   Result<Policy, PolicyError> load(...);   return policy;  /  return Failure{PolicyError{...}};
//   if (auto r = load(...)) use(*r); else report(r.error());
//
// Reading the side that is not there (value() of an error, error() of a value) is a bug in the
// caller; it throws BadResultAccess naming which side was asked for, rather than reading a
// variant's wrong alternative or aborting a daemon: the exception leaves the event loop with a
// precise message (asio/spawn.hpp) and a test can pin it.
#pragma once

#include <stdexcept>
#include <type_traits>
#include <utility>
#include <variant>

namespace relaylab {

// The error side, spelled at the return: `return Failure{error};` (std::unexpected's role).
template <typename E>
struct Failure {
    E error;
};
template <typename E>
Failure(E) -> Failure<E>;

class BadResultAccess : public std::logic_error {
public:
    using std::logic_error::logic_error;
};

template <typename T, typename E>
class [[nodiscard]] Result {
    static_assert(!std::is_reference_v<T> && !std::is_reference_v<E>, "Result holds values");
    static_assert(!std::is_void_v<T>, "Result<void, E>: use std::optional<E> for \"nothing or an error\"");

public:
    using value_type = T;
    using error_type = E;

    // A default value, as std::expected has (Asio's co_spawn needs a default for its handler).
    Result()
        requires std::is_default_constructible_v<T>
        : v_(std::in_place_index<0>) {}
    // Implicit both ways, so that a function returns its value or Failure{error} as it is.
    template <typename U = T>
        requires std::is_constructible_v<T, U&&> && (!std::is_same_v<std::remove_cvref_t<U>, Result>) &&
                 (!std::is_same_v<std::remove_cvref_t<U>, std::in_place_t>)
    Result(U&& value) : v_(std::in_place_index<0>, std::forward<U>(value)) {}
    template <typename G>
        requires std::is_constructible_v<E, G&&>
    Result(Failure<G> failure) : v_(std::in_place_index<1>, std::move(failure.error)) {}
    // A default value in place (for a T built up field by field before it is returned).
    template <typename... Args>
    explicit Result(std::in_place_t, Args&&... args) : v_(std::in_place_index<0>, std::forward<Args>(args)...) {}

    bool ok() const noexcept { return v_.index() == 0; }
    explicit operator bool() const noexcept { return ok(); }

    T& value() & { return std::get<0>(checked(true)); }
    const T& value() const& { return std::get<0>(checked(true)); }
    T&& value() && { return std::get<0>(std::move(checked(true))); }
    E& error() & { return std::get<1>(checked(false)); }
    const E& error() const& { return std::get<1>(checked(false)); }
    E&& error() && { return std::get<1>(std::move(checked(false))); }

    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }
    T&& operator*() && { return std::move(*this).value(); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }

    // The value, or `fallback` when this is an error.
    template <typename U>
    T value_or(U&& fallback) const& {
        return ok() ? std::get<0>(v_) : static_cast<T>(std::forward<U>(fallback));
    }

private:
    std::variant<T, E>& checked(bool want_value) {
        if (ok() != want_value) throw BadResultAccess(want_value ? "Result: value() of an error" : "Result: error() of a value");
        return v_;
    }
    const std::variant<T, E>& checked(bool want_value) const {
        if (ok() != want_value) throw BadResultAccess(want_value ? "Result: value() of an error" : "Result: error() of a value");
        return v_;
    }

    std::variant<T, E> v_;
};

}  // namespace relaylab
