// The router's placement keeper (CAF actors) against a real redis-server: it loads the state
// before it answers, follows placement events and node joins without waiting for its periodic
// resync (set to a minute here, so only events can explain a reload), ignores stale epochs,
// deregisters the router on leave, and keeps serving workers whose liveness key expired during a
// Redis outage for its membership grace window.
#include <doctest/doctest.h>

#include <chrono>
#include <memory>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>

#include "actors/router/placement_keeper.hpp"
#include "actors/router/predict_forwarder.hpp"
#include "cluster/record_json.hpp"
#include "cluster/redis_client.hpp"
#include "cluster/redis_registry.hpp"
#include "cluster/redis_subscriber.hpp"
#include "common/expected.hpp"
#include "tests/support/redis_server_fixture.hpp"
#include "tests/support/wait_until.hpp"

using namespace std::chrono_literals;
using namespace mf::router;

namespace {

struct cached {
  std::int64_t epoch = -1;
  std::uint64_t nodes = 0, reloads = 0, limited = 0, resyncs = 0;
};

cached ask(caf::actor_system& sys, const caf::actor& keeper) {
  cached c;
  caf::scoped_actor self{sys};
  self->request(keeper, 5s, cached_atom::value)
      .receive(
          [&](std::int64_t e, std::uint64_t n, std::uint64_t r, std::uint64_t l, std::uint64_t s) {
            c.epoch = e;
            c.nodes = n;
            c.reloads = r;
            c.limited = l;
            c.resyncs = s;
          },
          [](caf::error&) {});
  return c;
}

// The keeper of router "r1" with the given periodic resync.
keeper_options router_keeper(const std::string& redis_url, std::chrono::milliseconds resync) {
  keeper_options ko;
  ko.redis_url = redis_url;
  ko.resync_every = resync;
  ko.self.node = "r1";
  ko.self.role = "router";
  return ko;
}

mf::cluster::node_record worker(const std::string& name) {
  mf::cluster::node_record n;
  n.node = name;
  n.role = "worker";
  n.address = "tcp://127.0.0.1:1";
  return n;
}

caf::actor_system_config& one_scheduler_thread(caf::actor_system_config& cfg) {
  cfg.set("scheduler.max-threads", std::size_t{1});
  return cfg;
}

// What a keeper test runs against: Redis holding worker w1 and `placement`, a forwarder, and a
// one-thread actor system (members in construction order).
struct keeper_rig {
  mf::test::redis_server_fixture redis;
  mf::expected<mf::cluster::redis_registry> reg;
  mf::expected<std::unique_ptr<predict_forwarder>> forwarder;
  caf::actor_system_config cfg;
  caf::actor_system sys;

  explicit keeper_rig(const mf::cluster::placement& placement,
                      mf::test::redis_server_options redis_options = {})
      : redis(std::move(redis_options)),
        reg(mf::cluster::redis_registry::connect(redis.url(), "mf:")),
        forwarder(predict_forwarder::start({})),
        sys(one_scheduler_thread(cfg)) {
    REQUIRE(reg);
    REQUIRE(forwarder);
    REQUIRE(reg->heartbeat(worker("w1"), 60000));
    REQUIRE(reg->put_placement(placement));
  }
};

}  // namespace

