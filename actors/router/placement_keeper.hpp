// placement_keeper: the router's CAF actors that own its placement cache. The keeper loads
// placement + nodes + tenant rate limits at start, reloads on Redis events (a newer placement
// epoch, a node joining, a drain, a tenant deleted, a resubscribe after missed messages) and
// every resync period, heartbeats this router's node record, and hands each new view to the
// predict forwarder (whose I/O thread only ever reads the view it was given: no Redis round
// trip on the predict path). The events listener turns pub/sub messages into keeper messages.
// Both are detached (they block on Redis); they talk to the rest of the router by messages only.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include <caf/actor.hpp>
#include <caf/atom.hpp>

#include "actors/router/predict_forwarder.hpp"
#include "cluster/records.hpp"

namespace caf {
class actor_system;
}

namespace mf::router {

using reload_atom = caf::atom_constant<caf::atom("reload")>;    // reload now (event hint)
using epoch_atom = caf::atom_constant<caf::atom("epoch")>;      // (epoch): placement event
using cached_atom = caf::atom_constant<caf::atom("cached")>;    // -> (epoch, nodes, reloads, ...)
using leave_atom = caf::atom_constant<caf::atom("leave")>;      // deregister, then quit -> bool
using tenants_atom = caf::atom_constant<caf::atom("tenants")>;  // reload incl. tenant limits

struct keeper_options {
  std::string redis_url;
  std::string key_prefix = "mf:";
  std::chrono::milliseconds resync_every{1000};
  std::chrono::milliseconds tenants_every{30000};  // tenant rate limits, besides their events
  mf::cluster::node_record self;                   // heartbeated with role "router"
  std::int64_t heartbeat_ttl_ms = 3000;
  // After the keeper's Redis calls recover from a failure, workers it served as up stay up for
  // this long even if their liveness key expired meanwhile (membership_grace.hpp). About one
  // worker heartbeat TTL: the workers' --heartbeat-ttl-ms defaults to 3000 too.
  std::chrono::milliseconds membership_grace{3000};
};

// Events: a newer placement epoch, node_up and drain reload placement + nodes; tenant_updated
// (quota set, tenant created), tenant_deleted and a resubscribe also reload the tenants' rate
// limits. A resubscribe also counts as a Redis outage for the membership grace.
// Spawns the keeper (which loads the state once before it handles anything else) and its
// events listener. `forwarder` must outlive the actor system. The keeper answers
// (cached_atom) -> (std::int64_t epoch, std::uint64_t nodes, std::uint64_t reloads,
// std::uint64_t tenants_with_rate_limit, std::uint64_t periodic_resyncs) and
// (leave_atom) -> bool (removes the router's node record; the keeper then quits).
caf::actor spawn_placement_keeper(caf::actor_system& system, keeper_options options,
                                  predict_forwarder& forwarder);

}  // namespace mf::router
