// Unit tests of model_cache: budget, LRU order, tenant quotas and fair share, pins, leases.
#include "actors/model_cache.hpp"

#include <doctest/doctest.h>

#include <thread>

#include "tests/actors/fake_model.hpp"

using mf::actors::model_cache;
using mf::actors::model_key;
using mf::test::fake_model;

namespace {

constexpr std::size_t mb = 1u << 20;

// Inserts with an explicit footprint, so the arithmetic of the tests is exact.
mf::expected<model_cache::insert_result> put(model_cache& c, std::string tenant, std::string model,
                                             std::int64_t version, std::size_t bytes) {
  return c.insert(model_key{std::move(tenant), std::move(model), version}, fake_model::make(1, 0),
                  bytes);
}

// Distinct LRU stamps even on a coarse clock.
void tick() {
  std::this_thread::sleep_for(std::chrono::microseconds(50));
}

}  // namespace

TEST_CASE("the budget is never exceeded and the least recently used model goes first") {
  model_cache c(10 * mb);
  for (int v = 1; v <= 5; ++v) {
    REQUIRE(put(c, "t", "m", v, 2 * mb));
    tick();
  }
  CHECK(c.used_bytes() == 10 * mb);
  // Touch v1 so v2 becomes the least recently used.
  CHECK(c.find({"t", "m", 1}) != nullptr);
  tick();
  auto r = put(c, "t", "m", 6, 3 * mb);  // needs 3 MiB: evicts v2 and v3
  REQUIRE(r);
  CHECK(r->evicted == std::vector<model_key>{{"t", "m", 2}, {"t", "m", 3}});
  CHECK(c.used_bytes() <= c.budget());
  CHECK(c.used_bytes() == 9 * mb);
  CHECK(c.contains({"t", "m", 1}));
  CHECK_FALSE(c.contains({"t", "m", 2}));
  CHECK(c.evictions() == 2);
  auto order = c.keys_lru_order();
  REQUIRE(order.size() == 4);
  CHECK(order.front() == model_key{"t", "m", 4});
  CHECK(order.back() == model_key{"t", "m", 6});
}

TEST_CASE("a model larger than the budget or the tenant quota is refused, cache unchanged") {
  model_cache c(4 * mb);
  REQUIRE(put(c, "t", "a", 1, 1 * mb));
  auto r = put(c, "t", "b", 1, 5 * mb);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == mf::errc::payload_too_large);
  c.set_tenant_quota("t", 2 * mb);
  auto q = put(c, "t", "b", 1, 3 * mb);
  REQUIRE_FALSE(q);
  CHECK(q.error().code == mf::errc::payload_too_large);
  CHECK(c.size() == 1);
  CHECK(c.used_bytes() == 1 * mb);
}

TEST_CASE("a tenant over its quota evicts its own models, never another tenant's") {
  model_cache c(100 * mb);
  c.set_tenant_quota("greedy", 4 * mb);
  REQUIRE(put(c, "quiet", "q", 1, 2 * mb));
  for (int v = 1; v <= 10; ++v) {
    auto r = put(c, "greedy", "g", v, 2 * mb);
    REQUIRE(r);
    for (const auto& k : r->evicted) CHECK(k.tenant == "greedy");
    tick();
  }
  CHECK(c.tenant_bytes("greedy") == 4 * mb);
  CHECK(c.tenant_bytes("quiet") == 2 * mb);
}

TEST_CASE("under budget pressure a tenant within its fair share pushes out the tenant above it") {
  model_cache c(12 * mb);  // 2 tenants -> fair share 6 MiB each
  for (int v = 1; v <= 5; ++v) {
    REQUIRE(put(c, "big", "b", v, 2 * mb));  // 10 MiB: well over its share
    tick();
  }
  REQUIRE(put(c, "small", "s", 1, 2 * mb));  // fits: 12 MiB
  tick();
  auto r = put(c, "small", "s", 2, 2 * mb);  // small stays within 6 MiB: big pays
  REQUIRE(r);
  REQUIRE(r->evicted.size() == 1);
  CHECK(r->evicted[0] == model_key{"big", "b", 1});
  // Now small goes over its fair share: it evicts its own first, big keeps its 6 MiB share.
  tick();
  REQUIRE(put(c, "small", "s", 3, 2 * mb));
  tick();
  auto r2 = put(c, "small", "s", 4, 2 * mb);
  REQUIRE(r2);
  for (const auto& k : r2->evicted) CHECK(k.tenant == "small");
  CHECK(c.tenant_bytes("big") >= 6 * mb);
  CHECK(c.used_bytes() <= c.budget());
}

TEST_CASE("pinned models are never evicted; when only pins remain the insert fails cleanly") {
  model_cache c(4 * mb);
  c.pin({"t", "m", 1}, true);
  REQUIRE(put(c, "t", "m", 1, 2 * mb));
  tick();
  REQUIRE(put(c, "t", "m", 2, 2 * mb));
  tick();
  auto r = put(c, "t", "m", 3, 2 * mb);  // must evict v2 (v1 is pinned although older)
  REQUIRE(r);
  CHECK(r->evicted == std::vector<model_key>{{"t", "m", 2}});
  c.pin({"t", "m", 3}, true);
  auto full = put(c, "t", "m", 4, 2 * mb);
  REQUIRE_FALSE(full);
  CHECK(full.error().code == mf::errc::overloaded);
  CHECK(c.size() == 2);
  CHECK_FALSE(c.evict({"t", "m", 1}));  // an evict event does not beat a pin
  CHECK(c.erase({"t", "m", 1}));        // a delete does
}

