#include "actors/model_host.hpp"

#include <malloc.h>

#include <map>
#include <optional>
#include <set>
#include <unordered_map>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>

#include "actors/model_cache.hpp"
#include "ml/model.hpp"

namespace mf::actors {

namespace {

// ---- loader: a detached actor, so blocking I/O and deserialization never stall the scheduler.

caf::behavior model_loader(caf::event_based_actor*, model_source_factory factory) {
  std::shared_ptr<model_source> source;
  if (factory) source = factory();
  return {
      [source](load_atom, const model_ref& ref, std::int64_t version) -> load_outcome {
        load_outcome out;
        if (!source) {
          out.error = mf::make_error(mf::errc::unavailable, "no model source configured");
          return out;
        }
        try {
          auto loaded = source->load(ref, version);
          if (!loaded) {
            out.error = loaded.error();
            return out;
          }
          out.model = std::move(*loaded);
          out.ok = out.model.model != nullptr;
          if (!out.ok) out.error = mf::make_error(mf::errc::internal, "source returned no model");
        } catch (const std::exception& e) {  // sources must not throw; belt and braces
          out.error = mf::make_error(mf::errc::internal, e.what());
        }
        return out;
      },
      [source](describe_atom, const std::string& tenant) -> describe_outcome {
        describe_outcome out;
        out.tenant = tenant;
        if (!source) {
          out.error = mf::make_error(mf::errc::unavailable, "no model source configured");
          return out;
        }
        try {
          auto facts = source->describe_tenant(tenant);
          if (!facts) {
            out.error = facts.error();
            return out;
          }
          out.facts = std::move(*facts);
          out.ok = true;
        } catch (const std::exception& e) {
          out.error = mf::make_error(mf::errc::internal, e.what());
        }
        return out;
      },
  };
}

// ---- host state ---------------------------------------------------------------------------

struct lease_waiter {
  caf::typed_response_promise<lease_reply> promise;
  std::optional<std::chrono::steady_clock::time_point> deadline;
  void deliver(lease_reply reply) { promise.deliver(std::move(reply)); }
};

struct pending_load {
  std::vector<lease_waiter> waiters;
};

struct model_host_state {
  static constexpr const char* name = "model_host";

  model_host_config cfg;
  std::unique_ptr<model_cache> cache;
  std::vector<caf::actor> loaders;
  std::unique_ptr<model_source> inline_source;  // for load_if_cached; null = always a loader
  std::size_t next_loader = 0;
  // Hashed (why: a miss looks up both; at 10,000 models a tree walk compared strings 14 deep).
  std::unordered_map<model_ref, std::int64_t, model_ref_hash> active;   // served as active
  std::unordered_map<model_ref, std::int64_t, model_ref_hash> desired;  // latest activation seen
  // version -1 = "active, to be resolved". Hashed too: every miss looks up pending and both
  // epochs, twice.
  std::unordered_map<model_key, pending_load, model_key_hash> pending;
  // Bumped by deletes: stale loads are dropped.
  std::unordered_map<model_ref, std::uint64_t, model_ref_hash> model_epoch;
  std::unordered_map<std::string, std::uint64_t> tenant_epoch;
  std::optional<std::set<std::string>> placed;  // unknown until the first placement message
  std::uint64_t generation = 0;
  bool released_since_trim = false;
  // The tables of the published snapshot, and the models changed since (incremental publishes
  // rebuild only their shards; every other shard is shared with the old snapshot).
  snapshot_publisher tables;
  std::set<model_ref> changed;

  bool publish_scheduled = false;  // a publish_atom is in the mailbox
  // The earliest time an expire_atom is due, if one is in flight.
  std::optional<std::chrono::steady_clock::time_point> expiry_due;

