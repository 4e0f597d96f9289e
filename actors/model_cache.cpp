#include "actors/model_cache.hpp"

#include <algorithm>
#include <limits>

namespace mf::actors {

namespace {
std::size_t quota_or_max(const std::unordered_map<std::string, std::size_t>& quotas,
                         const std::string& tenant) {
  auto it = quotas.find(tenant);
  return it == quotas.end() ? std::numeric_limits<std::size_t>::max() : it->second;
}
}  // namespace

std::size_t model_cache::tenant_bytes(const std::string& tenant) const {
  auto it = tenant_used_.find(tenant);
  return it == tenant_used_.end() ? 0 : it->second.bytes;
}

void model_cache::set_tenant_quota(const std::string& tenant, std::optional<std::size_t> quota) {
  if (quota)
    quotas_[tenant] = *quota;
  else
    quotas_.erase(tenant);
}

void model_cache::pin(const model_key& key, bool pinned) {
  if (pinned)
    pins_.insert(key);
  else
    pins_.erase(key);
}

lease model_cache::find(const model_key& key) const {
  auto it = entries_.find(key);
  if (it == entries_.end()) return nullptr;
  it->second.entry->touch();
  return it->second.entry;
}

void model_cache::remove(entry_map::const_iterator it, bool count_eviction) {
  const auto& e = *it->second.entry;
  used_ -= e.bytes;
  tenant_usage& usage = *it->second.usage;
  usage.bytes -= e.bytes;
  if (--usage.entries == 0) tenant_used_.erase(e.key.tenant);
  // Someone else may still hold a lease: keep accounting for it until they let go.
  if (it->second.entry.use_count() > 1) retired_.emplace_back(it->second.entry);
  if (count_eviction) ++evictions_;
  // Swap-remove from the sampling order.
  const std::size_t i = it->second.index;
  order_[i] = order_.back();
  order_[i].it->second.index = i;
  order_.pop_back();
  entries_.erase(it);
}

bool model_cache::erase(const model_key& key) {
  auto it = entries_.find(key);
  if (it == entries_.end()) return false;
  remove(it, false);
  return true;
}

bool model_cache::evict(const model_key& key) {
  auto it = entries_.find(key);
  if (it == entries_.end() || is_pinned(key)) return false;
  remove(it, true);
  return true;
}

std::vector<model_key> model_cache::erase_model(const std::string& tenant,
                                                const std::string& model) {
  std::vector<model_key> out;
  for (auto it =
           entries_.lower_bound(model_key{tenant, model, std::numeric_limits<std::int64_t>::min()});
       it != entries_.end() && it->first.tenant == tenant && it->first.model == model;) {
    out.push_back(it->first);
    auto next = std::next(it);
    remove(it, false);
    it = next;
  }
  return out;
}

std::vector<model_key> model_cache::erase_tenant(const std::string& tenant) {
  std::vector<model_key> out;
  for (auto it =
           entries_.lower_bound(model_key{tenant, "", std::numeric_limits<std::int64_t>::min()});
       it != entries_.end() && it->first.tenant == tenant;) {
    out.push_back(it->first);
    auto next = std::next(it);
    remove(it, false);
    it = next;
  }
  return out;
}

std::size_t model_cache::retired_bytes() {
  std::size_t total = 0;
  std::erase_if(retired_, [&](const std::weak_ptr<const cache_entry>& w) {
    auto p = w.lock();
    if (!p) return true;
    total += p->bytes;
    return false;
  });
  return total;
}

std::vector<lease> model_cache::entries() const {
  std::vector<lease> out;
  out.reserve(entries_.size());
  for (const auto& [k, slot] : entries_) out.push_back(slot.entry);
  return out;
}

std::vector<lease> model_cache::versions_of(const std::string& tenant,
                                            const std::string& model) const {
  std::vector<lease> out;
  for (auto it =
           entries_.lower_bound(model_key{tenant, model, std::numeric_limits<std::int64_t>::min()});
       it != entries_.end() && it->first.tenant == tenant && it->first.model == model; ++it)
    out.push_back(it->second.entry);
  return out;
}

std::vector<model_key> model_cache::keys_lru_order() const {
  std::vector<std::pair<std::uint64_t, model_key>> v;
  for (const auto& [k, slot] : entries_)
    v.emplace_back(slot.entry->last_use.load(std::memory_order_relaxed), k);
  std::sort(v.begin(), v.end());
  std::vector<model_key> out;
  for (auto& p : v) out.push_back(std::move(p.second));
  return out;
}

std::size_t model_cache::plan_state::freed_of(const std::string& tenant) const {
  if (freed.empty()) return 0;  // the first victim of a plan: no hashing
  auto f = freed.find(tenant);
  return f == freed.end() ? 0 : f->second;
}

std::size_t model_cache::plan_bytes(const plan_state& plan, const std::string& tenant) const {
  return tenant_bytes(tenant) - plan.freed_of(tenant);
}

std::size_t model_cache::plan_bytes(const plan_state& plan, const cache_entry& e,
                                    const tenant_usage& usage) const {
  return usage.bytes - plan.freed_of(e.key.tenant);
}

bool model_cache::victim_allowed(const plan_state& plan, const cache_entry& e,
                                 const tenant_usage& usage, const tenant_usage* self,
                                 bool of_tenant, std::size_t fair_share,
                                 bool only_over_share) const {
  if ((&usage == self) != of_tenant) return false;  // one usage node per tenant
  if (!pins_.empty() && pins_.count(e.key)) return false;
  if (!plan.removed.empty() && plan.removed.count(e.key)) return false;
  return !only_over_share || plan_bytes(plan, e, usage) > fair_share;
}

// Least recently used unpinned key among: the tenant's own models (of_tenant) or the other
// tenants' models (optionally only those tenants above their fair share), skipping keys the
// plan already removes. Exact for small caches and for a tenant's own models (a key range);
// sampled otherwise (policy point 4). Inserts that need no victim never get here.
std::optional<model_cache::entry_map::const_iterator> model_cache::lru_of(
    const plan_state& plan, const std::string& tenant, bool of_tenant, std::size_t fair_share,
    bool only_over_share) const {
  std::optional<entry_map::const_iterator> best;
  std::uint64_t best_stamp = std::numeric_limits<std::uint64_t>::max();
  const auto own = tenant_used_.find(tenant);
  const tenant_usage* self = own == tenant_used_.end() ? nullptr : &own->second;
  // `it` is only kept, not read: a sampled candidate is judged by its entry and usage alone.
  auto consider = [&](entry_map::const_iterator it, const cache_entry& e,
                      const tenant_usage& usage) {
    ++plan_work_;
    if (!victim_allowed(plan, e, usage, self, of_tenant, fair_share, only_over_share)) return false;
    auto stamp = e.last_use.load(std::memory_order_relaxed);
    if (stamp < best_stamp) {
      best_stamp = stamp;
      best = it;
    }
    return true;
  };
  if (of_tenant) {
    for (auto it = entries_.lower_bound(model_key{tenant, {}, 0});
         it != entries_.end() && it->first.tenant == tenant; ++it)
      consider(it, *it->second.entry, *it->second.usage);
  } else if (order_.size() > exact_lru_limit) {
    std::uniform_int_distribution<std::size_t> pick(0, order_.size() - 1);
    std::size_t matched = 0;
    for (std::size_t a = 0; a < lru_sample_attempts && matched < lru_sample; ++a) {
      const auto& candidate = order_[pick(rng_)];
      if (consider(candidate.it, *candidate.entry, *candidate.usage)) ++matched;
    }
  }
  if (!best && !of_tenant) {  // small cache, or the sample found nothing allowed: exact scan
    for (auto it = entries_.begin(); it != entries_.end(); ++it)
      consider(it, *it->second.entry, *it->second.usage);
  }
  return best;
}

std::optional<model_cache::entry_map::const_iterator> model_cache::pick_victim(
    const plan_state& plan, const std::string& tenant, std::size_t incoming) const {
  const std::size_t self_bytes = plan_bytes(plan, tenant);
  const std::size_t tenants = plan_tenants(plan) + (self_bytes == 0 ? 1 : 0);
  const std::size_t fair_share = budget_ / std::max<std::size_t>(1, tenants);
  bool self_over = self_bytes + incoming > fair_share;
  if (self_over) {
    if (auto k = lru_of(plan, tenant, true, fair_share, false)) return k;
    return lru_of(plan, tenant, false, fair_share, true);
  }
  if (auto k = lru_of(plan, tenant, false, fair_share, true)) return k;
  return lru_of(plan, tenant, true, fair_share, false);
}

mf::expected<model_cache::insert_result> model_cache::insert(
    model_key key, std::shared_ptr<const mf::ml::model> model, std::size_t bytes) {
  const std::size_t quota = quota_or_max(quotas_, key.tenant);
  if (bytes > budget_ || bytes > quota)
    return mf::make_error(mf::errc::payload_too_large,
                          "model " + to_string(key) + " needs " + std::to_string(bytes) +
                              " bytes, more than the " +
                              (bytes > budget_ ? "node budget" : "tenant quota"));

  // Plan first, then apply, so a failed insert leaves the cache untouched.
  const auto replaced = entries_.find(key);
  std::vector<entry_map::const_iterator> victims;
  if (auto planned = plan_victims(key, replaced, bytes, quota, victims); !planned)
    return planned.error();

  insert_result result;
  if (replaced != entries_.end()) remove(replaced, false);
  result.evicted.reserve(victims.size());
  for (const auto& v : victims) {
    result.evicted.push_back(v->first);
    remove(v, true);
  }
  auto entry = std::make_shared<cache_entry>(key, std::move(model), bytes);
  used_ += bytes;
  tenant_usage& usage = tenant_used_[key.tenant];
  usage.bytes += bytes;
  ++usage.entries;
  auto placed = entries_.emplace(std::move(key), entry_slot{entry, &usage, order_.size()}).first;
  order_.push_back(sample_slot{placed, entry.get(), &usage});
  result.entry = std::move(entry);
  return result;
}

mf::expected<void> model_cache::plan_victims(
    const model_key& key, entry_map::const_iterator replaced, std::size_t bytes, std::size_t quota,
    std::vector<entry_map::const_iterator>& victims) const {
  std::size_t used = used_;
  std::size_t self_used = tenant_bytes(key.tenant);
  if (replaced != entries_.end()) {  // replacement frees the old copy
    used -= replaced->second.entry->bytes;
    self_used -= replaced->second.entry->bytes;
  }
  // Common case (filling a cache below its budget): nothing to evict, nothing to walk.
  if (self_used + bytes <= quota && used + bytes <= budget_) return {};

  plan_state plan;
  auto take = [&](entry_map::const_iterator it) {
    const model_key& k = it->first;
    const std::size_t b = it->second.entry->bytes;
    plan.removed.insert(k);
    if (b > 0 && plan_bytes(plan, k.tenant) == b) ++plan.tenants_emptied;
    plan.freed[k.tenant] += b;
    return b;
  };
  if (replaced != entries_.end()) take(replaced);
  while (self_used + bytes > quota) {
    auto v = lru_of(plan, key.tenant, true, 0, false);
    if (!v)
      return mf::make_error(mf::errc::overloaded,
                            "tenant " + key.tenant + " quota is held by pinned models");
    const std::size_t b = take(*v);
    used -= b;
    self_used -= b;
    victims.push_back(*v);
  }
  while (used + bytes > budget_) {
    auto v = pick_victim(plan, key.tenant, bytes);
    if (!v)
      return mf::make_error(mf::errc::overloaded,
                            "no room for " + to_string(key) +
                                ": the rest is pinned or within other tenants' fair share");
    used -= take(*v);
    victims.push_back(*v);
  }
  return {};
}

}  // namespace mf::actors