TEST_CASE("placement keeper: loads at start, follows events, deregisters on leave") {
  mf::cluster::placement p;
  p.epoch = 3;
  p.tenants["t1"] = {"w1"};
  keeper_rig rig(p);
  auto& [redis, reg, forwarder, cfg, sys] = rig;
  // Only events may cause a reload within this test.
  auto keeper = spawn_placement_keeper(sys, router_keeper(redis.url(), 60s), **forwarder);

  // The first answer already reflects Redis (the keeper loads before its first message).
  auto first = ask(sys, keeper);
  CHECK(first.epoch == 3);
  CHECK(first.nodes == 2);  // w1 and the router itself (heartbeated before the load)
  // update() hands the view to the forwarder's I/O thread: it applies it shortly after.
  CHECK(mf::test::wait_until([&] { return (*forwarder)->stats().epoch == 3; }, 2000ms));

  // Wait until the listener is subscribed: an event it sees moves the reload count.
  REQUIRE(mf::test::wait_until(
      [&] {
        (void)reg->publish_event(R"({"type":"drain","node":"w1","draining":false})");
        return ask(sys, keeper).reloads > first.reloads;
      },
      5000ms));

  SUBCASE("a newer placement epoch is picked up from its event") {
    p.epoch = 4;
    p.tenants["t2"] = {"w1"};
    REQUIRE(reg->put_placement(p));
    CHECK(mf::test::wait_until([&] { return ask(sys, keeper).epoch == 4; }, 3000ms));
    CHECK(mf::test::wait_until([&] { return (*forwarder)->stats().epoch == 4; }, 2000ms));
  }

  SUBCASE("a stale or repeated epoch does not cause a reload") {
    const auto before = ask(sys, keeper).reloads;
    caf::anon_send(keeper, epoch_atom::value, std::int64_t{3});
    caf::anon_send(keeper, epoch_atom::value, std::int64_t{1});
    const auto after = ask(sys, keeper);  // handled in order, after the two above
    CHECK(after.reloads == before);
    CHECK(after.epoch == 3);
  }

  SUBCASE("a joining worker is seen at once, not at the next resync") {
    const auto t0 = std::chrono::steady_clock::now();
    REQUIRE(reg->heartbeat(worker("w2"), 60000));  // first beat: publishes node_up
    CHECK(mf::test::wait_until([&] { return ask(sys, keeper).nodes == 3; }, 3000ms));
    const auto seen_after = std::chrono::steady_clock::now() - t0;
    MESSAGE("router saw the new worker after "
            << std::chrono::duration_cast<std::chrono::milliseconds>(seen_after).count() << " ms");
    CHECK(seen_after < 3s);
  }

  SUBCASE("a tenant's new rate limit is picked up from its event, not a 30 s listing") {
    REQUIRE(reg->create_tenant("t1"));
    CHECK(ask(sys, keeper).limited == 0);
    mf::cluster::tenant_quota limited;
    limited.requests_per_second = 5;
    REQUIRE(reg->set_quota("t1", limited));
    CHECK(mf::test::wait_until([&] { return ask(sys, keeper).limited == 1; }, 3000ms));
  }

  SUBCASE("garbage events change nothing") {
    const auto before = ask(sys, keeper);
    for (const char* junk : {"", "{", "[]", "null", R"({"type":7})", R"({"type":"placement"})",
                             R"({"type":"placement","epoch":"9"})", "\xff\xfe"})
      (void)reg->publish_event(junk);
    // A later real event proves the listener survived the junk before it.
    p.epoch = 5;
    REQUIRE(reg->put_placement(p));
    CHECK(mf::test::wait_until([&] { return ask(sys, keeper).epoch == 5; }, 3000ms));
    CHECK(before.epoch == 3);
  }

  // leave removes this router's node record and stops the keeper.
  bool removed = false;
  {
    caf::scoped_actor self{sys};
    self->request(keeper, 5s, leave_atom::value)
        .receive([&](bool ok) { removed = ok; }, [](caf::error&) {});
  }
  CHECK(removed);
  auto nodes = reg->list_nodes();
  REQUIRE(nodes);
  for (const auto& n : *nodes) CHECK(n.node != "r1");
  destroy(keeper);
}

TEST_CASE("placement keeper: the periodic resync reloads only when the epoch or the nodes moved") {
  mf::cluster::placement p;
  p.epoch = 3;
  for (int i = 0; i < 2000; ++i) p.tenants["t" + std::to_string(i)] = {"w1"};
  keeper_rig rig(p);
  auto& [redis, reg, forwarder, cfg, sys] = rig;
  auto keeper = spawn_placement_keeper(sys, router_keeper(redis.url(), 20ms), **forwarder);
  // Settle first: the listener's subscription (a tenant listing) and the router's own join
  // cause reloads. Settled = five resyncs in a row without one.
  cached settled;
  REQUIRE(mf::test::wait_until(
      [&] {
        auto before = ask(sys, keeper);
        if (!mf::test::wait_until([&] { return ask(sys, keeper).resyncs >= before.resyncs + 5; },
                                  2000ms))
          return false;
        settled = ask(sys, keeper);
        return settled.reloads == before.reloads;
      },
      10000ms));

  // Heartbeats change the node records every beat, not the membership: no reload.
  mf::cluster::node_record busy = worker("w1");
  busy.inflight = 17;
  REQUIRE(reg->heartbeat(busy, 60000));
  REQUIRE(mf::test::wait_until([&] { return ask(sys, keeper).resyncs >= settled.resyncs + 10; },
                               5000ms));
  auto quiet = ask(sys, keeper);
  CHECK(quiet.reloads == settled.reloads);
  CHECK(quiet.epoch == 3);
  MESSAGE("resyncs " << quiet.resyncs - settled.resyncs << " without a reload");

  // A placement written without an event (a missed event) is found by the epoch check.
  auto raw = mf::cluster::redis_client::connect(redis.url());
  REQUIRE(raw);
  p.epoch = 9;
  p.tenants["late"] = {"w1"};
  REQUIRE(raw->command({"SET", "mf:placement", mf::cluster::to_json(p)}));
  REQUIRE(raw->command({"SET", "mf:placement:epoch", "9"}));
  CHECK(mf::test::wait_until([&] { return ask(sys, keeper).epoch == 9; }, 3000ms));
  CHECK(mf::test::wait_until([&] { return (*forwarder)->stats().epoch == 9; }, 2000ms));
  CHECK(ask(sys, keeper).reloads == settled.reloads + 1);
  // leave stops the keeper (and with it the listener): the actor system can then shut down.
  caf::scoped_actor self{sys};
  self->request(keeper, 5s, leave_atom::value).receive([](bool) {}, [](caf::error&) {});
  destroy(keeper);
}

