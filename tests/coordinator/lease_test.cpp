// Leader lease and placement manager against a real redis-server: one leader at a time,
// takeover after the leader stops renewing, epoch fencing, staged placement moves.
#include <doctest/doctest.h>

#include <algorithm>
#include <set>
#include <thread>

#include "actors/coordinator/leader_lease.hpp"
#include "actors/coordinator/placement_manager.hpp"
#include "cluster/record_json.hpp"
#include "cluster/redis_client.hpp"
#include "cluster/redis_registry.hpp"
#include "tests/support/redis_server_fixture.hpp"
#include "tests/support/wait_until.hpp"

using namespace mf::coordinator;
using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

namespace {

mf::cluster::redis_registry connect(const mf::test::redis_server_fixture& redis) {
  auto r = mf::cluster::redis_registry::connect(redis.url());
  REQUIRE(r);
  return std::move(*r);
}

void beat_worker(mf::cluster::registry& reg, const std::string& id, std::int64_t ttl_ms = 60000) {
  mf::cluster::node_record n;
  n.node = id;
  n.role = "worker";
  n.address = "tcp://127.0.0.1:1";
  n.training_slots = 1;
  REQUIRE(reg.heartbeat(n, ttl_ms));
}

}  // namespace

TEST_CASE("exactly one of two coordinators leads; the other takes over when it stops") {
  mf::test::redis_server_fixture redis;
  auto reg_a = connect(redis);
  auto reg_b = connect(redis);
  leader_lease a(reg_a, "ca", 1000ms, 200ms);
  leader_lease b(reg_b, "cb", 1000ms, 200ms);

  // Both compete for a while: never both leaders at the same instant.
  int a_led = 0, b_led = 0;
  const auto until = steady::now() + 1500ms;
  while (steady::now() < until) {
    a.step(steady::now());
    b.step(steady::now());
    const auto now = steady::now();
    CHECK_FALSE((a.is_leader(now) && b.is_leader(now)));
    a_led += a.is_leader(now);
    b_led += b.is_leader(now);
    std::this_thread::sleep_for(20ms);
  }
  CHECK(a_led + b_led > 0);
  CHECK((a_led == 0 || b_led == 0));  // leadership did not flap while the leader lived
  leader_lease& leader = a_led > 0 ? a : b;
  leader_lease& standby = a_led > 0 ? b : a;
  const auto first_epoch = leader.epoch();

  // The leader "dies": it stops renewing. The standby must lead within ttl + a bit.
  const auto died = steady::now();
  const bool took_over = mf::test::wait_until(
      [&] {
        standby.step(steady::now());
        return standby.is_leader(steady::now());
      },
      3000ms);
  REQUIRE(took_over);
  const auto takeover = steady::now() - died;
  MESSAGE(
      "takeover after " << std::chrono::duration_cast<std::chrono::milliseconds>(takeover).count()
                        << " ms (ttl 1000 ms)");
  CHECK(takeover < 1500ms);
  CHECK(standby.epoch() > first_epoch);
  // The old leader's own clock already told it to stop, and Redis refuses its renewal.
  CHECK_FALSE(leader.is_leader(steady::now()));
  CHECK(leader.step(steady::now()) != lease_change::acquired);
  CHECK_FALSE(leader.is_leader(steady::now()));
}

TEST_CASE("a clean release hands leadership over at once") {
  mf::test::redis_server_fixture redis;
  auto reg_a = connect(redis);
  auto reg_b = connect(redis);
  leader_lease a(reg_a, "ca", 3000ms, 500ms);
  leader_lease b(reg_b, "cb", 3000ms, 500ms);
  REQUIRE(a.step(steady::now()) == lease_change::acquired);
  CHECK(b.step(steady::now()) == lease_change::none);
  CHECK_FALSE(b.is_leader(steady::now()));
  a.release();
  b.check_now();
  CHECK(b.step(steady::now()) == lease_change::acquired);
  CHECK(b.epoch() > a.epoch());
}

TEST_CASE("a deposed leader's placement write is fenced off by the epoch") {
  mf::test::redis_server_fixture redis;
  auto reg_a = connect(redis);
  auto reg_b = connect(redis);
  for (const char* t : {"t1", "t2", "t3"}) REQUIRE(reg_a.create_tenant(t));
  beat_worker(reg_a, "w1");
  beat_worker(reg_a, "w2");
  placement_manager old_leader(reg_a, 1, 1.25, 0ms);
  placement_manager new_leader(reg_b, 1, 1.25, 0ms);
  auto nodes = reg_a.list_nodes();
  REQUIRE(nodes);
  auto w1 = old_leader.step(1, *nodes, steady::now());
  REQUIRE(w1);
  CHECK(*w1 > 0);
  beat_worker(reg_a, "w3");
  nodes = reg_a.list_nodes();
  REQUIRE(nodes);
  auto w2 = new_leader.step(2, *nodes, steady::now());  // lease epoch 2
  REQUIRE(w2);
  CHECK(*w2 > *w1);
  // The old leader (lease epoch 1) sees a change (w3 drained) and tries to write: refused.
  REQUIRE(reg_a.set_draining("w3", true));
  nodes = reg_a.list_nodes();
  REQUIRE(nodes);
  auto stale = old_leader.step(1, *nodes, steady::now());
  REQUIRE_FALSE(stale);
  CHECK(stale.error().code == mf::errc::conflict);
  auto stored = reg_a.get_placement();
  REQUIRE(stored);
  CHECK(stored->epoch == *w2);
}