TEST_CASE("a leased model stays alive after eviction and is reported as retired until released") {
  model_cache c(4 * mb);
  auto first = put(c, "t", "m", 1, 3 * mb);
  REQUIRE(first);
  mf::actors::lease held = c.find({"t", "m", 1});
  first->entry.reset();
  REQUIRE(put(c, "t", "m", 2, 3 * mb));  // evicts v1 while a "prediction" holds it
  CHECK_FALSE(c.contains({"t", "m", 1}));
  CHECK(held->model != nullptr);  // still usable: unload never races the lease
  CHECK(c.retired_bytes() == 3 * mb);
  held.reset();
  CHECK(c.retired_bytes() == 0);
}

TEST_CASE("erase_model and erase_tenant remove exactly their keys") {
  model_cache c(100 * mb);
  REQUIRE(put(c, "a", "m", 1, mb));
  REQUIRE(put(c, "a", "m", 2, mb));
  REQUIRE(put(c, "a", "n", 1, mb));
  REQUIRE(put(c, "ab", "m", 1, mb));
  REQUIRE(put(c, "b", "m", 1, mb));
  CHECK(c.erase_model("a", "m").size() == 2);
  CHECK(c.contains({"a", "n", 1}));
  CHECK(c.erase_tenant("a").size() == 1);
  CHECK(c.contains({"ab", "m", 1}));
  CHECK(c.size() == 2);
  CHECK(c.used_bytes() == 2 * mb);
  CHECK(c.tenant_bytes("a") == 0);
}

TEST_CASE("replacing a key accounts its bytes once") {
  model_cache c(10 * mb);
  REQUIRE(put(c, "t", "m", 1, 4 * mb));
  REQUIRE(put(c, "t", "m", 1, 6 * mb));
  CHECK(c.size() == 1);
  CHECK(c.used_bytes() == 6 * mb);
}

TEST_CASE("loading 20,000 models under budget plans no eviction walk; a full cache walks once") {
  // The old planner copied the whole cache on every insert: ~n^2/2 = 2e8 entries for 20k.
  constexpr std::size_t n = 20000;
  model_cache c(n * 10);
  auto model = fake_model::make(1, 0);
  for (std::size_t i = 0; i < n; ++i) {
    auto r =
        c.insert(model_key{"t" + std::to_string(i % 7), "m" + std::to_string(i), 1}, model, 10);
    REQUIRE(r);
    REQUIRE(r->evicted.empty());
  }
  CHECK(c.size() == n);
  CHECK(c.used_bytes() == n * 10);
  CHECK(c.plan_work() == 0);
  // Full now: one more insert evicts exactly one model and examines each entry a bounded
  // number of times (a few scans for the fair-share policy), never n copies per insert.
  auto r = c.insert(model_key{"t0", "extra", 1}, model, 10);
  REQUIRE(r);
  CHECK(r->evicted.size() == 1);
  CHECK(c.used_bytes() <= c.budget());
  CHECK(c.plan_work() <= 3 * n);
}

TEST_CASE("a full cache of 10,000 one-model tenants evicts by sample, not by walking the cache") {
  // W2's shape: many tenants, one small model each, budget full. Each eviction used to examine
  // every entry (and copy every tenant's byte counter).
  constexpr std::size_t n = 10000;
  model_cache c(n * 10);
  auto model = fake_model::make(1, 0);
  for (std::size_t i = 0; i < n; ++i)
    REQUIRE(c.insert(model_key{"t" + std::to_string(i), "m", 1}, model, 10));
  tick();
  // The newer half is touched after the older half: victims must come from the older half.
  for (std::size_t i = n / 2; i < n; ++i)
    REQUIRE(c.find(model_key{"t" + std::to_string(i), "m", 1}));
  const auto before = c.plan_work();
  constexpr std::size_t inserts = 1000;
  std::size_t from_older_half = 0;
  for (std::size_t i = 0; i < inserts; ++i) {
    auto r = c.insert(model_key{"new" + std::to_string(i), "m", 1}, model, 10);
    REQUIRE(r);
    REQUIRE(r->evicted.size() == 1);
    const auto& victim = r->evicted[0].tenant;
    if (victim.rfind("t", 0) == 0 && std::stoul(victim.substr(1)) < n / 2) ++from_older_half;
    CHECK(c.used_bytes() <= c.budget());
  }
  const double per_insert = static_cast<double>(c.plan_work() - before) / inserts;
  MESSAGE("entries examined per evicting insert: " << per_insert << " (cache of " << n << ")");
  CHECK(per_insert <= static_cast<double>(2 * model_cache::lru_sample_attempts));
  // Approximate LRU: a sample of 24 misses the older half with probability 2^-24 per victim.
  CHECK(from_older_half == inserts);
  CHECK(c.size() == n);
}
