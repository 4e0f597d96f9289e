// snapshot: an immutable view of what the model host serves, published by pointer swap.
// Thread-safe: snapshot_cell may be loaded/stored from any thread; a snapshot never changes.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

#include "actors/cache_entry.hpp"
#include "actors/model_key.hpp"

namespace mf::actors {

// One slice of a snapshot: every model whose model_ref hashes to it. Immutable once published.
struct snapshot_shard {
  std::unordered_map<model_key, lease, model_key_hash> versions;
  std::unordered_map<model_ref, lease, model_ref_hash> active;
};

// The predict hot path reads one snapshot per request, so a request sees either the old or the
// new active version, never a mix; the lease it takes keeps its model alive past any unload.
struct snapshot {
  // Flat maps, for a snapshot built in one go (tools, benches); used when `shards` is empty.
  std::unordered_map<model_key, lease, model_key_hash> versions;
  std::unordered_map<model_ref, lease, model_ref_hash> active;
  // Sharded by model_ref (why: the model host republishes only the shards a change touched and
  // shares the others with the previous snapshot, so one publish copies ~n/shards entries).
  std::vector<std::shared_ptr<const snapshot_shard>> shards;
  std::uint64_t generation = 0;

  static std::size_t shard_of(const model_ref& ref, std::size_t shard_count) {
    return model_ref_hash{}(ref) % shard_count;
  }

  // The active version's entry (version < 0) or that exact version; nullptr on a miss.
  lease lookup(const model_ref& ref, std::int64_t version) const;
};

class snapshot_cell {
 public:
  snapshot_cell() : ptr_(std::make_shared<const snapshot>()) {}
  std::shared_ptr<const snapshot> load() const { return ptr_.load(std::memory_order_acquire); }
  void store(std::shared_ptr<const snapshot> s) {
    ptr_.store(std::move(s), std::memory_order_release);
  }

 private:
  std::atomic<std::shared_ptr<const snapshot>> ptr_;
};

}  // namespace mf::actors
