#include "actors/snapshot.hpp"

#include <algorithm>
#include <utility>

namespace mf::actors {

snapshot_retired::~snapshot_retired() {
  // Steal the successor while we are its only owner, so dropping it destroys a node whose
  // `next` is already empty; a successor someone else holds survives our release anyway.
  auto n = std::move(next);
  while (n && n.use_count() == 1) n = std::move(n->next);
}

namespace {
// Group `g` over the leaf shards it covers.
template <typename Shards>
std::unique_ptr<snapshot_group> group_over(const Shards& shards, std::size_t g) {
  auto group = std::make_unique<snapshot_group>();
  group->shards.reserve(snapshot::shards_per_group);
  for (std::size_t l = 0; l < snapshot::shards_per_group; ++l)
    group->shards.push_back(shards[g * snapshot::shards_per_group + l].get());
  return group;
}
}  // namespace

snapshot_publisher::snapshot_publisher()
    : group_copied_(snapshot::group_count, true), open_(std::make_shared<snapshot_retired>()) {
  shards_.reserve(snapshot::shard_count);
  for (std::size_t i = 0; i < snapshot::shard_count; ++i)
    shards_.push_back(std::make_unique<snapshot_shard>());
  groups_.reserve(snapshot::group_count);
  for (std::size_t g = 0; g < snapshot::group_count; ++g) groups_.push_back(group_over(shards_, g));
}

snapshot_publisher::~snapshot_publisher() {
  for (auto& g : groups_) open_->groups.push_back(std::move(g));
  for (auto& s : shards_) open_->shards.push_back(std::move(s));
}

void snapshot_publisher::replace(std::size_t index, std::unique_ptr<snapshot_shard> shard) {
  const std::size_t g = index / snapshot::shards_per_group;
  if (!group_copied_[g]) {  // the published group stays as it is for its readers
    auto copy = std::make_unique<snapshot_group>(*groups_[g]);
    open_->groups.push_back(std::exchange(groups_[g], std::move(copy)));
    group_copied_[g] = true;
  }
  groups_[g]->shards[index % snapshot::shards_per_group] = shard.get();
  open_->shards.push_back(std::exchange(shards_[index], std::move(shard)));
}

void snapshot_publisher::replace_all(std::vector<std::unique_ptr<snapshot_shard>> shards) {
  for (std::size_t g = 0; g < snapshot::group_count; ++g) {
    open_->groups.push_back(std::exchange(groups_[g], group_over(shards, g)));
    group_copied_[g] = true;
  }
  for (std::size_t i = 0; i < snapshot::shard_count; ++i)
    open_->shards.push_back(std::exchange(shards_[i], std::move(shards[i])));
}

std::shared_ptr<snapshot> snapshot_publisher::make_snapshot(std::uint64_t generation) {
  auto snap = std::make_shared<snapshot>();
  snap->groups.reserve(snapshot::group_count);
  for (const auto& g : groups_) snap->groups.push_back(g.get());
  snap->generation = generation;
  // What was replaced since the previous snapshot stays with that snapshot (it holds open_);
  // the new snapshot starts a list of its own for what the next publish replaces.
  auto next = std::make_shared<snapshot_retired>();
  open_->next = next;
  snap->retired = next;
  open_ = std::move(next);
  std::fill(group_copied_.begin(), group_copied_.end(), false);
  return snap;
}

lease snapshot::lookup(const model_ref& ref, std::int64_t version) const {
  if (!groups.empty()) {
    const snapshot_shard& s = *shard_at(shard_of(ref));
    if (version < 0) {
      auto it = s.active.find(ref);
      return it == s.active.end() ? nullptr : it->second;
    }
    auto it = s.versions.find(model_key{ref.tenant, ref.model, version});
    return it == s.versions.end() ? nullptr : it->second;
  }
  if (version < 0) {
    auto it = active.find(ref);
    return it == active.end() ? nullptr : it->second;
  }
  auto it = versions.find(model_key{ref.tenant, ref.model, version});
  return it == versions.end() ? nullptr : it->second;
}

}  // namespace mf::actors
