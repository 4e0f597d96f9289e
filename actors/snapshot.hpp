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

// A group of leaf shards: the middle level of the snapshot's two-level table.
struct snapshot_group {
  std::vector<std::shared_ptr<const snapshot_shard>> shards;  // shards_per_group, never null
};

// The predict hot path reads one snapshot per request, so a request sees either the old or the
// new active version, never a mix; the lease it takes keeps its model alive past any unload.
struct snapshot {
  // Flat maps, for a snapshot built in one go (tools, benches); used when `groups` is empty.
  std::unordered_map<model_key, lease, model_key_hash> versions;
  std::unordered_map<model_ref, lease, model_ref_hash> active;
  // Sharded by model_ref in a two-level table (why: the model host republishes only the leaf
  // shards a change touched and shares everything else with the previous snapshot; a publish
  // copies 64 group pointers + 256 leaf pointers + one leaf of ~n/16,384 entries, which stays
  // small from a few models to the 1 M of the density benchmark).
  static constexpr std::size_t group_count = 64;
  static constexpr std::size_t shards_per_group = 256;
  static constexpr std::size_t shard_count = group_count * shards_per_group;
  std::vector<std::shared_ptr<const snapshot_group>> groups;  // empty, or group_count
  std::uint64_t generation = 0;

  static std::size_t shard_of(const model_ref& ref) { return model_ref_hash{}(ref) % shard_count; }
  // Leaf shard `index` (0 .. shard_count-1); requires a sharded snapshot.
  const std::shared_ptr<const snapshot_shard>& shard_at(std::size_t index) const {
    return groups[index / shards_per_group]->shards[index % shards_per_group];
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
