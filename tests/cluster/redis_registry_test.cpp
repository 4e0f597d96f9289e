// redis_registry and redis_blob_store against a real redis-server: the shared registry and
// blob suites, concurrent publishes (distinct gap-free ids), events on pub/sub.
#include <doctest/doctest.h>

#include <algorithm>
#include <mutex>
#include <set>
#include <thread>

#include "cluster/record_json.hpp"
#include "cluster/redis_blob_store.hpp"
#include "cluster/redis_registry.hpp"
#include "cluster/redis_subscriber.hpp"
#include "tests/cluster/blob_suite.hpp"
#include "tests/cluster/registry_suite.hpp"
#include "tests/cluster/shared_redis.hpp"

using namespace mf::cluster;
using mf::cluster::test::fresh_prefix;
using mf::cluster::test::shared_redis;

namespace {

struct redis_fixture {
  redis_registry registry;
  redis_fixture() : registry(connect()) {}
  static redis_registry connect() {
    auto r = redis_registry::connect(shared_redis().url(), fresh_prefix());
    REQUIRE(r);
    return std::move(*r);
  }
  mf::cluster::registry& reg() { return registry; }
};

struct redis_blob_fixture {
  std::unique_ptr<redis_blob_store> blobs;
  redis_blob_fixture() {
    auto s = redis_blob_store::connect(shared_redis().url(), fresh_prefix());
    REQUIRE(s);
    blobs = std::move(*s);
  }
  blob_store& store() { return *blobs; }
};

}  // namespace

TEST_CASE_TEMPLATE_INVOKE(registry_tenants, redis_fixture);
TEST_CASE_TEMPLATE_INVOKE(registry_versions, redis_fixture);
TEST_CASE_TEMPLATE_INVOKE(registry_jobs, redis_fixture);
TEST_CASE_TEMPLATE_INVOKE(registry_job_fences, redis_fixture);
TEST_CASE_TEMPLATE_INVOKE(registry_cluster, redis_fixture);
TEST_CASE_TEMPLATE_INVOKE(blob_store_suite, redis_blob_fixture);
TEST_CASE_TEMPLATE_INVOKE(blob_store_dataset_suite, redis_blob_fixture);

TEST_CASE("concurrent publishes from two threads get distinct, gap-free ids") {
  const std::string prefix = fresh_prefix();
  {
    auto setup = redis_registry::connect(shared_redis().url(), prefix);
    REQUIRE(setup);
    REQUIRE(setup->create_tenant("t"));
  }
  constexpr int per_thread = 200;
  std::mutex mutex;
  std::vector<std::int64_t> ids;
  std::vector<std::string> failures;
  auto worker = [&] {
    // One registry (one connection) per thread: redis_registry is not thread-safe.
    auto reg = redis_registry::connect(shared_redis().url(), prefix);
    if (!reg) {
      std::lock_guard lock(mutex);
      failures.push_back(reg.error().message);
      return;
    }
    for (int i = 0; i < per_thread; ++i) {
      auto id = reg->reserve_version_id("t", "m");
      if (!id) {
        std::lock_guard lock(mutex);
        failures.push_back(id.error().message);
        return;
      }
      auto ok = reg->publish_version("t", "m", mf::cluster::test::make_version(*id), i % 2 == 0,
                                     "train if_better", "job:x");
      std::lock_guard lock(mutex);
      if (!ok) failures.push_back(ok.error().message);
      ids.push_back(*id);
    }
  };
  std::thread a(worker), b(worker);
  a.join();
  b.join();
  REQUIRE(failures.empty());
  std::sort(ids.begin(), ids.end());
  REQUIRE(ids.size() == 2 * per_thread);
  for (std::size_t i = 0; i < ids.size(); ++i) CHECK(ids[i] == static_cast<std::int64_t>(i + 1));
  auto reg = redis_registry::connect(shared_redis().url(), prefix);
  REQUIRE(reg);
  auto versions = reg->list_versions("t", "m");
  REQUIRE(versions);
  CHECK(versions->size() == 2 * per_thread);
  auto model = reg->get_model("t", "m");
  REQUIRE(model);
  CHECK(model->versions == 2 * per_thread);
  CHECK(model->active_version >= 1);
}

TEST_CASE("registry changes arrive as events on pub/sub") {
  const std::string prefix = fresh_prefix();
  auto reg = redis_registry::connect(shared_redis().url(), prefix);
  REQUIRE(reg);
  auto sub = redis_subscriber::connect(shared_redis().url(), {reg->events_channel()});
  REQUIRE(sub);
  REQUIRE(reg->create_tenant("t"));
  REQUIRE(reg->reserve_version_id("t", "m"));
  REQUIRE(
      reg->publish_version("t", "m", mf::cluster::test::make_version(1), true, "upload", "admin"));
  placement p;
  p.epoch = 3;
  p.tenants = {{"t", {"w1"}}};
  REQUIRE(reg->put_placement(p));
  REQUIRE(reg->publish_event("{\"type\":\"custom\"}"));

  std::vector<std::string> got;
  while (got.size() < 4) {
    auto m = sub->next_message(std::chrono::milliseconds(2000));
    REQUIRE(m);
    REQUIRE(m->has_value());
    CHECK((*m)->channel == prefix + "events");
    got.push_back((*m)->payload);
  }
  // The Lua-built activation event is the same JSON the memory registry emits.
  CHECK(got[0] == R"({"type":"tenant_updated","tenant":"t"})");  // created
  CHECK(got[1] == activated_event("t", "m", 0, 1));
  CHECK(got[2] == placement_event(3));
  CHECK(got[3] == "{\"type\":\"custom\"}");
  auto none = sub->next_message(std::chrono::milliseconds(50));
  REQUIRE(none);
  CHECK(!none->has_value());
}

TEST_CASE("an error reply is never read as 'absent'") {
  const std::string prefix = fresh_prefix();
  auto reg = redis_registry::connect(shared_redis().url(), prefix);
  REQUIRE(reg);
  // A foreign value of the wrong type where the tenant hash should be.
  REQUIRE(reg->client().command({"SET", prefix + "tenant:x", "not a hash"}));
  auto t = reg->get_tenant("x");
  REQUIRE(!t);
  CHECK(t.error().code == mf::errc::internal);
  CHECK(t.error().message.find("WRONGTYPE") != std::string::npos);
}
