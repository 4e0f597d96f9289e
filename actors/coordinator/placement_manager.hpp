// placement_manager: keeps the stored placement equal to the rendezvous placement of the live
// workers, with staged moves and epoch fencing. Not thread-safe: driven by the control loop.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "cluster/placement.hpp"
#include "cluster/records.hpp"
#include "cluster/registry.hpp"
#include "common/expected.hpp"

namespace mf::coordinator {

using tenant_nodes = std::map<std::string, std::vector<std::string>>;

// A tenant move in progress: the target it is heading for and since when.
struct pending_move {
  std::vector<std::string> target;
  std::chrono::steady_clock::time_point since{};
};

// Pure staging rule. For each tenant, `target` is where it should go, `current` where it is.
// A tenant whose target drops a live owner gets target + those old owners (new ones first, so
// routers prefer them once loaded) until its move is older than `grace`; dead owners are
// dropped at once; tenants without old live owners jump straight to the target. `moves` is
// updated (started, kept, finished). Returns the placement to write now.
tenant_nodes stage_placement(const tenant_nodes& current, const tenant_nodes& target,
                             const std::vector<std::string>& alive_nodes,
                             std::map<std::string, pending_move>& moves,
                             std::chrono::steady_clock::time_point now,
                             std::chrono::milliseconds grace);

// Placement epochs are lease_epoch * epoch_stride + n: every epoch written by a newer leader is
// larger than any a deposed one can produce, so put_placement's "epoch > stored" check fences
// the old leader off even if it still believes it leads.
inline constexpr std::int64_t epoch_stride = 1'000'000;

// The epoch to write after `stored` under lease `lease_epoch`; errc::conflict if a newer leader
// already wrote (we are deposed).
mf::expected<std::int64_t> next_placement_epoch(std::int64_t stored, std::int64_t lease_epoch);

class placement_manager {
 public:
  placement_manager(cluster::registry& registry, int replicas, double load_bound,
                    std::chrono::milliseconds grace);

  // One reconciliation against `nodes` (from list_nodes). Writes and publishes a new placement
  // if it differs from the stored one; returns the epoch written, or 0 if nothing changed.
  // errc::conflict means a newer leader exists.
  mf::expected<std::int64_t> step(std::int64_t lease_epoch,
                                  const std::vector<cluster::node_record>& nodes,
                                  std::chrono::steady_clock::time_point now);
  // Forget in-memory move state (on leadership change).
  void reset() {
    moves_.clear();
    settled_.reset();
  }
  std::size_t moves_in_progress() const noexcept { return moves_.size(); }

 private:
  cluster::registry& registry_;
  int replicas_;
  double load_bound_;
  std::chrono::milliseconds grace_;
  std::map<std::string, pending_move> moves_;
  // The inputs of the last step that left the stored placement final (no staged move), and the
  // epoch it had. While the workers, the tenant names and that epoch stay the same, a step is
  // one epoch read instead of computing, fetching and comparing ~40 bytes per tenant.
  struct settled_inputs {
    std::vector<cluster::node_weight> weights;
    std::vector<std::string> tenants;
    std::int64_t epoch = 0;
  };
  std::optional<settled_inputs> settled_;
};

}  // namespace mf::coordinator
