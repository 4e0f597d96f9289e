#include "cluster/memory_registry.hpp"

#include <algorithm>

#include "cluster/names.hpp"
#include "cluster/record_json.hpp"

namespace mf::cluster {
namespace {

#define MF_CHECK_NAME(what, name)                                               \
  do {                                                                          \
    if (auto ok_ = check_name(what, name); !ok_) return std::move(ok_).error(); \
  } while (0)

error not_found(std::string what) {
  return make_error(errc::not_found, std::move(what));
}

}  // namespace

void memory_registry::set_event_sink(std::function<void(const std::string&)> sink) {
  std::lock_guard lock(mutex_);
  sink_ = std::move(sink);
}

std::vector<std::string> memory_registry::events() const {
  std::lock_guard lock(mutex_);
  return events_;
}

void memory_registry::expire_all() {
  std::lock_guard lock(mutex_);
  auto past = clock::now() - std::chrono::hours(1);
  for (auto& [_, n] : nodes_) n.alive_until = past;
  for (auto& [_, l] : leases_) l.expires = past;
}

void memory_registry::emit(std::string payload) {
  if (sink_) sink_(payload);
  events_.push_back(std::move(payload));
}

// ---- tenants -------------------------------------------------------------------------------

expected<void> memory_registry::insert_tenant(std::string_view tenant, const tenant_quota& quota,
                                              const key_record& key) {
  std::lock_guard lock(mutex_);
  std::string t(tenant);
  if (tenants_.count(t)) return make_error(errc::conflict, "tenant '" + t + "' exists");
  auto& d = tenants_[t];
  d.created_at = now_unix_ms();
  d.quota = quota;
  d.keys[key.key_id] = key;
  keys_by_hash_[key.hash] = key;
  emit(simple_event("tenant_updated", {{"tenant", t}}));
  return {};
}

expected<void> memory_registry::insert_key(const key_record& key) {
  std::lock_guard lock(mutex_);
  auto it = tenants_.find(key.tenant);
  if (it == tenants_.end()) return not_found("tenant '" + key.tenant + "' not found");
  it->second.keys[key.key_id] = key;
  keys_by_hash_[key.hash] = key;
  return {};
}

expected<tenant_record> memory_registry::get_tenant(std::string_view tenant) {
  MF_CHECK_NAME("tenant", tenant);
  std::lock_guard lock(mutex_);
  auto it = tenants_.find(std::string(tenant));
  if (it == tenants_.end()) return not_found("tenant '" + std::string(tenant) + "' not found");
  tenant_record r{it->first, it->second.created_at, it->second.quota, 0};
  for (const auto& [id, m] : models_) r.models += id.first == r.tenant;
  return r;
}

expected<std::vector<std::string>> memory_registry::list_tenant_names() {
  std::lock_guard lock(mutex_);
  std::vector<std::string> out;
  for (const auto& [name, d] : tenants_) out.push_back(name);  // std::map: sorted
  return out;
}

expected<std::vector<tenant_record>> memory_registry::list_tenants() {
  std::lock_guard lock(mutex_);
  std::vector<tenant_record> out;
  for (const auto& [name, d] : tenants_) {
    tenant_record r{name, d.created_at, d.quota, 0};
    for (const auto& [id, m] : models_) r.models += id.first == name;
    out.push_back(std::move(r));
  }
  return out;
}

expected<void> memory_registry::set_quota(std::string_view tenant, const tenant_quota& quota) {
  MF_CHECK_NAME("tenant", tenant);
  if (auto ok = check_quota(quota); !ok) return std::move(ok).error();
  std::lock_guard lock(mutex_);
  auto it = tenants_.find(std::string(tenant));
  if (it == tenants_.end()) return not_found("tenant '" + std::string(tenant) + "' not found");
  it->second.quota = quota;
  emit(simple_event("tenant_updated", {{"tenant", it->first}}));
  return {};
}

expected<void> memory_registry::delete_tenant(std::string_view tenant) {
  MF_CHECK_NAME("tenant", tenant);
  std::lock_guard lock(mutex_);
  std::string t(tenant);
  auto it = tenants_.find(t);
  if (it == tenants_.end()) return not_found("tenant '" + t + "' not found");
  for (const auto& [id, k] : it->second.keys) keys_by_hash_.erase(k.hash);
  tenants_.erase(it);
  std::erase_if(models_, [&](const auto& kv) { return kv.first.first == t; });
  std::erase_if(version_counters_, [&](const auto& kv) { return kv.first.first == t; });
  for (auto j = jobs_.begin(); j != jobs_.end();) {
    if (j->second.tenant == t) {
      job_order_.erase(j->first);
      j = jobs_.erase(j);
    } else {
      ++j;
    }
  }
  queues_.erase(t);
  std::erase(ring_, t);
  emit(simple_event("tenant_deleted", {{"tenant", t}}));
  return {};
}

expected<std::vector<key_record>> memory_registry::list_keys(std::string_view tenant) {
  MF_CHECK_NAME("tenant", tenant);
  std::lock_guard lock(mutex_);
  auto it = tenants_.find(std::string(tenant));
  if (it == tenants_.end()) return not_found("tenant '" + std::string(tenant) + "' not found");
  std::vector<key_record> out;
  for (const auto& [id, k] : it->second.keys) out.push_back(k);
  return out;
}

expected<void> memory_registry::delete_key(std::string_view tenant, std::string_view key_id) {
  MF_CHECK_NAME("tenant", tenant);
  std::lock_guard lock(mutex_);
  auto it = tenants_.find(std::string(tenant));
  if (it == tenants_.end()) return not_found("tenant '" + std::string(tenant) + "' not found");
  auto k = it->second.keys.find(std::string(key_id));
  if (k == it->second.keys.end()) return not_found("key not found");
  keys_by_hash_.erase(k->second.hash);
  it->second.keys.erase(k);
  return {};
}

expected<key_record> memory_registry::find_tenant_by_key(std::string_view key_hash) {
  std::lock_guard lock(mutex_);
  auto it = keys_by_hash_.find(std::string(key_hash));
  if (it == keys_by_hash_.end()) return not_found("unknown key");
  return it->second;
}

// ---- models and versions -------------------------------------------------------------------

expected<std::int64_t> memory_registry::reserve_version_id(std::string_view tenant,
                                                           std::string_view model) {
  MF_CHECK_NAME("tenant", tenant);
  MF_CHECK_NAME("model", model);
  std::lock_guard lock(mutex_);
  if (!tenants_.count(std::string(tenant))) {
    return not_found("tenant '" + std::string(tenant) + "' not found");
  }
  return ++version_counters_[{std::string(tenant), std::string(model)}];
}

expected<void> memory_registry::publish_version(std::string_view tenant, std::string_view model,
                                                const version_record& version, bool activate,
                                                std::string_view reason, std::string_view by) {
  MF_CHECK_NAME("tenant", tenant);
  MF_CHECK_NAME("model", model);
  std::lock_guard lock(mutex_);
  model_id id{std::string(tenant), std::string(model)};
  if (!tenants_.count(id.first)) return not_found("tenant '" + id.first + "' not found");
  auto c = version_counters_.find(id);
  if (version.version <= 0 || c == version_counters_.end() || version.version > c->second) {
    return make_error(errc::invalid_input, "version id was not reserved");
  }
  auto& m = models_[id];
  if (m.versions.count(version.version)) {
    return make_error(errc::conflict, "version " + std::to_string(version.version) + " exists");
  }
  m.versions[version.version] = version;
  m.updated_at = now_unix_ms();
  if (activate) {
    auto ev = activate_locked(id.first, id.second, version.version, reason, by);
    if (!ev) return std::move(ev).error();
  }
  return {};
}

model_summary memory_registry::summarize(const std::string& model, const model_data& m) const {
  model_summary s;
  s.model = model;
  s.active_version = m.active;
  s.versions = static_cast<std::int64_t>(m.versions.size());
  s.updated_at = m.updated_at;
  if (auto a = m.versions.find(m.active); a != m.versions.end()) {
    s.algorithm = a->second.algorithm;
  } else if (!m.versions.empty()) {
    s.algorithm = m.versions.rbegin()->second.algorithm;
  }
  return s;
}

expected<std::vector<model_summary>> memory_registry::list_models(std::string_view tenant) {
  MF_CHECK_NAME("tenant", tenant);
  std::lock_guard lock(mutex_);
  std::string t(tenant);
  if (!tenants_.count(t)) return not_found("tenant '" + t + "' not found");
  std::vector<model_summary> out;
  for (const auto& [id, m] : models_) {
    if (id.first == t) out.push_back(summarize(id.second, m));
  }
  return out;
}

expected<model_summary> memory_registry::get_model(std::string_view tenant,
                                                   std::string_view model) {
  MF_CHECK_NAME("tenant", tenant);
  MF_CHECK_NAME("model", model);
  std::lock_guard lock(mutex_);
  auto it = models_.find({std::string(tenant), std::string(model)});
  if (it == models_.end()) return not_found("model '" + std::string(model) + "' not found");
  return summarize(it->first.second, it->second);
}

expected<std::vector<version_record>> memory_registry::list_versions(std::string_view tenant,
                                                                     std::string_view model) {
  MF_CHECK_NAME("tenant", tenant);
  MF_CHECK_NAME("model", model);
  std::lock_guard lock(mutex_);
  auto it = models_.find({std::string(tenant), std::string(model)});
  if (it == models_.end()) return not_found("model '" + std::string(model) + "' not found");
  std::vector<version_record> out;
  for (const auto& [v, r] : it->second.versions) out.push_back(r);
  return out;
}

expected<version_record> memory_registry::get_version(std::string_view tenant,
                                                      std::string_view model,
                                                      std::int64_t version) {
  MF_CHECK_NAME("tenant", tenant);
  MF_CHECK_NAME("model", model);
  std::lock_guard lock(mutex_);
  auto it = models_.find({std::string(tenant), std::string(model)});
  if (it == models_.end()) return not_found("model '" + std::string(model) + "' not found");
  auto v = it->second.versions.find(version);
  if (v == it->second.versions.end()) return not_found("version not found");
  return v->second;
}

expected<history_event> memory_registry::activate_locked(const std::string& tenant,
                                                         const std::string& model,
                                                         std::int64_t version,
                                                         std::string_view reason,
                                                         std::string_view by) {
  auto it = models_.find({tenant, model});
  if (it == models_.end()) return not_found("model '" + model + "' not found");
  auto& m = it->second;
  if (!m.versions.count(version)) return not_found("version not found");
  history_event ev{now_unix_ms(), m.active, version, std::string(reason), std::string(by)};
  if (m.active == version) return ev;
  m.active = version;
  m.updated_at = ev.at;
  m.history.push_back(ev);
  emit(activated_event(tenant, model, ev.from, ev.to));
  return ev;
}

expected<history_event> memory_registry::activate(std::string_view tenant, std::string_view model,
                                                  std::int64_t version, std::string_view reason,
                                                  std::string_view by) {
  MF_CHECK_NAME("tenant", tenant);
  MF_CHECK_NAME("model", model);
  std::lock_guard lock(mutex_);
  return activate_locked(std::string(tenant), std::string(model), version, reason, by);
}

expected<history_event> memory_registry::rollback(std::string_view tenant, std::string_view model,
                                                  std::string_view by) {
  MF_CHECK_NAME("tenant", tenant);
  MF_CHECK_NAME("model", model);
  std::lock_guard lock(mutex_);
  auto it = models_.find({std::string(tenant), std::string(model)});
  if (it == models_.end()) return not_found("model '" + std::string(model) + "' not found");
  const auto& m = it->second;
  for (auto h = m.history.rbegin(); h != m.history.rend(); ++h) {
    if (h->to != m.active) continue;
    if (h->from == 0 || !m.versions.count(h->from)) break;
    return activate_locked(std::string(tenant), std::string(model), h->from, "rollback", by);
  }
  return make_error(errc::conflict, "no previous active version to roll back to");
}

expected<std::vector<history_event>> memory_registry::history(std::string_view tenant,
                                                              std::string_view model,
                                                              std::size_t limit) {
  MF_CHECK_NAME("tenant", tenant);
  MF_CHECK_NAME("model", model);
  std::lock_guard lock(mutex_);
  auto it = models_.find({std::string(tenant), std::string(model)});
  if (it == models_.end()) return not_found("model '" + std::string(model) + "' not found");
  std::vector<history_event> out;
  for (auto h = it->second.history.rbegin(); h != it->second.history.rend() && out.size() < limit;
       ++h) {
    out.push_back(*h);
  }
  return out;
}

expected<void> memory_registry::delete_version(std::string_view tenant, std::string_view model,
                                               std::int64_t version, bool force,
                                               std::string_view by) {
  MF_CHECK_NAME("tenant", tenant);
  MF_CHECK_NAME("model", model);
  std::lock_guard lock(mutex_);
  auto it = models_.find({std::string(tenant), std::string(model)});
  if (it == models_.end()) return not_found("model '" + std::string(model) + "' not found");
  auto& m = it->second;
  if (!m.versions.count(version)) return not_found("version not found");
  if (m.active == version) {
    if (!force) return make_error(errc::conflict, "version is active (use force)");
    history_event ev{now_unix_ms(), version, 0, "delete", std::string(by)};
    m.active = 0;
    m.history.push_back(ev);
    emit(activated_event(tenant, model, version, 0));
  }
  m.versions.erase(version);
  m.updated_at = now_unix_ms();
  emit(version_deleted_event(tenant, model, version));
  return {};
}

expected<void> memory_registry::delete_model(std::string_view tenant, std::string_view model) {
  MF_CHECK_NAME("tenant", tenant);
  MF_CHECK_NAME("model", model);
  std::lock_guard lock(mutex_);
  if (models_.erase({std::string(tenant), std::string(model)}) == 0) {
    return not_found("model '" + std::string(model) + "' not found");
  }
  emit(simple_event("model_deleted", {{"tenant", tenant}, {"model", model}}));
  return {};
}

// ---- jobs ----------------------------------------------------------------------------------

expected<std::string> memory_registry::reserve_job_id() {
  std::lock_guard lock(mutex_);
  return "j" + std::to_string(++job_seq_);
}

expected<job_record> memory_registry::create_job(job_record job) {
  MF_CHECK_NAME("tenant", job.tenant);
  MF_CHECK_NAME("model", job.model);
  std::lock_guard lock(mutex_);
  if (!tenants_.count(job.tenant)) return not_found("tenant '" + job.tenant + "' not found");
  std::int64_t seq = 0;
  if (job.id.empty()) {
    seq = ++job_seq_;
    job.id = "j" + std::to_string(seq);
  } else {
    const auto reserved = job_sequence(job.id);
    if (!reserved || *reserved > job_seq_)
      return make_error(errc::invalid_input, "job id '" + job.id + "' was not reserved");
    if (jobs_.count(job.id)) return make_error(errc::conflict, "job " + job.id + " exists");
    seq = *reserved;
  }
  job.status = job_status::queued;
  job.created_at = now_unix_ms();
  jobs_[job.id] = job;
  job_order_[job.id] = seq;
  auto& q = queues_[job.tenant];
  if (q.empty()) ring_.push_back(job.tenant);
  q.push_back(job.id);
  emit(simple_event("job_queued", {{"job_id", job.id}, {"tenant", job.tenant}}));
  return job;
}

expected<job_record> memory_registry::get_job(std::string_view job_id) {
  std::lock_guard lock(mutex_);
  auto it = jobs_.find(std::string(job_id));
  if (it == jobs_.end()) return not_found("job not found");
  return it->second;
}

expected<void> memory_registry::update_job(const job_record& job) {
  std::lock_guard lock(mutex_);
  auto it = jobs_.find(job.id);
  if (it == jobs_.end()) return not_found("job not found");
  it->second = job;
  return {};
}

expected<void> memory_registry::update_job_fenced(const job_record& job,
                                                  std::int64_t expected_attempt) {
  std::lock_guard lock(mutex_);
  auto it = jobs_.find(job.id);
  if (it == jobs_.end()) return not_found("job not found");
  if (it->second.attempts != expected_attempt)
    return make_error(errc::conflict, "job is at attempt " + std::to_string(it->second.attempts));
  if (is_finished(it->second.status))
    return make_error(errc::conflict, "job already " + std::string(to_string(it->second.status)));
  const bool cancel = it->second.cancel_requested;
  it->second = job;
  it->second.cancel_requested = job.cancel_requested || cancel;
  return {};
}

expected<job_record*> memory_registry::running_attempt(std::string_view job_id,
                                                       std::int64_t attempt) {
  auto it = jobs_.find(std::string(job_id));
  if (it == jobs_.end()) return not_found("job not found");
  if (it->second.attempts != attempt)
    return make_error(errc::conflict, "job is at attempt " + std::to_string(it->second.attempts));
  if (it->second.status != job_status::running)
    return make_error(errc::conflict, "job is " + std::string(to_string(it->second.status)));
  return &it->second;
}

expected<void> memory_registry::record_job_progress(std::string_view job_id, std::int64_t attempt,
                                                    double progress, std::string_view node) {
  std::lock_guard lock(mutex_);
  auto job = running_attempt(job_id, attempt);
  if (!job) return std::move(job).error();
  (*job)->progress = progress;
  (*job)->node = std::string(node);
  if ((*job)->started_at == 0) (*job)->started_at = now_unix_ms();
  return {};
}

expected<void> memory_registry::record_job_result(std::string_view job_id, std::int64_t attempt,
                                                  const job_result_fields& result) {
  std::lock_guard lock(mutex_);
  auto job = running_attempt(job_id, attempt);
  if (!job) return std::move(job).error();
  job_record& j = **job;
  j.node = result.node;
  if (result.error) {
    j.error = result.error;
  } else {
    j.progress = 1.0;
    j.metrics = result.metrics;
    j.artifact_key = result.artifact_key;
    j.size_bytes = result.size_bytes;
    j.sha256 = result.sha256;
  }
  return {};
}

expected<std::vector<job_record>> memory_registry::list_jobs(std::string_view tenant,
                                                             std::optional<job_status> status,
                                                             std::size_t limit) {
  MF_CHECK_NAME("tenant", tenant);
  std::lock_guard lock(mutex_);
  std::vector<std::pair<std::int64_t, const job_record*>> found;
  for (const auto& [id, j] : jobs_) {
    if (j.tenant == tenant && (!status || j.status == *status)) {
      found.emplace_back(job_order_[id], &j);
    }
  }
  std::sort(found.begin(), found.end(), [](auto& a, auto& b) { return a.first > b.first; });
  std::vector<job_record> out;
  for (auto& [_, j] : found) {
    if (out.size() >= limit) break;
    out.push_back(*j);
  }
  return out;
}

expected<std::vector<job_record>> memory_registry::list_unfinished_jobs() {
  std::lock_guard lock(mutex_);
  std::vector<std::pair<std::int64_t, const job_record*>> found;
  for (const auto& [id, j] : jobs_) {
    if (!is_finished(j.status)) found.emplace_back(job_order_[id], &j);
  }
  std::sort(found.begin(), found.end(), [](auto& a, auto& b) { return a.first < b.first; });
  std::vector<job_record> out;
  for (auto& [_, j] : found) out.push_back(*j);
  return out;
}

expected<std::optional<job_record>> memory_registry::dequeue_fair() {
  std::lock_guard lock(mutex_);
  while (!ring_.empty()) {
    std::string t = ring_.front();
    ring_.pop_front();
    auto q = queues_.find(t);
    if (q == queues_.end() || q->second.empty()) continue;
    std::string id = q->second.front();
    q->second.pop_front();
    if (!q->second.empty()) ring_.push_back(t);
    auto j = jobs_.find(id);
    if (j == jobs_.end()) continue;
    return std::optional<job_record>(j->second);
  }
  return std::optional<job_record>();
}

expected<void> memory_registry::requeue_job(std::string_view job_id) {
  std::lock_guard lock(mutex_);
  auto j = jobs_.find(std::string(job_id));
  if (j == jobs_.end()) return not_found("job not found");
  if (j->second.status != job_status::queued) {
    return make_error(errc::conflict, "only a queued job can be requeued");
  }
  auto& q = queues_[j->second.tenant];
  if (std::find(q.begin(), q.end(), j->first) != q.end()) return {};
  if (q.empty()) ring_.push_back(j->second.tenant);
  q.push_front(j->first);
  return {};
}

expected<job_record> memory_registry::cancel_job(std::string_view job_id) {
  std::lock_guard lock(mutex_);
  auto j = jobs_.find(std::string(job_id));
  if (j == jobs_.end()) return not_found("job not found");
  auto& r = j->second;
  if (is_finished(r.status)) return make_error(errc::conflict, "job already finished");
  if (r.status == job_status::queued) {
    r.status = job_status::cancelled;
    r.finished_at = now_unix_ms();
    auto& q = queues_[r.tenant];
    std::erase(q, r.id);
    if (q.empty()) std::erase(ring_, r.tenant);
  } else {
    r.cancel_requested = true;
    emit(simple_event("job_cancel", {{"job_id", r.id}, {"node", r.node}}));
  }
  return r;
}

// ---- nodes, placement, events, leases ------------------------------------------------------

expected<void> memory_registry::heartbeat(const node_record& node, std::int64_t ttl_ms) {
  MF_CHECK_NAME("node", node.node);
  if (ttl_ms <= 0) return make_error(errc::invalid_input, "ttl must be positive");
  std::lock_guard lock(mutex_);
  auto& n = nodes_[node.node];
  const bool joined = n.alive_until <= clock::now();  // new, or back after its TTL ran out
  n.record = node;
  n.record.last_heartbeat = now_unix_ms();
  n.alive_until = clock::now() + std::chrono::milliseconds(ttl_ms);
  if (joined) emit(simple_event("node_up", {{"node", node.node}}));
  return {};
}

expected<std::vector<node_record>> memory_registry::list_nodes() {
  std::lock_guard lock(mutex_);
  std::vector<node_record> out;
  auto now = clock::now();
  for (const auto& [name, n] : nodes_) {
    node_record r = n.record;
    r.state = n.alive_until <= now    ? node_state::down
              : draining_.count(name) ? node_state::draining
                                      : node_state::up;
    out.push_back(std::move(r));
  }
  return out;
}

expected<void> memory_registry::set_draining(std::string_view node, bool draining) {
  MF_CHECK_NAME("node", node);
  std::lock_guard lock(mutex_);
  std::string n(node);
  if (!nodes_.count(n)) return not_found("node '" + n + "' not found");
  if (draining)
    draining_.insert(n);
  else
    draining_.erase(n);
  emit(drain_event(n, draining));
  return {};
}

expected<void> memory_registry::remove_node(std::string_view node) {
  MF_CHECK_NAME("node", node);
  std::lock_guard lock(mutex_);
  nodes_.erase(std::string(node));
  draining_.erase(std::string(node));
  return {};
}

expected<placement> memory_registry::get_placement() {
  std::lock_guard lock(mutex_);
  return placement_;
}

expected<std::int64_t> memory_registry::get_placement_epoch() {
  std::lock_guard lock(mutex_);
  return placement_.epoch;
}

expected<void> memory_registry::put_placement(const placement& p) {
  std::lock_guard lock(mutex_);
  if (p.epoch <= placement_.epoch) {
    return make_error(errc::conflict, "placement epoch " + std::to_string(p.epoch) +
                                          " is not newer than " + std::to_string(placement_.epoch));
  }
  placement_ = p;
  emit(placement_event(p.epoch));
  return {};
}

expected<void> memory_registry::publish_event(std::string_view payload) {
  std::lock_guard lock(mutex_);
  emit(std::string(payload));
  return {};
}

expected<std::int64_t> memory_registry::try_acquire_lease(std::string_view name,
                                                          std::string_view owner,
                                                          std::int64_t ttl_ms) {
  if (ttl_ms <= 0 || owner.empty()) return make_error(errc::invalid_input, "bad lease request");
  std::lock_guard lock(mutex_);
  std::string n(name);
  auto now = clock::now();
  auto it = leases_.find(n);
  if (it != leases_.end() && it->second.expires > now) {
    if (it->second.owner != owner) return make_error(errc::conflict, "lease held by another");
    it->second.expires = now + std::chrono::milliseconds(ttl_ms);
    return lease_epochs_[n];
  }
  leases_[n] = lease_data{std::string(owner), now + std::chrono::milliseconds(ttl_ms)};
  return ++lease_epochs_[n];
}

expected<void> memory_registry::renew_lease(std::string_view name, std::string_view owner,
                                            std::int64_t ttl_ms) {
  std::lock_guard lock(mutex_);
  auto it = leases_.find(std::string(name));
  auto now = clock::now();
  if (it == leases_.end() || it->second.expires <= now || it->second.owner != owner) {
    return make_error(errc::conflict, "lease lost");
  }
  it->second.expires = now + std::chrono::milliseconds(ttl_ms);
  return {};
}

expected<void> memory_registry::release_lease(std::string_view name, std::string_view owner) {
  std::lock_guard lock(mutex_);
  auto it = leases_.find(std::string(name));
  if (it != leases_.end() && it->second.owner == owner) leases_.erase(it);
  return {};
}

}  // namespace mf::cluster
