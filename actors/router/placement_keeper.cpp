// placement_keeper: events are hints to reload now; the periodic resync (epoch and node list,
// the whole placement only when they moved) is what makes the cache correct after missed events,
// epoch gaps or a Redis restart. After a Redis outage the node list is filtered through the
// membership grace (membership_grace.hpp) before the forwarder sees it.
#include "actors/router/placement_keeper.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include <spdlog/spdlog.h>
#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>

#include "actors/router/membership_grace.hpp"
#include "cluster/redis_registry.hpp"
#include "cluster/redis_subscriber.hpp"

namespace mf::router {

namespace {

using tick_atom = caf::atom_constant<caf::atom("tick")>;
using listen_atom = caf::atom_constant<caf::atom("listen")>;
using flush_atom = caf::atom_constant<caf::atom("flush")>;
using outage_atom = caf::atom_constant<caf::atom("outage")>;  // the listener had to resubscribe

// Events are coalesced (why: creating 20,000 tenants publishes 20,000 events; a reload per event,
// each listing every tenant, kept a router busy for minutes): placement and membership events
// reload within `event_delay`, tenant events list the tenants at most once per `tenants_gap`.
constexpr std::chrono::milliseconds event_delay{20};
constexpr std::chrono::milliseconds tenants_gap{1000};

mf::cluster::redis_options lazy() {
  mf::cluster::redis_options o;
  o.lazy_connect = true;  // a router starts (and serves from its cache) while Redis is down
  o.command_timeout = std::chrono::milliseconds(1000);
  return o;
}

struct keeper_state {
  static constexpr const char* name = "placement_keeper";
  keeper_options options;
  predict_forwarder* forwarder = nullptr;
  std::optional<mf::cluster::redis_registry> registry;
  std::chrono::steady_clock::time_point last_heartbeat{};
  // Tenant rate limits: listing every tenant is the expensive part of a reload (10,000+
  // records), so it runs at start, on tenant events and every `tenants_every`, not every tick.
  std::map<std::string, std::int64_t> rate_limits;
  bool tenants_due = true;
  bool flush_scheduled = false;
  std::chrono::steady_clock::time_point tenants_loaded{};
  std::int64_t epoch = 0;  // of the cached placement
  std::size_t nodes = 0;
  std::uint64_t reloads = 0;
  std::uint64_t resyncs = 0;  // periodic checks done (most of them find nothing to reload)
  // What the forwarder's view depends on in the node list (heartbeat fields change every beat).
  std::vector<std::string> membership;
  // The nodes of the last view handed to the forwarder (after the grace was applied).
  std::vector<mf::cluster::node_record> served;
  membership_grace grace{std::chrono::milliseconds(0)};

  // Every Redis call's outcome goes through here: the grace window starts at a recovery.
  template <class T>
  bool noted(const mf::expected<T>& result) {
    if (result)
      grace.redis_ok(std::chrono::steady_clock::now());
    else
      grace.redis_failed();
    return static_cast<bool>(result);
  }

  // The node list as the forwarder should see it: right after an outage, workers Redis reports
  // down only because they could not beat are kept (membership_grace.hpp). False when a Redis
  // call failed (then nothing is reloaded).
  bool apply_grace(mf::cluster::redis_registry& r, std::vector<mf::cluster::node_record>& nodes,
                   bool log) {
    if (!grace.active(std::chrono::steady_clock::now())) return true;
    auto draining = r.draining_nodes();  // list_nodes hides the flag of a node without its key
    if (!noted(draining)) return false;
    const auto kept = keep_served_workers(nodes, served, *draining);
    if (log && !kept.empty()) {
      std::string names;
      for (const auto& k : kept) names += (names.empty() ? "" : ",") + k;
      spdlog::info("event=membership_grace kept={} (down in Redis after an outage, not yet beat)",
                   names);
    }
    return true;
  }

  mf::cluster::redis_registry* reg() {
    if (!registry) {
      auto r = mf::cluster::redis_registry::connect(options.redis_url, options.key_prefix, lazy());
      if (!r) return nullptr;
      registry.emplace(std::move(*r));
    }
    return &*registry;
  }

