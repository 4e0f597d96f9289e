#include "actors/router/membership_grace.hpp"

#include <algorithm>

namespace mf::router {

std::vector<std::string> keep_served_workers(std::vector<mf::cluster::node_record>& fresh,
                                             const std::vector<mf::cluster::node_record>& served,
                                             const std::set<std::string>& draining) {
  std::set<std::string> served_up;
  for (const auto& n : served)
    if (n.role == "worker" && n.state == mf::cluster::node_state::up) served_up.insert(n.node);
  std::vector<std::string> kept;
  for (auto& n : fresh) {
    if (n.role != "worker" || n.state != mf::cluster::node_state::down) continue;
    if (!served_up.count(n.node) || draining.count(n.node)) continue;
    n.state = mf::cluster::node_state::up;
    kept.push_back(n.node);
  }
  std::sort(kept.begin(), kept.end());
  return kept;
}

}  // namespace mf::router
