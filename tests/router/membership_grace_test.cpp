// The router's membership grace (actors/router/membership_grace.hpp), pure: when the window is
// open, and which workers Redis reports down are kept up in it.
#include <doctest/doctest.h>

#include <chrono>

#include "actors/router/membership_grace.hpp"

using namespace std::chrono_literals;
using mf::cluster::node_record;
using mf::cluster::node_state;
using mf::router::keep_served_workers;
using mf::router::membership_grace;

namespace {

node_record node(const std::string& name, node_state state, const std::string& role = "worker") {
  node_record n;
  n.node = name;
  n.role = role;
  n.state = state;
  n.address = "tcp://127.0.0.1:1";
  return n;
}

node_state state_of(const std::vector<node_record>& nodes, const std::string& name) {
  for (const auto& n : nodes)
    if (n.node == name) return n.state;
  FAIL("no node " << name);
  return node_state::down;
}

}  // namespace

TEST_CASE("membership grace: the window opens at a recovery and lasts `window`") {
  const auto t0 = membership_grace::clock::time_point{} + 1h;
  membership_grace g(3000ms);

  SUBCASE("never without a failure first: successes alone open nothing") {
    g.redis_ok(t0);
    CHECK_FALSE(g.active(t0));
    CHECK_FALSE(g.active(t0 + 1ms));
  }

  SUBCASE("closed while failing, open from the first success after, closed after the window") {
    g.redis_ok(t0);
    g.redis_failed();
    CHECK_FALSE(g.active(t0 + 1s));  // Redis still down: nothing is reloaded anyway
    g.redis_ok(t0 + 2s);
    CHECK(g.active(t0 + 2s));
    g.redis_ok(t0 + 3s);  // later successes do not move the start
    CHECK(g.active(t0 + 4999ms));
    CHECK_FALSE(g.active(t0 + 5s));
  }

  SUBCASE("a second outage restarts the window from its own recovery") {
    g.redis_failed();
    g.redis_ok(t0);
    g.redis_failed();
    CHECK_FALSE(g.active(t0 + 1s));
    g.redis_ok(t0 + 2s);
    CHECK(g.active(t0 + 4s));
    CHECK_FALSE(g.active(t0 + 5s));
  }
}

TEST_CASE("membership grace: which workers Redis reports down are kept up") {
  // Served before the outage: w1, w2 up, w3 draining, w4 down, w5 up, and a router.
  const std::vector<node_record> served = {
      node("w1", node_state::up),       node("w2", node_state::up),
      node("w3", node_state::draining), node("w4", node_state::down),
      node("w5", node_state::up),       node("r1", node_state::up, "router")};

  SUBCASE("served up, down now: kept; otherwise unchanged") {
    // After the outage every liveness key expired; w2 has beaten since (up), w5 is gone
    // (deregistered: no record), w6 is new and has not beaten.
    std::vector<node_record> fresh = {
        node("w1", node_state::down), node("w2", node_state::up),
        node("w3", node_state::down), node("w4", node_state::down),
        node("w6", node_state::down), node("r1", node_state::down, "router")};
    const auto kept = keep_served_workers(fresh, served, {});
    CHECK(kept == std::vector<std::string>{"w1"});
    CHECK(state_of(fresh, "w1") == node_state::up);
    CHECK(state_of(fresh, "w2") == node_state::up);
    CHECK(state_of(fresh, "w3") == node_state::down);  // was draining: not kept
    CHECK(state_of(fresh, "w4") == node_state::down);  // was already down
    CHECK(state_of(fresh, "w6") == node_state::down);  // never served
    CHECK(state_of(fresh, "r1") == node_state::down);  // only workers matter to the forwarder
    CHECK(fresh.size() == 6);  // w5's record is gone: it is not brought back
  }

  SUBCASE("the drain flag set meanwhile wins over the grace") {
    std::vector<node_record> fresh = {node("w1", node_state::down), node("w5", node_state::down)};
    const auto kept = keep_served_workers(fresh, served, {"w5"});
    CHECK(kept == std::vector<std::string>{"w1"});
    CHECK(state_of(fresh, "w5") == node_state::down);
  }

  SUBCASE("draining in Redis stays draining") {
    std::vector<node_record> fresh = {node("w1", node_state::draining)};
    CHECK(keep_served_workers(fresh, served, {"w1"}).empty());
    CHECK(state_of(fresh, "w1") == node_state::draining);
  }

  SUBCASE("nothing served yet (a router started during the outage): nothing kept") {
    std::vector<node_record> fresh = {node("w1", node_state::down)};
    CHECK(keep_served_workers(fresh, {}, {}).empty());
    CHECK(state_of(fresh, "w1") == node_state::down);
  }
}