  void heartbeat_if_due() {
    const auto now = std::chrono::steady_clock::now();
    if (now - last_heartbeat < std::chrono::milliseconds(options.heartbeat_ttl_ms / 3)) return;
    auto* r = reg();
    if (!r) return grace.redis_failed();
    auto self = options.self;
    self.last_heartbeat = mf::cluster::now_unix_ms();
    self.inflight = static_cast<std::int64_t>(forwarder->stats().inflight);
    if (noted(r->heartbeat(self, options.heartbeat_ttl_ms))) last_heartbeat = now;
  }

  static std::vector<std::string> membership_of(
      const std::vector<mf::cluster::node_record>& nodes) {
    std::vector<std::string> out;
    out.reserve(nodes.size());
    for (const auto& n : nodes)
      out.push_back(n.node + '\n' + n.role + '\n' + n.address + '\n' +
                    std::to_string(static_cast<int>(n.state)) + '\n' +
                    std::to_string(n.protocol));  // an upgraded worker may take batches now
    std::sort(out.begin(), out.end());
    return out;
  }

  bool tenants_listing_due(std::chrono::steady_clock::time_point now) const {
    return (tenants_due && now - tenants_loaded >= tenants_gap) ||
           now - tenants_loaded >= options.tenants_every;
  }

  // The periodic resync: the epoch and the node list are small; the placement (~40 bytes of JSON
  // per tenant) is fetched, parsed and handed to the forwarder only when one of them moved.
  void resync() {
    ++resyncs;
    auto* r = reg();
    if (!r) return grace.redis_failed();
    auto stored = r->get_placement_epoch();
    if (!noted(stored)) return;
    auto members = r->list_nodes();
    if (!noted(members)) return;
    // Compared after the grace: a kept worker is no change, and the first resync after the
    // window sees the workers that never beat again as down and reloads.
    if (!apply_grace(*r, *members, false)) return;
    if (*stored == epoch && membership_of(*members) == membership &&
        !tenants_listing_due(std::chrono::steady_clock::now()))
      return;
    reload();
  }

