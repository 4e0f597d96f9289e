#include "cluster/placement.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <set>

namespace mf::cluster {
namespace {

// FNV-1a then the splitmix64 finaliser: stable across platforms and compilers (std::hash is
// not), and well mixed enough that scores of similar names are independent.
std::uint64_t hash64(const std::string& a, const std::string& b) noexcept {
  std::uint64_t h = 1469598103934665603ull;
  auto feed = [&](const std::string& s) {
    for (unsigned char c : s) {
      h ^= c;
      h *= 1099511628211ull;
    }
  };
  feed(a);
  h ^= 0xff;  // separator: ("ab","c") and ("a","bc") differ
  h *= 1099511628211ull;
  feed(b);
  h += 0x9e3779b97f4a7c15ull;
  h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ull;
  h = (h ^ (h >> 27)) * 0x94d049bb133111ebull;
  return h ^ (h >> 31);
}

}  // namespace

double rendezvous_hash01(const std::string& node, const std::string& tenant) noexcept {
  // 53 random bits, shifted by half a step so the result is never 0 or 1.
  return (static_cast<double>(hash64(node, tenant) >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}

std::map<std::string, std::vector<std::string>> compute_placement(
    const std::vector<node_weight>& nodes, const std::vector<std::string>& tenants, int replicas,
    double load_bound) {
  // Eligible nodes, deduplicated and sorted so the result does not depend on input order.
  std::map<std::string, double> eligible;
  for (const auto& n : nodes) {
    if (n.draining || !(n.weight > 0) || !std::isfinite(n.weight)) continue;
    eligible.emplace(n.node, n.weight);
  }
  std::vector<std::string> sorted_tenants(tenants.begin(), tenants.end());
  std::sort(sorted_tenants.begin(), sorted_tenants.end());
  sorted_tenants.erase(std::unique(sorted_tenants.begin(), sorted_tenants.end()),
                       sorted_tenants.end());

  std::map<std::string, std::vector<std::string>> out;
  const int r = std::min<int>(std::max(replicas, 0), static_cast<int>(eligible.size()));
  if (r == 0) {
    for (const auto& t : sorted_tenants) out[t] = {};
    return out;
  }

  std::vector<std::string> ids;
  std::vector<double> weights;
  double total_weight = 0;
  for (const auto& [id, w] : eligible) {
    ids.push_back(id);
    weights.push_back(w);
    total_weight += w;
  }
  const double slots = static_cast<double>(sorted_tenants.size()) * r;
  std::vector<long> capacity(ids.size());
  for (std::size_t i = 0; i < ids.size(); ++i) {
    double share = slots * weights[i] / total_weight;
    capacity[i] = std::max(static_cast<long>(std::ceil(share)),
                           static_cast<long>(std::floor(std::max(load_bound, 1.0) * share)));
  }
  std::vector<long> load(ids.size(), 0);

  // Weighted rendezvous: score = -w / ln(u) gives node i the tenant with probability w_i/W.
  std::vector<std::pair<double, std::size_t>> ranked(ids.size());
  for (const auto& t : sorted_tenants) {
    for (std::size_t i = 0; i < ids.size(); ++i) {
      ranked[i] = {-weights[i] / std::log(rendezvous_hash01(ids[i], t)), i};
    }
    std::sort(ranked.begin(), ranked.end(), [&](const auto& a, const auto& b) {
      return a.first != b.first ? a.first > b.first : ids[a.second] < ids[b.second];
    });
    auto& chosen = out[t];
    std::vector<bool> taken(ids.size(), false);
    for (const auto& [score, i] : ranked) {
      if (static_cast<int>(chosen.size()) == r) break;
      if (load[i] < capacity[i]) {
        chosen.push_back(ids[i]);
        taken[i] = true;
        ++load[i];
      }
    }
    // Only when every node with room is already chosen: exceed the bound rather than
    // under-replicate.
    for (const auto& [score, i] : ranked) {
      if (static_cast<int>(chosen.size()) == r) break;
      if (!taken[i]) {
        chosen.push_back(ids[i]);
        taken[i] = true;
        ++load[i];
      }
    }
  }
  return out;
}

}  // namespace mf::cluster
