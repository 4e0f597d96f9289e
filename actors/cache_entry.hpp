// cache_entry: one loaded, immutable model plus its accounting; shared by the cache and readers.
// Thread-safe for readers: everything is const except `last_use`, an atomic stamp readers bump.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "actors/model_key.hpp"

namespace mf::ml {
class model;
}

namespace mf::actors {

// Monotonic nanoseconds; per-entry stamps instead of a shared LRU list so that a cache hit
// never writes shared state other than its own entry (no lock, no message to the host).
inline std::uint64_t lru_now() noexcept {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                        std::chrono::steady_clock::now().time_since_epoch())
                                        .count());
}

struct cache_entry {
  cache_entry(model_key k, std::shared_ptr<const mf::ml::model> m, std::size_t b)
      : key(std::move(k)), model(std::move(m)), bytes(b), last_use(lru_now()) {}

  const model_key key;
  const std::shared_ptr<const mf::ml::model> model;
  const std::size_t bytes;  // the model's own estimate of its heap footprint
  mutable std::atomic<std::uint64_t> last_use;

  void touch() const noexcept { last_use.store(lru_now(), std::memory_order_relaxed); }
};

// A lease: whoever holds it keeps the model alive, so an unload never races a prediction.
using lease = std::shared_ptr<const cache_entry>;

}  // namespace mf::actors