  // On failure the forwarder keeps serving from the view it has.
  void reload() {
    auto* r = reg();
    if (!r) return grace.redis_failed();
    auto placement = r->get_placement();
    if (!noted(placement)) return;
    auto members = r->list_nodes();
    if (!noted(members)) return;
    if (!apply_grace(*r, *members, true)) return;
    const auto now = std::chrono::steady_clock::now();
    if (tenants_listing_due(now)) {
      if (auto tenants = r->list_tenants(); noted(tenants)) {
        rate_limits.clear();
        for (const auto& t : *tenants)
          if (t.quota.requests_per_second > 0) rate_limits[t.tenant] = t.quota.requests_per_second;
        tenants_due = false;
        tenants_loaded = now;
      }
    }
    cluster_view view{std::move(*placement), std::move(*members), rate_limits};
    epoch = view.placement.epoch;
    nodes = view.nodes.size();
    membership = membership_of(view.nodes);
    served = view.nodes;
    ++reloads;
    forwarder->update(std::move(view));
  }
};

using keeper_pointer = caf::stateful_actor<keeper_state>*;

void request_flush(keeper_pointer self, std::chrono::milliseconds delay) {
  if (self->state.flush_scheduled) return;
  self->state.flush_scheduled = true;
  self->delayed_send(self, delay, flush_atom::value);
}

// How long until the tenants may be listed again (at least the event delay).
std::chrono::milliseconds tenants_wait(const keeper_state& st) {
  const auto since = std::chrono::steady_clock::now() - st.tenants_loaded;
  if (since >= tenants_gap) return event_delay;
  return std::max(event_delay,
                  std::chrono::duration_cast<std::chrono::milliseconds>(tenants_gap - since));
}

void reload_with_tenants(keeper_pointer self) {
  self->state.tenants_due = true;
  request_flush(self, tenants_wait(self->state));
}

caf::behavior keeper(caf::stateful_actor<keeper_state>* self, keeper_options options,
                     predict_forwarder* forwarder) {
  auto& st = self->state;
  st.options = std::move(options);
  st.forwarder = forwarder;
  st.grace = membership_grace(st.options.membership_grace);
  st.heartbeat_if_due();
  st.reload();  // before the first message: the router is useful as soon as it says ready
  self->delayed_send(self, st.options.resync_every, tick_atom::value);
  return {
      [self](tick_atom) {
        auto& st = self->state;
        st.heartbeat_if_due();
        st.resync();
        self->delayed_send(self, st.options.resync_every, tick_atom::value);
      },
      [self](reload_atom) { request_flush(self, event_delay); },
      [self](tenants_atom) { reload_with_tenants(self); },
      [self](outage_atom) {
        // The subscription dropped: Redis was unreachable, maybe between two of our own calls,
        // so workers' liveness keys may have expired unseen. The reload is the recovery.
        self->state.grace.redis_failed();
        reload_with_tenants(self);
      },
      [self](epoch_atom, std::int64_t announced) {
        // Only a newer placement needs a reload; a jump of more than one epoch (missed
        // events) is covered by the same full reload.
        if (announced > self->state.epoch) request_flush(self, event_delay);
      },
      [self](flush_atom) {
        auto& st = self->state;
        st.flush_scheduled = false;
        st.reload();
        if (st.tenants_due) request_flush(self, tenants_wait(st));  // listed too recently
      },
      [self](cached_atom)
          -> caf::result<std::int64_t, std::uint64_t, std::uint64_t, std::uint64_t, std::uint64_t> {
        auto& st = self->state;
        return {st.epoch, static_cast<std::uint64_t>(st.nodes), st.reloads,
                static_cast<std::uint64_t>(st.rate_limits.size()), st.resyncs};
      },
      [self](leave_atom) -> bool {
        auto& st = self->state;
        bool removed = false;
        if (auto* r = st.reg()) removed = static_cast<bool>(r->remove_node(st.options.self.node));
        self->quit();
        return removed;
      },
  };
}

// Which keeper message an event payload asks for (nothing for events a router ignores).
void dispatch_event(const caf::actor& keeper_actor, const std::string& payload) {
  auto j = nlohmann::json::parse(payload, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return;
  auto type_it = j.find("type");
  if (type_it == j.end() || !type_it->is_string()) return;
  const auto type = type_it->get<std::string>();
  if (type == "placement") {
    auto e = j.find("epoch");
    if (e != j.end() && e->is_number_integer())
      caf::anon_send(keeper_actor, epoch_atom::value, e->get<std::int64_t>());
    else
      caf::anon_send(keeper_actor, reload_atom::value);
  } else if (type == "node_up" || type == "drain") {
    caf::anon_send(keeper_actor, reload_atom::value);
  } else if (type == "tenant_updated" || type == "tenant_deleted") {
    caf::anon_send(keeper_actor, tenants_atom::value);
  }
}

struct listener_state {
  static constexpr const char* name = "router_events";
  std::optional<mf::cluster::redis_subscriber> subscriber;
};

caf::behavior events_listener(caf::stateful_actor<listener_state>* self, keeper_options options,
                              caf::actor keeper_actor) {
  self->send(self, listen_atom::value);
  // The keeper's lifetime bounds the listener's.
  self->monitor(keeper_actor);
  self->set_down_handler([self](caf::down_msg&) { self->quit(); });
  return {
      [self, options, keeper_actor](listen_atom) {
        auto& st = self->state;
        if (!st.subscriber) {
          auto reg =
              mf::cluster::redis_registry::connect(options.redis_url, options.key_prefix, lazy());
          std::string channel = reg ? reg->events_channel() : options.key_prefix + "events";
          auto sub = mf::cluster::redis_subscriber::connect(options.redis_url, {channel}, lazy());
          if (!sub) {
            self->delayed_send(self, std::chrono::milliseconds(500), listen_atom::value);
            return;
          }
          st.subscriber.emplace(std::move(*sub));
        }
        // Bounded wait so the actor still sees its exit and down messages promptly.
        auto msg = st.subscriber->next_message(std::chrono::milliseconds(200));
        if (!msg) {  // Redis down: do not spin
          self->delayed_send(self, std::chrono::milliseconds(250), listen_atom::value);
          return;
        }
        if (*msg) {
          if ((*msg)->type == mf::cluster::pubsub_message::kind::resubscribed)
            caf::anon_send(keeper_actor, outage_atom::value);  // messages may have been missed
          else
            dispatch_event(keeper_actor, (*msg)->payload);
        }
        self->send(self, listen_atom::value);
      },
  };
}

}  // namespace

caf::actor spawn_placement_keeper(caf::actor_system& system, keeper_options options,
                                  predict_forwarder& forwarder) {
  auto keeper_actor = system.spawn<caf::detached>(keeper, options, &forwarder);
  system.spawn<caf::detached>(events_listener, std::move(options), keeper_actor);
  return keeper_actor;
}

}  // namespace mf::router