TEST_CASE("placement keeper: after a Redis outage, served workers are kept for the grace") {
  mf::cluster::placement p;
  p.epoch = 3;
  p.tenants["t1"] = {"w1", "w2"};
  mf::test::redis_server_options persistent;
  persistent.appendonly = true;  // the restart keeps the node records, as in production
  keeper_rig rig(p, persistent);
  auto& [redis, reg, forwarder, cfg, sys] = rig;
  auto ko = router_keeper(redis.url(), 100ms);
  ko.membership_grace = 1500ms;
  REQUIRE(reg->heartbeat(worker("w2"), 60000));
  auto keeper = spawn_placement_keeper(sys, ko, **forwarder);
  REQUIRE(mf::test::wait_until([&] { return (*forwarder)->stats().workers_up == 2; }, 3000ms));

  // The keys now outlive the last beats by 300 ms only; the outage lasts longer, so they expire
  // while neither the workers nor the router can reach Redis.
  REQUIRE(reg->heartbeat(worker("w1"), 300));
  REQUIRE(reg->heartbeat(worker("w2"), 300));
  const auto beat = std::chrono::steady_clock::now();
  redis.kill9();
  // The outage has to outlast the key (a duration the scenario needs, not a synchronisation).
  REQUIRE(mf::test::wait_until([&] { return std::chrono::steady_clock::now() - beat >= 600ms; },
                               5000ms));
  const auto restarting = std::chrono::steady_clock::now();
  redis.restart();
  REQUIRE(mf::test::wait_until([&] { return static_cast<bool>(reg->list_nodes()); }, 5000ms));
  auto listed = reg->list_nodes();
  REQUIRE(listed);
  std::size_t down = 0;
  for (const auto& n : *listed)
    if (n.role == "worker" && n.state == mf::cluster::node_state::down) ++down;
  REQUIRE_MESSAGE(down == 2, "the liveness keys should have expired during the outage");
  // w2 is drained before it beats again: the drain flag wins over the grace.
  REQUIRE(reg->set_draining("w2", true));

  // A new placement after that: once the forwarder has its epoch, it has a node list read after
  // the outage, in which Redis says both are down. The grace keeps w1 only.
  p.epoch = 4;
  REQUIRE(reg->put_placement(p));
  REQUIRE(mf::test::wait_until([&] { return (*forwarder)->stats().epoch == 4; }, 3000ms));
  CHECK((*forwarder)->stats().workers_up == 1);

  // Nobody beats again: w1 is dropped once the window (counted from the keeper's own
  // recovery, so not before `restarting` + 1.5 s) is over.
  REQUIRE(mf::test::wait_until([&] { return (*forwarder)->stats().workers_up == 0; }, 5000ms));
  const auto dropped_after = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - restarting);
  MESSAGE("w1 dropped " << dropped_after.count() << " ms after the Redis restart began");
  CHECK(dropped_after >= 1500ms);

  caf::scoped_actor self{sys};
  self->request(keeper, 5s, leave_atom::value).receive([](bool) {}, [](caf::error&) {});
  destroy(keeper);
}

TEST_CASE("registry: a heartbeat publishes node_up only when the node joins or comes back") {
  mf::test::redis_server_fixture redis;
  auto reg = mf::cluster::redis_registry::connect(redis.url(), "mf:");
  REQUIRE(reg);
  auto sub = mf::cluster::redis_subscriber::connect(redis.url(), {reg->events_channel()});
  REQUIRE(sub);
  auto next_node_up = [&](std::chrono::milliseconds wait) {
    auto m = sub->next_message(wait);
    return m && *m && (*m)->payload.find("\"node_up\"") != std::string::npos;
  };
  REQUIRE(reg->heartbeat(worker("w1"), 300));
  CHECK(next_node_up(2000ms));
  REQUIRE(reg->heartbeat(worker("w1"), 300));  // still alive: no event
  CHECK_FALSE(next_node_up(300ms));
  // Let the liveness key expire: the next beat is a comeback.
  REQUIRE(mf::test::wait_until(
      [&] {
        auto nodes = reg->list_nodes();
        return nodes && nodes->size() == 1 && (*nodes)[0].state == mf::cluster::node_state::down;
      },
      3000ms));
  REQUIRE(reg->heartbeat(worker("w1"), 300));
  CHECK(next_node_up(2000ms));
}
