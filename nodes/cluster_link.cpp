#include "nodes/cluster_link.hpp"

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <optional>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>

#include "cluster/redis_registry.hpp"
#include "cluster/redis_subscriber.hpp"
#include "protocol/messages.hpp"

namespace mf::nodes {

namespace {

using mf::actors::beat_atom;
using mf::actors::poll_atom;

mf::cluster::redis_options lazy() {
  mf::cluster::redis_options o;
  o.lazy_connect = true;
  o.command_timeout = std::chrono::milliseconds(1000);
  return o;
}

struct registrar_state {
  cluster_link_config cfg;
  std::optional<mf::cluster::redis_registry> registry;
  std::int64_t placement_epoch = -1;
  bool redis_ok = true;  // last known, for one log line per transition
  // Set by deregister: a heartbeat already on the clock must not write the record back (it did,
  // under ASan in CI: the node stayed listed after a clean SIGTERM until its TTL ran out).
  bool deregistered = false;

  mf::cluster::redis_registry* reg() {
    if (!registry) {
      auto r = mf::cluster::redis_registry::connect(cfg.redis_url, cfg.key_prefix, lazy());
      if (!r) return nullptr;
      registry.emplace(std::move(*r));
    }
    return &*registry;
  }
  void note(bool ok, const std::string& what) {
    if (ok != redis_ok) {
      if (ok)
        spdlog::info("event=redis_reachable");
      else
        spdlog::warn("event=redis_unreachable during={} (serving from memory)", what);
    }
    redis_ok = ok;
  }
  mf::cluster::node_record record() const {
    const auto& m = *cfg.metrics;
    mf::cluster::node_record r;
    r.node = cfg.node_id;
    r.role = "worker";
    r.address = cfg.address;
    r.admin_address = cfg.admin_address;
    r.tenants = static_cast<std::int64_t>(m.tenants_placed.load());
    r.models_loaded = static_cast<std::int64_t>(m.models_loaded.load());
    r.memory_bytes = static_cast<std::int64_t>(m.memory_bytes.load());
    r.memory_budget_bytes = static_cast<std::int64_t>(cfg.memory_budget_bytes);
    r.inflight = m.predict_inflight.load();
    r.training_slots = cfg.train_slots;
    r.training_busy = m.train_running.load();
    r.protocol = mf::protocol::protocol_level;
    return r;
  }
  void beat() {
    auto* r = reg();
    if (!r) return note(false, "heartbeat");
    auto ok = r->heartbeat(record(), cfg.heartbeat_ttl.count());
    note(static_cast<bool>(ok), "heartbeat");
    if (ok) cfg.registered->store(true);
  }
  void resync_placement(bool force) {
    auto* r = reg();
    if (!r) return;
    if (!force) {
      // The periodic check reads the epoch only: the whole placement is ~40 bytes per tenant
      // of JSON, too much to fetch and parse every heartbeat for nothing.
      auto stored = r->get_placement_epoch();
      if (!stored) return note(false, "placement");
      if (*stored == 0 || *stored == placement_epoch) return;
    }
    auto p = r->get_placement();
    if (!p) return note(false, "placement");
    if (p->epoch == 0) return;  // never written: keep serving whatever is asked
    if (!force && p->epoch == placement_epoch) return;
    placement_epoch = p->epoch;
    std::vector<std::string> mine;
    for (const auto& [tenant, nodes] : p->tenants)
      if (std::find(nodes.begin(), nodes.end(), cfg.node_id) != nodes.end()) mine.push_back(tenant);
    spdlog::info("event=placement epoch={} tenants={}", p->epoch, mine.size());
    caf::anon_send(cfg.host, mf::actors::placement_atom::value, std::move(mine));
  }
};

caf::behavior registrar(caf::stateful_actor<registrar_state>* self, cluster_link_config cfg) {
  self->state.cfg = std::move(cfg);
  self->send(self, beat_atom::value);
  return {
      [self](beat_atom) {
        auto& st = self->state;
        if (st.deregistered) return;  // the goodbye is final: no beat, no next beat
        st.beat();
        st.resync_placement(false);  // periodic resync: events may be missed
        self->delayed_send(self, st.cfg.heartbeat, beat_atom::value);
      },
      [self](resync_atom) { self->state.resync_placement(true); },
      [self](drain_atom) -> bool {
        auto& st = self->state;
        if (st.deregistered) return false;
        auto* r = st.reg();
        if (!r) return false;
        st.beat();  // make sure the record exists before flagging it
        auto ok = r->set_draining(st.cfg.node_id, true);
        return static_cast<bool>(ok);
      },
      [self](deregister_atom) -> bool {
        auto& st = self->state;
        st.deregistered = true;  // before the removal: nothing may re-register after it
        auto* r = st.reg();
        if (!r) return false;
        auto ok = r->remove_node(st.cfg.node_id);
        return static_cast<bool>(ok);
      },
  };
}

void dispatch_event(const cluster_link_config& cfg, const caf::actor& registrar,
                    const std::string& payload) {
  using namespace mf::actors;
  auto j = nlohmann::json::parse(payload, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return;
  auto str = [&](const char* k) {
    auto it = j.find(k);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  auto num = [&](const char* k) -> std::int64_t {
    auto it = j.find(k);
    return it != j.end() && it->is_number_integer() ? it->get<std::int64_t>() : 0;
  };
  const std::string type = str("type");
  if (type == "activated") {
    if (num("to") > 0)
      caf::anon_send(cfg.host, activate_atom::value,
                     model_key{str("tenant"), str("model"), num("to")});
  } else if (type == "version_deleted") {
    caf::anon_send(
        cfg.host, remove_atom::value,
        model_key{str("tenant"), str("model"), std::max<std::int64_t>(1, num("version"))});
  } else if (type == "model_deleted") {
    caf::anon_send(cfg.host, remove_atom::value, model_key{str("tenant"), str("model"), 0});
  } else if (type == "tenant_deleted") {
    caf::anon_send(cfg.host, drop_tenant_atom::value, str("tenant"));
  } else if (type == "placement") {
    caf::anon_send(registrar, resync_atom::value);
  } else if (type == "job_cancel") {
    auto node = str("node");
    if (node.empty() || node == cfg.node_id)
      caf::anon_send(cfg.trainer, cancel_atom::value, str("job_id"));
  }
}

struct listener_state {
  std::optional<mf::cluster::redis_subscriber> subscriber;
};

caf::behavior events_listener(caf::stateful_actor<listener_state>* self, cluster_link_config cfg,
                              caf::actor registrar) {
  self->send(self, poll_atom::value);
  return {
      [self, cfg, registrar](poll_atom) {
        auto& st = self->state;
        if (!st.subscriber) {
          auto reg = mf::cluster::redis_registry::connect(cfg.redis_url, cfg.key_prefix, lazy());
          std::string channel = reg ? reg->events_channel() : cfg.key_prefix + "events";
          auto sub = mf::cluster::redis_subscriber::connect(cfg.redis_url, {channel}, lazy());
          if (sub) st.subscriber.emplace(std::move(*sub));
        }
        if (st.subscriber) {
          // Bounded wait so the actor still sees its exit message promptly.
          auto msg = st.subscriber->next_message(std::chrono::milliseconds(250));
          if (!msg) {  // Redis down: do not spin
            self->delayed_send(self, std::chrono::milliseconds(250), poll_atom::value);
            return;
          }
          if (*msg) {
            if ((*msg)->type == mf::cluster::pubsub_message::kind::resubscribed)
              caf::anon_send(registrar, resync_atom::value);
            else
              dispatch_event(cfg, registrar, (*msg)->payload);
          }
        } else {
          self->delayed_send(self, std::chrono::milliseconds(500), poll_atom::value);
          return;
        }
        self->send(self, poll_atom::value);
      },
  };
}

}  // namespace

caf::actor spawn_registrar(caf::actor_system& system, const cluster_link_config& config) {
  return system.spawn<caf::detached>(registrar, config);
}

caf::actor spawn_events_listener(caf::actor_system& system, const cluster_link_config& config,
                                 caf::actor registrar) {
  return system.spawn<caf::detached>(events_listener, config, std::move(registrar));
}

}  // namespace mf::nodes
