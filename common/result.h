#pragma once
// A value or a typed error. C++20 has no std::expected; this is the small part of it we use.
#include <cstdlib>
#include <type_traits>
#include <utility>
#include <variant>

namespace ridgeline {

template <typename E>
struct Unexpected {
  E error;
};

template <typename E>
Unexpected<std::decay_t<E>> unexpected(E&& error) {
  return {std::forward<E>(error)};
}

template <typename T, typename E>
class Result {
 public:
  Result(T value) : storage_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  template <typename G>
  Result(Unexpected<G> error)  // NOLINT: implicit by design
      : storage_(std::in_place_index<1>, std::move(error.error)) {}

  bool has_value() const { return storage_.index() == 0; }
  explicit operator bool() const { return has_value(); }

  T& value() & { return checked_value(); }
  const T& value() const& { return const_cast<Result*>(this)->checked_value(); }
  T&& value() && { return std::move(checked_value()); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const E& error() const {
    if (has_value()) std::abort();  // impossible state: asked for the error of a success
    return std::get<1>(storage_);
  }

 private:
  T& checked_value() {
    if (!has_value()) std::abort();  // impossible state: asked for the value of a failure
    return std::get<0>(storage_);
  }
  std::variant<T, E> storage_;
};

}  // namespace ridgeline
