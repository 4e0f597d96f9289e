// expected<T>: a value or an mf::error, returned at module edges instead of throwing.
// A small subset of C++23 std::expected for our C++20 build. Value type; not thread-safe.
#pragma once

#include <cassert>
#include <type_traits>
#include <utility>
#include <variant>

#include "common/error.hpp"

namespace mf {

// Wraps an error so `return unexpected(err)` reads like std::expected code.
struct unexpected {
  error value;
  explicit unexpected(error e) : value(std::move(e)) {}
};

template <class T>
class [[nodiscard]] expected {
 public:
  expected(T value) : state_(std::in_place_index<0>, std::move(value)) {}
  expected(unexpected u) : state_(std::in_place_index<1>, std::move(u.value)) {}
  expected(mf::error e) : state_(std::in_place_index<1>, std::move(e)) {}

  bool has_value() const noexcept { return state_.index() == 0; }
  explicit operator bool() const noexcept { return has_value(); }

  T& value() & { assert(has_value()); return std::get<0>(state_); }
  const T& value() const& { assert(has_value()); return std::get<0>(state_); }
  T&& value() && { assert(has_value()); return std::get<0>(std::move(state_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const mf::error& error() const& { assert(!has_value()); return std::get<1>(state_); }
  mf::error&& error() && { assert(!has_value()); return std::get<1>(std::move(state_)); }

 private:
  std::variant<T, mf::error> state_;
};

// expected<void>: success or an error.
template <>
class [[nodiscard]] expected<void> {
 public:
  expected() = default;
  expected(unexpected u) : error_(std::move(u.value)), failed_(true) {}
  expected(mf::error e) : error_(std::move(e)), failed_(true) {}

  bool has_value() const noexcept { return !failed_; }
  explicit operator bool() const noexcept { return !failed_; }
  const mf::error& error() const& { assert(failed_); return error_; }
  mf::error&& error() && { assert(failed_); return std::move(error_); }

 private:
  mf::error error_{};
  bool failed_ = false;
};

}  // namespace mf
