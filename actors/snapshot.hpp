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
  std::vector<const snapshot_shard*> shards;  // shards_per_group, never null
};

// Groups and shards a publish replaced, kept alive until no snapshot can reach them: the
// snapshot published before the replacement holds this list, and each list holds the next
// one, so a snapshot keeps everything retired after it and nothing older outlives its readers.
struct snapshot_retired {
  std::vector<std::unique_ptr<const snapshot_group>> groups;
  std::vector<std::unique_ptr<const snapshot_shard>> shards;
  std::shared_ptr<snapshot_retired> next;
  snapshot_retired() = default;
  snapshot_retired(const snapshot_retired&) = delete;
  snapshot_retired& operator=(const snapshot_retired&) = delete;
  ~snapshot_retired();  // unlinks a long chain in a loop, not by recursion
};

// The predict hot path reads one snapshot per request, so a request sees either the old or the
// new active version, never a mix; the lease it takes keeps its model alive past any unload.
struct snapshot {
  // Flat maps, for a snapshot built in one go (tools, benches); used when `groups` is empty.
  std::unordered_map<model_key, lease, model_key_hash> versions;
  std::unordered_map<model_ref, lease, model_ref_hash> active;
  // Sharded by model_ref in a two-level table (why: the model host republishes only the leaf
  // shards a change touched and shares everything else with the previous snapshot). Plain
  // pointers, owned by the host's snapshot_publisher and, once replaced, by `retired` (why: with
  // a shared_ptr per group and per leaf, a publish took and later dropped ~600 references on
  // cold cache lines: 11 % of the worker's scheduler threads in W2).
  static constexpr std::size_t group_count = 64;
  static constexpr std::size_t shards_per_group = 256;
  static constexpr std::size_t shard_count = group_count * shards_per_group;
  std::vector<const snapshot_group*> groups;  // empty, or group_count
  std::shared_ptr<const snapshot_retired> retired;
  std::uint64_t generation = 0;

  static std::size_t shard_of(const model_ref& ref) { return model_ref_hash{}(ref) % shard_count; }
  // Leaf shard `index` (0 .. shard_count-1); requires a sharded snapshot.
  const snapshot_shard* shard_at(std::size_t index) const {
    return groups[index / shards_per_group]->shards[index % shards_per_group];
  }

  // The active version's entry (version < 0) or that exact version; nullptr on a miss.
  lease lookup(const model_ref& ref, std::int64_t version) const;
};

// The model host's side of the sharded snapshot: owns the current groups and leaf shards, and
// hands the ones a publish replaces to the retired list of the last snapshot that reaches them.
// Not thread-safe: used by the model host only; the snapshots it makes are immutable.
class snapshot_publisher {
 public:
  snapshot_publisher();   // every shard empty
  ~snapshot_publisher();  // live tables go to the last snapshot's list: readers may still hold it
  snapshot_publisher(const snapshot_publisher&) = delete;
  snapshot_publisher& operator=(const snapshot_publisher&) = delete;

  const snapshot_shard& shard(std::size_t index) const { return *shards_[index]; }
  // Replaces one leaf shard (its group is copied once per published snapshot).
  void replace(std::size_t index, std::unique_ptr<snapshot_shard> shard);
  // Replaces every shard (bulk rebuilds); `shards` holds shard_count non-null shards.
  void replace_all(std::vector<std::unique_ptr<snapshot_shard>> shards);
  // A snapshot of the current tables.
  std::shared_ptr<snapshot> make_snapshot(std::uint64_t generation);

 private:
  std::vector<std::unique_ptr<snapshot_group>> groups_;
  std::vector<std::unique_ptr<snapshot_shard>> shards_;
  std::vector<bool> group_copied_;          // since the last snapshot: already a fresh copy
  std::shared_ptr<snapshot_retired> open_;  // held by the last snapshot; fills until the next
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
