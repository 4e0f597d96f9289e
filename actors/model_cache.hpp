// model_cache: memory-budgeted LRU of loaded models keyed by (tenant, model, version),
// tenant-aware. Not thread-safe: owned by the model-host actor. Readers get leases through the
// published snapshot.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "actors/cache_entry.hpp"
#include "common/expected.hpp"

namespace mf::actors {

// Eviction policy (why: one noisy tenant must not empty the cache of the others):
//  1. A tenant with a memory quota never holds more than its quota; it evicts its own LRU first.
//  2. When the global budget is short, the fair share is budget / (tenants holding memory). If the
//     inserting tenant stays within its fair share, the victims are the LRU models of tenants
//     above their fair share; otherwise the inserting tenant evicts its own LRU models first.
//  3. Pinned models are never evicted. If no allowed victim remains, insert fails (overloaded)
//     and the cache is left as it was before the call.
//  4. "LRU" is exact up to `exact_lru_limit` entries and for a tenant's own models; above it,
//     the victim among other tenants' models is the least recently used of a random sample
//     (Redis-style approximated LRU: an exact scan per victim made a full 10,000-model cache
//     spend its time walking the cache), falling back to a full scan when the sample finds none.
// Evicted entries stop counting against the budget but are tracked as "retired" until the last
// lease on them is dropped, so reported memory stays honest while predictions finish.
class model_cache {
 public:
  explicit model_cache(std::size_t budget_bytes) : budget_(budget_bytes) {}

  struct insert_result {
    lease entry;
    std::vector<model_key> evicted;
  };

  // Adds (or replaces) a model. Errors: payload_too_large (never fits the budget or quota),
  // overloaded (room cannot be made under the policy above).
  mf::expected<insert_result> insert(model_key key, std::shared_ptr<const mf::ml::model> model,
                                     std::size_t bytes);

  // Looks up and marks as recently used; nullptr if absent.
  lease find(const model_key& key) const;
  bool contains(const model_key& key) const { return entries_.count(key) != 0; }

  // Removal (deleted versions, tenants placed elsewhere). Pins do not protect against deletes.
  bool erase(const model_key& key);
  std::vector<model_key> erase_model(const std::string& tenant, const std::string& model);
  std::vector<model_key> erase_tenant(const std::string& tenant);
  // Evicts by policy (an explicit "evict" event): refuses pinned keys.
  bool evict(const model_key& key);

  // Pins survive a key not being loaded yet: the pin applies when it arrives.
  void pin(const model_key& key, bool pinned);
  bool is_pinned(const model_key& key) const { return pins_.count(key) != 0; }
  void set_tenant_quota(const std::string& tenant, std::optional<std::size_t> quota_bytes);
  void set_budget(std::size_t budget_bytes) { budget_ = budget_bytes; }

  std::size_t budget() const { return budget_; }
  std::size_t used_bytes() const { return used_; }
  std::size_t tenant_bytes(const std::string& tenant) const;
  std::size_t size() const { return entries_.size(); }
  std::uint64_t evictions() const { return evictions_; }
  // Bytes of evicted models that are still leased by in-flight work.
  std::size_t retired_bytes();
  // Every resident version of one model (no LRU touch), for republishing just that model.
  std::vector<lease> versions_of(const std::string& tenant, const std::string& model) const;
  // Every resident entry, for building the published snapshot.
  std::vector<lease> entries() const;
  std::vector<model_key> keys_lru_order() const;  // least recently used first (tests, debug)
  // Entries examined or copied while planning evictions since construction. Lets tests prove
  // an insert that needs no eviction costs no walk over the cache.
  std::uint64_t plan_work() const { return plan_work_; }

 private:
  // Bytes and entry count of one tenant; a node of tenant_used_, so its address is stable while
  // the tenant has entries (it is erased with the tenant's last entry, not at zero bytes).
  struct tenant_usage {
    std::size_t bytes = 0;
    std::size_t entries = 0;
  };
  struct entry_slot {
    std::shared_ptr<cache_entry> entry;
    tenant_usage* usage = nullptr;
    std::size_t index = 0;  // position in order_ (for O(1) removal and random sampling)
  };
  using entry_map = std::map<model_key, entry_slot>;
  // What sampling reads of a candidate, without the map node or a hash of its tenant name (why:
  // 24 candidates per victim, each a few cold cache lines, were 10 % of the worker's scheduler
  // threads in W2).
  struct sample_slot {
    entry_map::iterator it;
    const cache_entry* entry;
    const tenant_usage* usage;
  };

 public:
  static constexpr std::size_t exact_lru_limit = 256;
  static constexpr std::size_t lru_sample = 24;            // candidates compared per victim
  static constexpr std::size_t lru_sample_attempts = 512;  // random picks before a full scan

 private:
  // Planning state: keys already chosen to go and the bytes they free per tenant. Sized by the
  // victims, never by the cache or the tenant count, so planning copies nothing.
  struct plan_state {
    std::set<model_key> removed;
    std::unordered_map<std::string, std::size_t> freed;
    std::size_t tenants_emptied = 0;  // tenants whose every byte the plan frees
    std::size_t freed_of(const std::string& tenant) const;
  };
  std::size_t plan_bytes(const plan_state& plan, const std::string& tenant) const;
  // plan_bytes of a candidate's tenant, from its usage node.
  std::size_t plan_bytes(const plan_state& plan, const cache_entry& e,
                         const tenant_usage& usage) const;
  std::size_t plan_tenants(const plan_state& plan) const {
    return tenant_used_.size() - plan.tenants_emptied;
  }
  // `self` is the inserting tenant's usage (nullptr when it holds nothing).
  bool victim_allowed(const plan_state& plan, const cache_entry& e, const tenant_usage& usage,
                      const tenant_usage* self, bool of_tenant, std::size_t fair_share,
                      bool only_over_share) const;
  // Victims come back as positions in entries_, so applying a plan walks the map no more.
  std::optional<entry_map::const_iterator> pick_victim(const plan_state& plan,
                                                       const std::string& inserting_tenant,
                                                       std::size_t incoming) const;
  std::optional<entry_map::const_iterator> lru_of(const plan_state& plan, const std::string& tenant,
                                                  bool of_tenant, std::size_t fair_share,
                                                  bool only_over_share) const;
  void remove(entry_map::const_iterator it, bool count_eviction);
  // Chooses the victims an insert needs without touching the cache; `replaced` is the entry the
  // insert replaces (or end()).
  mf::expected<void> plan_victims(const model_key& key, entry_map::const_iterator replaced,
                                  std::size_t bytes, std::size_t quota,
                                  std::vector<entry_map::const_iterator>& victims) const;

  std::size_t budget_;
  std::size_t used_ = 0;
  std::uint64_t evictions_ = 0;
  mutable std::uint64_t plan_work_ = 0;
  entry_map entries_;
  std::vector<sample_slot> order_;        // every entry once, in no particular order
  mutable std::minstd_rand rng_{0x6d66};  // sampling only: fixed seed, reproducible tests
  std::unordered_map<std::string, tenant_usage> tenant_used_;
  std::unordered_map<std::string, std::size_t> quotas_;
  std::set<model_key> pins_;
  std::vector<std::weak_ptr<const cache_entry>> retired_;
};

}  // namespace mf::actors
