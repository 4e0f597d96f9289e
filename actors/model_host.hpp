// model_host: the actor that owns the worker's model cache and publishes what predictors may read.
// Actor state is private to the actor; the snapshot_cell and worker_metrics it writes are
// thread-safe.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <caf/typed_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/messages.hpp"
#include "actors/model_source.hpp"
#include "actors/snapshot.hpp"
#include "actors/worker_metrics.hpp"

namespace caf {
class actor_system;
}

namespace mf::actors {

// Lifecycle of a model version in this host (TF-Serving style, enforced by the code paths):
//   absent -> loading (pending, single flight) -> resident (in cache + snapshot) -> gone
//   loading -> absent (load failed, deleted while loading: waiters get the error)
//   resident -> gone (evicted / deleted / tenant moved; leases keep memory until released)
// Activation loads the new version first and swaps the snapshot only when it is resident
// (availability first), so no request ever sees "no model" or a mix of versions.
using model_host_actor = caf::typed_actor<
    // A lease on (tenant, model, version|-1 = active); single-flight loads a cold model.
    caf::replies_to<load_atom, lease_request>::with<lease_reply>,
    // Model events from the registry channel. remove/evict with version 0 = every version.
    caf::reacts_to<activate_atom, model_key>, caf::reacts_to<remove_atom, model_key>,
    caf::reacts_to<evict_atom, model_key>, caf::reacts_to<drop_tenant_atom, std::string>,
    // The tenants placed on this node: evicts the others, preloads the new ones.
    caf::reacts_to<placement_atom, std::vector<std::string>>,
    caf::reacts_to<pin_atom, model_key, bool>,
    caf::reacts_to<quota_atom, std::string, std::uint64_t>,  // 0 = no quota
    caf::replies_to<stats_atom>::with<host_stats>, caf::reacts_to<tick_atom>,
    // Internal: one snapshot publish for all loads finished since the last one; expiry of
    // waiters whose deadline passed while their model loads.
    caf::reacts_to<publish_atom>, caf::reacts_to<expire_atom>>;

struct model_host_config {
  std::size_t budget_bytes = std::size_t{1} << 30;
  std::size_t loaders = 2;  // detached loader threads (blocking blob/registry I/O + deserialize)
  model_source_factory source_factory;
  // Loads that need no I/O wait (model_source::load_if_cached) run on the host itself: a miss
  // then costs no loader round trip (two thread wake-ups and two messages).
  bool inline_loads = true;
  std::shared_ptr<snapshot_cell> cell;
  std::shared_ptr<worker_metrics> metrics;
  // Housekeeping period: gauges, malloc_trim after releases.
  std::chrono::milliseconds tick_interval{500};
  std::function<void(const std::string&)> log;  // one line per event; may be empty
  // One line per model loaded or evicted (routine churn: thousands per second under a cold
  // workload, so the worker logs these at debug level); may be empty.
  std::function<void(const std::string&)> trace;
};

model_host_actor spawn_model_host(caf::actor_system& system, model_host_config config);

}  // namespace mf::actors