namespace {
// One placement step against the live workers as Redis lists them now; the epoch written or 0.
std::int64_t step_live(placement_manager& pm, mf::cluster::registry& reg) {
  auto nodes = reg.list_nodes();
  REQUIRE(nodes);
  auto written = pm.step(1, *nodes, steady::now());
  REQUIRE(written);
  return *written;
}
}  // namespace

TEST_CASE("no live worker at all keeps the placement; the next live worker takes it") {
  mf::test::redis_server_fixture redis;
  auto reg = connect(redis);
  REQUIRE(reg.create_tenant("t1"));
  beat_worker(reg, "w1", 300);
  placement_manager pm(reg, 1, 1.25, 0ms);
  const auto first = step_live(pm, reg);
  CHECK(first > 0);
  CHECK(reg.get_placement()->tenants["t1"] == std::vector<std::string>{"w1"});
  // w1's alive key expires (as it does when Redis was unreachable for longer than the TTL).
  REQUIRE(mf::test::wait_until(
      [&] {
        auto n = reg.list_nodes();
        return n && !n->empty() && n->front().state == mf::cluster::node_state::down;
      },
      5s, 20ms));
  CHECK(step_live(pm, reg) == 0);  // nothing written
  auto kept = reg.get_placement();
  REQUIRE(kept);
  CHECK(kept->epoch == first);
  CHECK(kept->tenants["t1"] == std::vector<std::string>{"w1"});
  // Another worker comes up: the tenant moves to it as usual.
  beat_worker(reg, "w2");
  CHECK(step_live(pm, reg) > first);
  CHECK(reg.get_placement()->tenants["t1"] == std::vector<std::string>{"w2"});
}

TEST_CASE("joining a worker moves about a third of the tenants, staged new-first") {
  mf::test::redis_server_fixture redis;
  auto reg = connect(redis);
  std::vector<std::string> tenants;
  for (int i = 0; i < 60; ++i) {
    tenants.push_back("tenant" + std::to_string(i));
    REQUIRE(reg.create_tenant(tenants.back()));
  }
  beat_worker(reg, "w1");
  beat_worker(reg, "w2");
  placement_manager pm(reg, 1, 1.25, 300ms);
  auto nodes = reg.list_nodes();
  REQUIRE(nodes);
  REQUIRE(pm.step(1, *nodes, steady::now()));
  auto before = reg.get_placement();
  REQUIRE(before);
  CHECK(before->tenants.size() == tenants.size());
  CHECK(before->replicas == 1);

  beat_worker(reg, "w3");
  nodes = reg.list_nodes();
  REQUIRE(nodes);
  const auto t0 = steady::now();
  auto staged_epoch = pm.step(1, *nodes, t0);
  REQUIRE(staged_epoch);
  REQUIRE(*staged_epoch > before->epoch);
  auto staged = reg.get_placement();
  REQUIRE(staged);
  int moving = 0;
  for (const auto& [t, owners] : staged->tenants) {
    REQUIRE(!owners.empty());
    if (owners.size() == 2) {  // staged: new owner w3 first, old owner kept
      ++moving;
      CHECK(owners[0] == "w3");
      CHECK(owners[1] == before->tenants.at(t)[0]);
    } else {
      CHECK(owners == before->tenants.at(t));
    }
  }
  MESSAGE(moving << " of " << tenants.size() << " tenants move to the new worker");
  CHECK(moving >= 12);  // ~1/3 of 60 = 20
  CHECK(moving <= 28);

  // Within grace nothing changes; after it, the old owners are dropped.
  auto again = pm.step(1, *nodes, t0 + 100ms);
  REQUIRE(again);
  CHECK(*again == 0);
  auto final_epoch = pm.step(1, *nodes, t0 + 400ms);
  REQUIRE(final_epoch);
  CHECK(*final_epoch > *staged_epoch);
  auto after = reg.get_placement();
  REQUIRE(after);
  int on_w3 = 0;
  for (const auto& [t, owners] : after->tenants) {
    REQUIRE(owners.size() == 1);
    on_w3 += owners[0] == "w3";
  }
  CHECK(on_w3 == moving);
}