  void log(const std::string& line) const {
    if (cfg.log) cfg.log(line);
  }
  void trace(const std::string& line) const {
    if (cfg.trace) cfg.trace(line);
  }
  std::uint64_t epoch_of(const model_ref& ref) const {
    auto m = model_epoch.find(ref);
    auto t = tenant_epoch.find(ref.tenant);
    return (m == model_epoch.end() ? 0 : m->second) + (t == tenant_epoch.end() ? 0 : t->second);
  }
  // A tenant is ours when placed here, or when we do not know the placement yet.
  bool hosts_tenant(const std::string& tenant) const { return !placed || placed->count(tenant); }
  bool has_any_version(const model_ref& ref) const {
    return !cache->versions_of(ref.tenant, ref.model).empty();  // a range lookup, not a scan
  }
};

using host_pointer = model_host_actor::stateful_pointer<model_host_state>;

void store_snapshot(host_pointer self) {
  auto& st = self->state;
  st.cfg.cell->store(st.tables.make_snapshot(++st.generation));
  auto& m = *st.cfg.metrics;
  m.models_loaded.store(st.cache->size(), std::memory_order_relaxed);
  m.memory_bytes.store(st.cache->used_bytes(), std::memory_order_relaxed);
  m.memory_retired_bytes.store(st.cache->retired_bytes(), std::memory_order_relaxed);
  m.loads_pending.store(st.pending.size(), std::memory_order_relaxed);
}

// Full rebuild from the cache and the active map: for bulk changes (deletes, placement).
void publish(host_pointer self) {
  auto& st = self->state;
  st.changed.clear();
  std::vector<std::unique_ptr<snapshot_shard>> fresh(snapshot::shard_count);
  for (auto& sh : fresh) sh = std::make_unique<snapshot_shard>();
  for (auto& e : st.cache->entries())
    fresh[snapshot::shard_of(ref_of(e->key))]->versions.emplace(e->key, e);
  for (const auto& [ref, version] : st.active) {
    auto& sh = *fresh[snapshot::shard_of(ref)];
    auto it = sh.versions.find(model_key{ref.tenant, ref.model, version});
    if (it != sh.versions.end()) sh.active.emplace(ref, it->second);
  }
  st.tables.replace_all(std::move(fresh));
  store_snapshot(self);
}

// Republishes only the models in st.changed (why: a publish per load used to copy all n
// entries, making a bulk load O(n^2)). Correct because every other cache/active change since
// the last publish went through publish() or marked its model changed.
void publish_changed(host_pointer self) {
  auto& st = self->state;
  std::map<std::size_t, std::set<model_ref>> by_shard;
  for (auto& ref : st.changed) by_shard[snapshot::shard_of(ref)].insert(ref);
  st.changed.clear();
  for (auto& [idx, refs] : by_shard) {
    auto sh = std::make_unique<snapshot_shard>(st.tables.shard(idx));
    std::erase_if(sh->versions, [&](const auto& kv) { return refs.count(ref_of(kv.first)) != 0; });
    for (const auto& ref : refs) {
      sh->active.erase(ref);
      for (auto& e : st.cache->versions_of(ref.tenant, ref.model)) sh->versions.emplace(e->key, e);
      if (auto a = st.active.find(ref); a != st.active.end()) {
        auto it = sh->versions.find(model_key{ref.tenant, ref.model, a->second});
        if (it != sh->versions.end()) sh->active.emplace(ref, it->second);
      }
    }
    st.tables.replace(idx, std::move(sh));
  }
  store_snapshot(self);
}

void schedule_publish(host_pointer self) {
  auto& st = self->state;
  if (st.publish_scheduled) return;
  st.publish_scheduled = true;
  self->send(self, publish_atom::value);
}

void deliver_all(pending_load& p, const lease_reply& reply) {
  for (auto& w : p.waiters) w.deliver(reply);
  p.waiters.clear();
}

void finish_load(host_pointer self, const model_key& pkey, std::uint64_t epoch, load_outcome out) {
  auto& st = self->state;
  auto node = st.pending.extract(pkey);
  pending_load waiters = node.empty() ? pending_load{} : std::move(node.mapped());
  const model_ref ref{pkey.tenant, pkey.model};
  auto fail = [&](mf::error e) {
    st.cfg.metrics->cache_load_failures.fetch_add(1, std::memory_order_relaxed);
    st.log("load failed " + to_string(pkey) + ": " + std::string(mf::to_string(e.code)) + " " +
           e.message);
    deliver_all(waiters, lease_reply{nullptr, std::move(e)});
    publish_changed(self);  // the cache is unchanged: refreshes the gauges
  };
  if (!out.ok) return fail(std::move(out.error));
  if (out.model.key.tenant != pkey.tenant || out.model.key.model != pkey.model ||
      (pkey.version >= 0 && out.model.key.version != pkey.version))
    return fail(mf::make_error(mf::errc::internal, "model source answered for another model"));
  if (st.epoch_of(ref) != epoch)
    return fail(mf::make_error(mf::errc::not_found, to_string(ref) + " was deleted while loading"));

  lease entry = st.cache->find(out.model.key);
  if (!entry) {
    auto inserted = st.cache->insert(out.model.key, std::move(out.model.model), out.model.bytes);
    if (!inserted) return fail(inserted.error());
    entry = inserted->entry;
    st.cfg.metrics->cache_loads.fetch_add(1, std::memory_order_relaxed);
    st.cfg.metrics->cache_evictions.fetch_add(inserted->evicted.size(), std::memory_order_relaxed);
    if (!inserted->evicted.empty()) st.released_since_trim = true;
    for (const auto& k : inserted->evicted) {
      st.changed.insert(ref_of(k));
      st.trace("evicted " + to_string(k));
    }
    st.trace("loaded " + to_string(entry->key) + " bytes=" + std::to_string(entry->bytes));
  }
  const std::int64_t v = entry->key.version;
  auto d = st.desired.find(ref);
  if (pkey.version < 0 && d == st.desired.end()) {
    st.desired[ref] = v;  // first sight of this model: the registry's active version
    st.active[ref] = v;
  } else if (d != st.desired.end() && d->second == v) {
    if (st.active[ref] != v) st.log("activated " + to_string(entry->key));
    st.active[ref] = v;  // the activation we were waiting for: switch atomically
  }
  st.changed.insert(ref);
  // The waiters get their lease directly; the snapshot (for later requests) is published once
  // for every load that finishes before the host reaches publish_atom in its mailbox (why: at
  // 64 concurrent cold loads that is one publish instead of 64).
  schedule_publish(self);
  deliver_all(waiters, lease_reply{entry, {}});
}

// The load done here and now when the source can do it without waiting on I/O; nullopt sends
// it to a loader thread (which also gives the real error of anything that fails here).
std::optional<load_outcome> load_in_place(model_host_state& st, const model_key& pkey) {
  if (!st.inline_source || pkey.version < 0) return std::nullopt;
  try {
    auto loaded = st.inline_source->load_if_cached(pkey);
    if (!loaded || !loaded->model) return std::nullopt;
    st.cfg.metrics->cache_inline_loads.fetch_add(1, std::memory_order_relaxed);
    load_outcome out;
    out.model = std::move(*loaded);
    out.ok = true;
    return out;
  } catch (...) {  // sources must not throw; nothing may escape an actor's handler
    return std::nullopt;
  }
}

// Makes sure an expire_atom arrives by `due` (one timer for all waiters, armed only when a
// waiter with a deadline is left waiting on a loader).
void arm_expiry(host_pointer self, std::chrono::steady_clock::time_point due) {
  auto& st = self->state;
  if (st.expiry_due && *st.expiry_due <= due) return;
  st.expiry_due = due;
  const auto now = std::chrono::steady_clock::now();
  self->delayed_send(self, due > now ? due - now : std::chrono::steady_clock::duration::zero(),
                     expire_atom::value);
}

// Answers every waiter whose deadline has passed and re-arms for the earliest one left.
void expire_waiters(host_pointer self) {
  auto& st = self->state;
  const auto now = std::chrono::steady_clock::now();
  std::optional<std::chrono::steady_clock::time_point> next;
  for (auto& [key, p] : st.pending) {
    std::erase_if(p.waiters, [&](lease_waiter& w) {
      if (!w.deadline) return false;
      if (*w.deadline > now) {
        if (!next || *w.deadline < *next) next = w.deadline;
        return false;
      }
      w.deliver(
          lease_reply{nullptr, mf::make_error(mf::errc::deadline_exceeded,
                                              "deadline passed while the model was loading")});
      return true;
    });
  }
  st.expiry_due.reset();  // this expire_atom is spent; earlier-armed stale ones only rescan
  if (next) arm_expiry(self, *next);
}

// Starts a load unless one for the same key is in flight (single flight); `waiter` (if any)
// gets the lease when it is resident, which may be before this returns.
void start_load(host_pointer self, const model_key& pkey,
                std::optional<lease_waiter> waiter = std::nullopt) {
  auto& st = self->state;
  auto [slot, fresh] = st.pending.try_emplace(pkey);
  const auto deadline = waiter ? waiter->deadline : std::nullopt;
  if (waiter) slot->second.waiters.push_back(std::move(*waiter));
  if (!fresh) {
    if (deadline) arm_expiry(self, *deadline);
    return;
  }
  const model_ref ref{pkey.tenant, pkey.model};
  const std::uint64_t epoch = st.epoch_of(ref);
  if (auto out = load_in_place(st, pkey)) return finish_load(self, pkey, epoch, std::move(*out));
  if (deadline) arm_expiry(self, *deadline);
  st.cfg.metrics->loads_pending.store(st.pending.size(), std::memory_order_relaxed);
  auto& loader = st.loaders[st.next_loader++ % st.loaders.size()];
  self->request(loader, caf::infinite, load_atom::value, ref, pkey.version)
      .then([self, pkey,
             epoch](load_outcome& out) { finish_load(self, pkey, epoch, std::move(out)); },
            [self, pkey, epoch](caf::error& err) {
              load_outcome out;
              out.error = mf::make_error(mf::errc::internal,
                                         "loader failed: " + self->system().render(err));
              finish_load(self, pkey, epoch, std::move(out));
            });
}

void forget_model(model_host_state& st, const model_ref& ref) {
  st.active.erase(ref);
  st.desired.erase(ref);
  ++st.model_epoch[ref];
}

void forget_tenant(model_host_state& st, const std::string& tenant) {
  if (!st.cache->erase_tenant(tenant).empty()) st.released_since_trim = true;
  std::erase_if(st.active, [&](const auto& kv) { return kv.first.tenant == tenant; });
  std::erase_if(st.desired, [&](const auto& kv) { return kv.first.tenant == tenant; });
  std::erase_if(st.model_epoch, [&](const auto& kv) { return kv.first.tenant == tenant; });
  ++st.tenant_epoch[tenant];
  st.cache->set_tenant_quota(tenant, std::nullopt);
}

void preload_tenant(host_pointer self, const std::string& tenant) {
  auto& st = self->state;
  auto& loader = st.loaders[st.next_loader++ % st.loaders.size()];
  self->request(loader, caf::infinite, describe_atom::value, tenant)
      .then(
          [self](describe_outcome& out) {
            auto& st = self->state;
            if (!out.ok) {
              st.log("describe " + out.tenant + " failed: " + out.error.message);
              return;
            }
            if (!st.hosts_tenant(out.tenant)) return;  // moved away meanwhile
            if (out.facts.memory_quota_bytes)
              st.cache->set_tenant_quota(out.tenant, out.facts.memory_quota_bytes);
            for (const auto& key : out.facts.active_versions) {
              model_ref ref = ref_of(key);
              if (!st.desired.count(ref)) st.desired[ref] = key.version;
              if (st.desired[ref] != key.version) continue;
              if (st.cache->contains(key)) {
                st.active[ref] = key.version;
                st.changed.insert(ref);
                continue;
              }
              // Preload only while the cache has room (why: 10,000 placed tenants on a budget
              // for 2,000 made every preload evict another preload; a cold model still loads on
              // its first request).
              if (st.cache->used_bytes() >= st.cache->budget() / 10 * 9) {
                st.cfg.metrics->preloads_skipped.fetch_add(1, std::memory_order_relaxed);
                continue;
              }
              start_load(self, key);
            }
            schedule_publish(self);  // one publish for a burst of describes, not one each
          },
          [self, tenant](caf::error& err) {
            self->state.log("describe " + tenant + " failed: " + self->system().render(err));
          });
}

model_host_actor::behavior_type model_host(host_pointer self, model_host_config cfg) {
  auto& st = self->state;
  st.cfg = std::move(cfg);
  if (!st.cfg.cell) st.cfg.cell = std::make_shared<snapshot_cell>();
  if (!st.cfg.metrics) st.cfg.metrics = std::make_shared<worker_metrics>();
  st.cfg.metrics->memory_budget_bytes.store(st.cfg.budget_bytes, std::memory_order_relaxed);
  st.cache = std::make_unique<model_cache>(st.cfg.budget_bytes);
  if (st.cfg.inline_loads && st.cfg.source_factory) {
    try {
      st.inline_source = st.cfg.source_factory();
    } catch (...) {  // no in-place loads then; the loaders report what is wrong
    }
  }
  for (std::size_t i = 0; i < std::max<std::size_t>(1, st.cfg.loaders); ++i) {
    auto loader = self->system().spawn<caf::detached>(model_loader, st.cfg.source_factory);
    self->link_to(loader);  // loaders die with the host
    st.loaders.push_back(loader);
  }
  store_snapshot(self);  // the publisher starts with empty shards: nothing to rebuild yet
  self->delayed_send(self, st.cfg.tick_interval, tick_atom::value);
  return {
      [self](load_atom, const lease_request& req) -> caf::typed_response_promise<lease_reply> {
        auto& st = self->state;
        auto rp = self->make_response_promise<lease_reply>();
        model_key key{req.ref.tenant, req.ref.model, req.version};
        if (key.version < 0) {
          if (auto d = st.desired.find(req.ref); d != st.desired.end()) key.version = d->second;
        }
        if (key.version >= 0) {
          if (auto hit = st.cache->find(key)) {  // raced with a load that just finished
            if (req.version < 0 && st.active[req.ref] != key.version) {
              st.active[req.ref] = key.version;
              st.changed.insert(req.ref);
              publish_changed(self);
            }
            rp.deliver(lease_reply{hit, {}});
            return rp;
          }
        }
        start_load(self, key, lease_waiter{rp, req.deadline});
        return rp;
      },
      [self](activate_atom, const model_key& key) {
        auto& st = self->state;
        model_ref ref = ref_of(key);
        if (!st.hosts_tenant(key.tenant) && !st.has_any_version(ref)) return;
        st.desired[ref] = key.version;
        st.log("activate event " + to_string(key));
        if (st.cache->find(key)) {
          st.active[ref] = key.version;
          st.changed.insert(ref);
          publish_changed(self);
          return;
        }
        start_load(self, key);  // swap happens in finish_load once it is resident
      },
      [self](remove_atom, const model_key& key) {
        auto& st = self->state;
        model_ref ref = ref_of(key);
        if (key.version <= 0) {
          if (!st.cache->erase_model(key.tenant, key.model).empty()) st.released_since_trim = true;
          forget_model(st, ref);
        } else {
          if (st.cache->erase(key)) st.released_since_trim = true;
          auto a = st.active.find(ref);
          if (a != st.active.end() && a->second == key.version)
            forget_model(st, ref);
          else
            ++st.model_epoch[ref];
        }
        st.log("removed " + to_string(key));
        publish(self);
      },
      [self](evict_atom, const model_key& key) {
        auto& st = self->state;
        std::vector<model_key> victims;
        if (key.version <= 0) {
          for (const auto& e : st.cache->entries())
            if (e->key.tenant == key.tenant && e->key.model == key.model) victims.push_back(e->key);
        } else {
          victims.push_back(key);
        }
        std::size_t n = 0;
        for (const auto& k : victims) n += st.cache->evict(k) ? 1 : 0;
        if (n) {
          st.released_since_trim = true;
          st.cfg.metrics->cache_evictions.fetch_add(n, std::memory_order_relaxed);
          publish(self);
        }
      },
      [self](drop_tenant_atom, const std::string& tenant) {
        forget_tenant(self->state, tenant);
        self->state.log("dropped tenant " + tenant);
        publish(self);
      },
      [self](placement_atom, const std::vector<std::string>& tenants) {
        auto& st = self->state;
        std::set<std::string> next(tenants.begin(), tenants.end());
        std::set<std::string> before;
        if (st.placed) {
          before = *st.placed;
        } else {
          for (const auto& e : st.cache->entries()) before.insert(e->key.tenant);
        }
        const bool first = !st.placed;
        st.placed = next;
        st.cfg.metrics->tenants_placed.store(next.size(), std::memory_order_relaxed);
        for (const auto& t : before)
          if (!next.count(t)) {
            forget_tenant(st, t);
            st.log("tenant " + t + " placed elsewhere: evicted");
          }
        for (const auto& t : next)
          if (first || !before.count(t)) preload_tenant(self, t);
        publish(self);
      },
      [self](pin_atom, const model_key& key, bool pinned) {
        auto& st = self->state;
        st.cache->pin(key, pinned);
        if (pinned && !st.cache->contains(key)) start_load(self, key);
      },
      [self](quota_atom, const std::string& tenant, std::uint64_t bytes) {
        self->state.cache->set_tenant_quota(
            tenant, bytes == 0 ? std::nullopt : std::optional<std::size_t>(bytes));
      },
      [self](stats_atom) -> host_stats {
        auto& st = self->state;
        host_stats s;
        s.models_loaded = st.cache->size();
        s.memory_bytes = st.cache->used_bytes();
        s.retired_bytes = st.cache->retired_bytes();
        s.budget_bytes = st.cache->budget();
        s.loads_pending = st.pending.size();
        for (const auto& [k, p] : st.pending) s.waiters += p.waiters.size();
        s.tenants = st.placed ? st.placed->size() : 0;
        for (const auto& e : st.cache->entries()) s.resident.push_back(e->key);
        for (const auto& [ref, v] : st.active) s.active.push_back(ref);
        return s;
      },
      [self](publish_atom) {
        self->state.publish_scheduled = false;
        publish_changed(self);
      },
      [self](expire_atom) { expire_waiters(self); },
      [self](tick_atom) {
        auto& st = self->state;
        auto retired = st.cache->retired_bytes();
        auto before = st.cfg.metrics->memory_retired_bytes.exchange(retired);
        // Freed models live in many small allocations: hand the pages back to the OS so RSS
        // tracks the cache (glibc keeps freed heap otherwise).
        if (st.released_since_trim || retired < before) {
          ::malloc_trim(0);
          st.released_since_trim = retired > 0;
        }
        self->delayed_send(self, st.cfg.tick_interval, tick_atom::value);
      },
  };
}

}  // namespace

model_host_actor spawn_model_host(caf::actor_system& system, model_host_config config) {
  return system.spawn(model_host, std::move(config));
}

}  // namespace mf::actors
