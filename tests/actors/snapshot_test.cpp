// Tests of snapshot_publisher: what a publish replaces lives exactly as long as a snapshot that
// can reach it, a long chain of retired tables unwinds without recursion, and the last snapshot
// outlives the publisher.
#include "actors/snapshot.hpp"

#include <doctest/doctest.h>

#include <memory>

using namespace mf::actors;

namespace {

lease make_entry(const std::string& tenant, std::int64_t version) {
  return std::make_shared<const cache_entry>(model_key{tenant, "m", version}, nullptr, 100);
}

// A shard serving `e` as the active version of its model.
std::unique_ptr<snapshot_shard> shard_with(const lease& e) {
  auto sh = std::make_unique<snapshot_shard>();
  sh->versions.emplace(e->key, e);
  sh->active.emplace(ref_of(e->key), e);
  return sh;
}

}  // namespace

TEST_CASE("a replaced shard lives while an older snapshot can reach it, and not longer") {
  snapshot_publisher tables;
  const model_ref ref{"t", "m"};
  const auto index = snapshot::shard_of(ref);
  std::weak_ptr<const cache_entry> v1;
  std::shared_ptr<const snapshot> s1;
  {
    auto e1 = make_entry("t", 1);
    v1 = e1;
    tables.replace(index, shard_with(e1));
    s1 = tables.make_snapshot(1);
  }
  tables.replace(index, shard_with(make_entry("t", 2)));
  auto s2 = tables.make_snapshot(2);
  CHECK(s1->lookup(ref, -1)->key.version == 1);  // the old snapshot still reads its shard
  CHECK(s2->lookup(ref, -1)->key.version == 2);
  CHECK(s1->groups[index / snapshot::shards_per_group] !=
        s2->groups[index / snapshot::shards_per_group]);
  CHECK(s1->groups[(index / snapshot::shards_per_group + 1) % snapshot::group_count] ==
        s2->groups[(index / snapshot::shards_per_group + 1) % snapshot::group_count]);
  CHECK(!v1.expired());
  // A newer snapshot alone does not keep the version-1 shard.
  auto s3 = tables.make_snapshot(3);
  CHECK(!v1.expired());
  s1.reset();
  CHECK(v1.expired());
  CHECK(s3->lookup(ref, -1)->key.version == 2);
}

TEST_CASE("an old snapshot held across 200,000 publishes is released without deep recursion") {
  snapshot_publisher tables;
  const model_ref ref{"t", "m"};
  const auto index = snapshot::shard_of(ref);
  tables.replace(index, shard_with(make_entry("t", 1)));
  auto oldest = tables.make_snapshot(1);
  std::weak_ptr<const snapshot_retired> chain = oldest->retired;
  for (std::int64_t v = 2; v <= 200'000; ++v) {
    tables.replace(index, shard_with(make_entry("t", v)));
    (void)tables.make_snapshot(static_cast<std::uint64_t>(v));
  }
  CHECK(oldest->lookup(ref, -1)->key.version == 1);
  oldest.reset();  // 200,000 retired lists unwind here; recursion would overflow the stack
  CHECK(chain.expired());
}

TEST_CASE("the last snapshot stays readable after its publisher is gone") {
  std::shared_ptr<const snapshot> last;
  const model_ref ref{"t", "m"};
  {
    snapshot_publisher tables;
    tables.replace(snapshot::shard_of(ref), shard_with(make_entry("t", 7)));
    last = tables.make_snapshot(1);
  }
  REQUIRE(last->lookup(ref, -1));
  CHECK(last->lookup(ref, -1)->key.version == 7);
  CHECK(last->lookup(ref, 7)->key.version == 7);
  CHECK(!last->lookup(model_ref{"t", "other"}, -1));
}

TEST_CASE("a bulk rebuild replaces every group; untouched shards stay shared otherwise") {
  snapshot_publisher tables;
  auto s1 = tables.make_snapshot(1);
  std::vector<std::unique_ptr<snapshot_shard>> fresh(snapshot::shard_count);
  for (auto& sh : fresh) sh = std::make_unique<snapshot_shard>();
  tables.replace_all(std::move(fresh));
  auto s2 = tables.make_snapshot(2);
  std::size_t shared = 0;
  for (std::size_t g = 0; g < snapshot::group_count; ++g) shared += s1->groups[g] == s2->groups[g];
  CHECK(shared == 0);
  auto s3 = tables.make_snapshot(3);
  for (std::size_t g = 0; g < snapshot::group_count; ++g) shared += s2->groups[g] == s3->groups[g];
  CHECK(shared == snapshot::group_count);
}
