#include "actors/coordinator/placement_manager.hpp"

#include <algorithm>
#include <set>

#include <spdlog/spdlog.h>

#include "cluster/placement.hpp"

namespace mf::coordinator {

tenant_nodes stage_placement(const tenant_nodes& current, const tenant_nodes& target,
                             const std::vector<std::string>& alive_nodes,
                             std::map<std::string, pending_move>& moves,
                             std::chrono::steady_clock::time_point now,
                             std::chrono::milliseconds grace) {
  const std::set<std::string> alive(alive_nodes.begin(), alive_nodes.end());
  tenant_nodes out;
  for (const auto& [tenant, want] : target) {
    std::vector<std::string> old_live;  // current live owners the target drops
    if (auto it = current.find(tenant); it != current.end()) {
      for (const auto& n : it->second)
        if (alive.count(n) && std::find(want.begin(), want.end(), n) == want.end())
          old_live.push_back(n);
    }
    if (old_live.empty()) {
      moves.erase(tenant);
      out[tenant] = want;
      continue;
    }
    auto move = moves.find(tenant);
    if (move == moves.end() || move->second.target != want) {
      moves[tenant] = pending_move{want, now};
      move = moves.find(tenant);
    }
    if (now - move->second.since >= grace) {
      moves.erase(move);
      out[tenant] = want;
      continue;
    }
    std::vector<std::string> staged = want;
    staged.insert(staged.end(), old_live.begin(), old_live.end());
    out[tenant] = std::move(staged);
  }
  // Tenants that no longer exist: forget their moves.
  for (auto it = moves.begin(); it != moves.end();)
    it = target.count(it->first) ? std::next(it) : moves.erase(it);
  return out;
}

mf::expected<std::int64_t> next_placement_epoch(std::int64_t stored, std::int64_t lease_epoch) {
  const std::int64_t base = lease_epoch * epoch_stride;
  if (stored >= base + epoch_stride)
    return mf::make_error(errc::conflict, "placement epoch " + std::to_string(stored) +
                                              " was written by a newer leader");
  return std::max(stored, base) + 1;
}

placement_manager::placement_manager(cluster::registry& registry, int replicas, double load_bound,
                                     std::chrono::milliseconds grace)
    : registry_(registry), replicas_(replicas), load_bound_(load_bound), grace_(grace) {}

mf::expected<std::int64_t> placement_manager::step(std::int64_t lease_epoch,
                                                   const std::vector<cluster::node_record>& nodes,
                                                   std::chrono::steady_clock::time_point now) {
  std::vector<cluster::node_weight> weights;
  std::vector<std::string> alive;
  for (const auto& n : nodes) {
    if (n.role != "worker" || n.state == cluster::node_state::down) continue;
    alive.push_back(n.node);
    weights.push_back(cluster::node_weight{n.node, n.weight > 0 ? n.weight : 1.0,
                                           n.state == cluster::node_state::draining});
  }
  // Names only: one SMEMBERS per step, whatever the tenant count.
  auto listed = registry_.list_tenant_names();
  if (!listed) return listed.error();
  const std::vector<std::string>& names = *listed;
  if (settled_ && moves_.empty() && settled_->weights == weights && settled_->tenants == names) {
    auto stored = registry_.get_placement_epoch();
    if (!stored) return stored.error();
    if (*stored == settled_->epoch) return std::int64_t{0};
  }
  settled_.reset();

  const tenant_nodes target = cluster::compute_placement(weights, names, replicas_, load_bound_);
  auto current = registry_.get_placement();
  if (!current) return current.error();
  // No live worker at all: keep the placement as it is. Nothing can serve it either way, and the
  // usual cause is not a dead cluster but a Redis outage longer than the heartbeat TTL, after
  // which every `alive` key has expired until the workers' next beats. Writing an empty
  // placement then made every worker evict all its models and load them again moments later
  // (seen in fault 3 of chaos_redis_test under CPU load: 119 predictions answered 503).
  if (alive.empty() && std::any_of(current->tenants.begin(), current->tenants.end(),
                                   [](const auto& kv) { return !kv.second.empty(); }))
    return std::int64_t{0};
  tenant_nodes desired = stage_placement(current->tenants, target, alive, moves_, now, grace_);
  if (desired == current->tenants && current->replicas == replicas_ && current->epoch != 0) {
    if (moves_.empty()) settled_ = settled_inputs{std::move(weights), names, current->epoch};
    return std::int64_t{0};
  }

  auto epoch = next_placement_epoch(current->epoch, lease_epoch);
  if (!epoch) return epoch.error();
  cluster::placement next;
  next.epoch = *epoch;
  next.replicas = replicas_;
  next.tenants = std::move(desired);
  if (auto put = registry_.put_placement(next); !put) return put.error();
  if (moves_.empty()) settled_ = settled_inputs{std::move(weights), names, next.epoch};
  spdlog::info("coordinator: placement epoch {} ({} tenants, {} workers, {} moves staged)",
               next.epoch, next.tenants.size(), alive.size(), moves_.size());
  return next.epoch;
}

}  // namespace mf::coordinator
