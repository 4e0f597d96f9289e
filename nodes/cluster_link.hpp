// cluster_link: the worker's blocking Redis work as detached CAF actors: the registrar
// (heartbeat, placement resync, drain/deregister) and the events listener (pub/sub).
// Actor state is private to each actor; they talk to the rest of the node by messages only.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include <caf/actor.hpp>

#include "actors/model_host.hpp"
#include "actors/trainer.hpp"
#include "actors/worker_metrics.hpp"

namespace caf {
class actor_system;
}

namespace mf::nodes {

using drain_atom = caf::atom_constant<caf::atom("drain")>;
using deregister_atom = caf::atom_constant<caf::atom("dereg")>;
using resync_atom = caf::atom_constant<caf::atom("resync")>;

struct cluster_link_config {
  std::string node_id;
  std::string redis_url;
  std::string key_prefix = "mf:";
  std::string address;        // ZeroMQ endpoint
  std::string admin_address;  // admin HTTP URL
  std::uint32_t train_slots = 0;
  std::uint64_t memory_budget_bytes = 0;  // published in the node record
  std::chrono::milliseconds heartbeat{1000};
  std::chrono::milliseconds heartbeat_ttl{3000};
  std::shared_ptr<mf::actors::worker_metrics> metrics;
  mf::actors::model_host_actor host;
  mf::actors::trainer_actor trainer;
  // Set once Redis answered a heartbeat (readiness).
  std::shared_ptr<std::atomic<bool>> registered = std::make_shared<std::atomic<bool>>(false);
};

// Registrar: beats every `heartbeat`, re-reads placement when its epoch changes (and on
// resync_atom), answers (drain_atom) -> bool and (deregister_atom) -> bool.
caf::actor spawn_registrar(caf::actor_system& system, const cluster_link_config& config);

// Events listener: turns registry events into host/trainer messages; placement events and
// reconnects make `registrar` resync. Stops with the system.
caf::actor spawn_events_listener(caf::actor_system& system, const cluster_link_config& config,
                                 caf::actor registrar);

}  // namespace mf::nodes