TEST_CASE("a drained worker ends with no tenants; undrain brings some back") {
  mf::test::redis_server_fixture redis;
  auto reg = connect(redis);
  for (int i = 0; i < 20; ++i) REQUIRE(reg.create_tenant("t" + std::to_string(i)));
  beat_worker(reg, "w1");
  beat_worker(reg, "w2");
  beat_worker(reg, "w3");
  placement_manager pm(reg, 2, 1.25, 0ms);
  auto nodes = reg.list_nodes();
  REQUIRE(nodes);
  REQUIRE(pm.step(1, *nodes, steady::now()));
  REQUIRE(reg.set_draining("w2", true));
  nodes = reg.list_nodes();
  REQUIRE(nodes);
  const auto t0 = steady::now();
  REQUIRE(pm.step(1, *nodes, t0));
  REQUIRE(pm.step(1, *nodes, t0 + 1ms));  // grace 0: the staged step completes next round
  auto p = reg.get_placement();
  REQUIRE(p);
  for (const auto& [t, owners] : p->tenants) {
    CHECK(owners.size() == 2);
    CHECK(std::find(owners.begin(), owners.end(), "w2") == owners.end());
  }
  REQUIRE(reg.set_draining("w2", false));
  nodes = reg.list_nodes();
  REQUIRE(nodes);
  REQUIRE(pm.step(1, *nodes, steady::now()));
  p = reg.get_placement();
  REQUIRE(p);
  int on_w2 = 0;
  for (const auto& [t, owners] : p->tenants)
    on_w2 += std::find(owners.begin(), owners.end(), "w2") != owners.end();
  CHECK(on_w2 > 0);
}

namespace {

// Bytes Redis has sent to clients so far (INFO stats), to see what a step read.
std::int64_t redis_output_bytes(mf::cluster::redis_client& raw) {
  auto info = raw.command({"INFO", "stats"});
  REQUIRE(info);
  const std::string text(info->str());
  const std::string field = "total_net_output_bytes:";
  auto at = text.find(field);
  REQUIRE(at != std::string::npos);
  return std::stoll(text.substr(at + field.size()));
}

}  // namespace

TEST_CASE("a settled placement step reads the epoch only; outside writes and new tenants count") {
  mf::test::redis_server_fixture redis;
  auto reg = connect(redis);
  auto raw = mf::cluster::redis_client::connect(redis.url());
  REQUIRE(raw);
  for (int i = 0; i < 2000; ++i) REQUIRE(reg.create_tenant("tenant-" + std::to_string(i)));
  beat_worker(reg, "w1");
  beat_worker(reg, "w2");
  placement_manager pm(reg, 2, 1.25, 0ms);
  const auto first = step_live(pm, reg);
  CHECK(first > 0);
  auto written = reg.get_placement();
  REQUIRE(written);
  const auto placement_bytes = static_cast<std::int64_t>(mf::cluster::to_json(*written).size());

  // Nothing changed: no write, and the step did not fetch the placement (only names + epoch).
  for (int i = 0; i < 3; ++i) {
    const auto before = redis_output_bytes(*raw);
    CHECK(step_live(pm, reg) == 0);
    const auto read = redis_output_bytes(*raw) - before;
    MESSAGE("settled step: Redis sent " << read << " bytes (placement is " << placement_bytes
                                        << ")");
    CHECK(read < placement_bytes);
  }
  CHECK(reg.get_placement_epoch().value() == first);

  // An outside write (a placement someone else changed) is seen by its epoch and repaired.
  auto tampered = *written;
  tampered.epoch = first + 1;
  tampered.tenants["tenant-0"] = {"w1"};
  REQUIRE(reg.put_placement(tampered));
  const auto repaired = step_live(pm, reg);
  CHECK(repaired > tampered.epoch);
  auto now_stored = reg.get_placement();
  REQUIRE(now_stored);
  CHECK(now_stored->tenants.at("tenant-0").size() == 2);

  // A new tenant changes the inputs: placed on the next step.
  REQUIRE(reg.create_tenant("late-tenant"));
  const auto placed = step_live(pm, reg);
  CHECK(placed > repaired);
  now_stored = reg.get_placement();
  REQUIRE(now_stored);
  CHECK(now_stored->tenants.count("late-tenant") == 1);

  // A worker that leaves changes the inputs too.
  REQUIRE(reg.remove_node("w2"));
  CHECK(step_live(pm, reg) > placed);
  now_stored = reg.get_placement();
  REQUIRE(now_stored);
  for (const auto& [t, owners] : now_stored->tenants)
    CHECK(std::find(owners.begin(), owners.end(), "w2") == owners.end());
}
