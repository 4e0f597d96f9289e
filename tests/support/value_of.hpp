// value_of: an mf::expected<T> as std::optional<T> (nullopt on error), so tests can write
// CHECK(value_of(store.get(k, n)) == bytes) and doctest prints both sides. Thread-safe.
#pragma once

#include <optional>

#include "common/expected.hpp"

namespace mf::test {

template <class T>
std::optional<T> value_of(mf::expected<T> e) {
  if (!e) return std::nullopt;
  return std::move(*e);
}

}  // namespace mf::test
