// Property tests of compute_placement: determinism, replica counts, balance, movement on
// N -> N±1 nodes over thousands of tenants and random node sets, draining, weights.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <random>
#include <set>

#include "cluster/placement.hpp"

using namespace mf::cluster;
using assignment = std::map<std::string, std::vector<std::string>>;

namespace {

std::vector<std::string> make_tenants(int n, std::mt19937& rng) {
  std::vector<std::string> out;
  std::uniform_int_distribution<int> salt(0, 1 << 30);
  for (int i = 0; i < n; ++i)
    out.push_back("tenant-" + std::to_string(i) + "-" + std::to_string(salt(rng)));
  return out;
}

std::vector<node_weight> make_nodes(int n, std::mt19937& rng) {
  std::vector<node_weight> out;
  std::uniform_int_distribution<int> id(0, 1 << 30);
  std::set<std::string> seen;
  while (static_cast<int>(out.size()) < n) {
    std::string name = "w" + std::to_string(id(rng));
    if (seen.insert(name).second) out.push_back({name, 1.0, false});
  }
  return out;
}

// Fraction of replica slots whose node changed.
double moved(const assignment& a, const assignment& b, int replicas) {
  std::size_t moved = 0, slots = 0;
  for (const auto& [t, nodes] : a) {
    const auto& other = b.at(t);
    std::set<std::string> before(nodes.begin(), nodes.end());
    for (const auto& n : other) moved += before.count(n) == 0;
    slots += static_cast<std::size_t>(replicas);
  }
  return static_cast<double>(moved) / static_cast<double>(slots);
}

std::map<std::string, int> loads(const assignment& a) {
  std::map<std::string, int> out;
  for (const auto& [t, nodes] : a) {
    for (const auto& n : nodes) ++out[n];
  }
  return out;
}

double max_over_mean(const assignment& a, int node_count) {
  auto l = loads(a);
  double total = 0, max = 0;
  for (const auto& [n, c] : l) {
    total += c;
    max = std::max<double>(max, c);
  }
  return max / (total / node_count);
}

}  // namespace

TEST_CASE("placement is deterministic, input-order independent, with distinct replicas") {
  std::mt19937 rng(7);
  auto tenants = make_tenants(500, rng);
  auto nodes = make_nodes(6, rng);
  auto a = compute_placement(nodes, tenants, 3);
  std::shuffle(tenants.begin(), tenants.end(), rng);
  std::shuffle(nodes.begin(), nodes.end(), rng);
  auto b = compute_placement(nodes, tenants, 3);
  CHECK(a == b);
  REQUIRE(a.size() == 500);
  for (const auto& [t, ns] : a) {
    REQUIRE(ns.size() == 3);
    CHECK(std::set<std::string>(ns.begin(), ns.end()).size() == 3);
  }
  // More replicas than nodes: every node once. No nodes: empty lists.
  auto few = compute_placement({{"a", 1, false}, {"b", 1, false}}, {"t"}, 3);
  CHECK(few.at("t").size() == 2);
  auto none = compute_placement({}, {"t"}, 2);
  CHECK(none.at("t").empty());
  CHECK(rendezvous_hash01("a", "b") > 0.0);
  CHECK(rendezvous_hash01("a", "b") < 1.0);
  CHECK(rendezvous_hash01("ab", "c") != rendezvous_hash01("a", "bc"));
}

TEST_CASE("balance: max/mean <= 1.25 at 1,000 tenants on 4 nodes") {
  std::mt19937 rng(11);
  for (int trial = 0; trial < 20; ++trial) {
    auto tenants = make_tenants(1000, rng);
    auto nodes = make_nodes(4, rng);
    for (int r : {1, 2}) {
      auto a = compute_placement(nodes, tenants, r);
      double ratio = max_over_mean(a, 4);
      CAPTURE(trial);
      CAPTURE(r);
      CHECK(ratio <= 1.25);
    }
  }
}

TEST_CASE("movement: N -> N+1 and N -> N-1 move at most 1.2/N + 0.02 of the slots") {
  std::mt19937 rng(2024);
  const double eps = 0.02;
  double worst_ratio = 0;  // observed movement / (1/N)
  int checks = 0;
  for (int trial = 0; trial < 40; ++trial) {
    std::uniform_int_distribution<int> n_dist(2, 16);
    const int n = n_dist(rng);
    const int replicas = 1 + trial % 3;
    if (replicas >= n) continue;
    auto tenants = make_tenants(2000, rng);
    auto nodes = make_nodes(n, rng);
    auto before = compute_placement(nodes, tenants, replicas);

    auto grown = nodes;
    grown.push_back(make_nodes(1, rng).front());
    auto after_add = compute_placement(grown, tenants, replicas);
    double m_add = moved(before, after_add, replicas);

    auto shrunk = nodes;
    shrunk.erase(shrunk.begin() + std::uniform_int_distribution<int>(0, n - 1)(rng));
    auto after_remove = compute_placement(shrunk, tenants, replicas);
    double m_remove = moved(before, after_remove, replicas);

    CAPTURE(trial);
    CAPTURE(n);
    CAPTURE(replicas);
    CHECK(m_add <= 1.2 / n + eps);
    CHECK(m_remove <= 1.2 / n + eps);
    CHECK(m_add > 0);  // the new node does get a share
    worst_ratio = std::max({worst_ratio, m_add * n, m_remove * n});
    checks += 2;
  }
  MESSAGE("movement checks: " << checks << ", worst movement x N = " << worst_ratio);
  CHECK(checks >= 40);
}

TEST_CASE("a draining node gets nothing; only its tenants move") {
  std::mt19937 rng(5);
  auto tenants = make_tenants(2000, rng);
  auto nodes = make_nodes(5, rng);
  auto before = compute_placement(nodes, tenants, 2);
  nodes[2].draining = true;
  auto after = compute_placement(nodes, tenants, 2);
  auto l = loads(after);
  CHECK(l.count(nodes[2].node) == 0);
  for (const auto& [t, ns] : after) CHECK(ns.size() == 2);
  CHECK(moved(before, after, 2) <= 1.2 / 5 + 0.02);
  // Everyone draining: nothing assigned rather than a crash.
  for (auto& n : nodes) n.draining = true;
  auto empty = compute_placement(nodes, tenants, 2);
  CHECK(empty.at(tenants[0]).empty());
}

TEST_CASE("weights shift the share") {
  std::mt19937 rng(9);
  auto tenants = make_tenants(3000, rng);
  std::vector<node_weight> nodes{{"a", 1.0, false}, {"b", 1.0, false}, {"c", 2.0, false}};
  auto l = loads(compute_placement(nodes, tenants, 1));
  CHECK(l["c"] > 1.6 * l["a"]);
  CHECK(l["c"] < 2.5 * l["a"]);
  // Non-positive or NaN weights are ignored like absent nodes.
  nodes.push_back({"z", 0.0, false});
  nodes.push_back({"n", std::numeric_limits<double>::quiet_NaN(), false});
  auto l2 = loads(compute_placement(nodes, tenants, 1));
  CHECK(l2.count("z") == 0);
  CHECK(l2.count("n") == 0);
}
