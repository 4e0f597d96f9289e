// compute_placement: which nodes hold which tenants. Weighted rendezvous (highest random
// weight) hashing with R replicas and a per-node load bound. Pure and deterministic; thread-safe.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace mf::cluster {

struct node_weight {
  std::string node;
  double weight = 1.0;    // share of tenants relative to the others (> 0)
  bool draining = false;  // a draining node is given nothing
  bool operator==(const node_weight&) const = default;
};

// Tenant -> ordered replica list (first = preferred). Each tenant gets min(replicas, eligible
// nodes) distinct nodes. A node holds at most max(ceil(share), floor(load_bound * share))
// replica slots, share = slots * weight / total weight: above that a tenant falls through to
// its next choice. Changing N nodes by one moves about 1/N of the slots. Input order does not
// matter; duplicate node ids count once.
std::map<std::string, std::vector<std::string>> compute_placement(
    const std::vector<node_weight>& nodes, const std::vector<std::string>& tenants, int replicas,
    double load_bound = 1.25);

// The rendezvous score of (node, tenant) before weighting, uniform in (0, 1). Exposed for tests.
double rendezvous_hash01(const std::string& node, const std::string& tenant) noexcept;

}  // namespace mf::cluster
