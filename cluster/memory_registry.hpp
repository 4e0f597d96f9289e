// memory_registry: the registry in process memory, for unit tests of the actors (same
// behaviour as redis_registry, checked by one shared test suite). Thread-safe (one mutex).
#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <utility>

#include "cluster/registry.hpp"

namespace mf::cluster {

class memory_registry final : public registry {
 public:
  using clock = std::chrono::steady_clock;
  memory_registry() = default;

  // Called (under the registry's lock: do not call back into it) for every event published.
  void set_event_sink(std::function<void(const std::string&)> sink);
  // Every event published so far, oldest first.
  std::vector<std::string> events() const;
  // Test hook: expire every heartbeat and lease as if their TTLs had passed.
  void expire_all();

  expected<void> ping() override { return {}; }
  expected<tenant_record> get_tenant(std::string_view tenant) override;
  expected<std::vector<tenant_record>> list_tenants() override;
  expected<std::vector<std::string>> list_tenant_names() override;
  expected<void> set_quota(std::string_view tenant, const tenant_quota& quota) override;
  expected<void> delete_tenant(std::string_view tenant) override;
  expected<std::vector<key_record>> list_keys(std::string_view tenant) override;
  expected<void> delete_key(std::string_view tenant, std::string_view key_id) override;
  expected<key_record> find_tenant_by_key(std::string_view key_hash) override;

  expected<std::int64_t> reserve_version_id(std::string_view tenant,
                                            std::string_view model) override;
  expected<void> publish_version(std::string_view tenant, std::string_view model,
                                 const version_record& version, bool activate,
                                 std::string_view reason, std::string_view by) override;
  expected<std::vector<model_summary>> list_models(std::string_view tenant) override;
  expected<model_summary> get_model(std::string_view tenant, std::string_view model) override;
  expected<std::vector<version_record>> list_versions(std::string_view tenant,
                                                      std::string_view model) override;
  expected<version_record> get_version(std::string_view tenant, std::string_view model,
                                       std::int64_t version) override;
  expected<history_event> activate(std::string_view tenant, std::string_view model,
                                   std::int64_t version, std::string_view reason,
                                   std::string_view by) override;
  expected<history_event> rollback(std::string_view tenant, std::string_view model,
                                   std::string_view by) override;
  expected<std::vector<history_event>> history(std::string_view tenant, std::string_view model,
                                               std::size_t limit) override;
  expected<void> delete_version(std::string_view tenant, std::string_view model,
                                std::int64_t version, bool force, std::string_view by) override;
  expected<void> delete_model(std::string_view tenant, std::string_view model) override;

  expected<std::string> reserve_job_id() override;
  expected<job_record> create_job(job_record job) override;
  expected<job_record> get_job(std::string_view job_id) override;
  expected<void> update_job(const job_record& job) override;
  expected<void> update_job_fenced(const job_record& job, std::int64_t expected_attempt) override;
  expected<void> record_job_progress(std::string_view job_id, std::int64_t attempt, double progress,
                                     std::string_view node) override;
  expected<void> record_job_result(std::string_view job_id, std::int64_t attempt,
                                   const job_result_fields& result) override;
  expected<std::vector<job_record>> list_jobs(std::string_view tenant,
                                              std::optional<job_status> status,
                                              std::size_t limit) override;
  expected<std::vector<job_record>> list_unfinished_jobs() override;
  expected<std::optional<job_record>> dequeue_fair() override;
  expected<void> requeue_job(std::string_view job_id) override;
  expected<job_record> cancel_job(std::string_view job_id) override;

  expected<void> heartbeat(const node_record& node, std::int64_t ttl_ms) override;
  expected<std::vector<node_record>> list_nodes() override;
  expected<void> set_draining(std::string_view node, bool draining) override;
  expected<void> remove_node(std::string_view node) override;

  expected<placement> get_placement() override;
  expected<std::int64_t> get_placement_epoch() override;
  expected<void> put_placement(const placement& p) override;

  expected<void> publish_event(std::string_view payload) override;
  std::string events_channel() const override { return "mf:events"; }
  expected<std::int64_t> try_acquire_lease(std::string_view name, std::string_view owner,
                                           std::int64_t ttl_ms) override;
  expected<void> renew_lease(std::string_view name, std::string_view owner,
                             std::int64_t ttl_ms) override;
  expected<void> release_lease(std::string_view name, std::string_view owner) override;

 protected:
  expected<void> insert_tenant(std::string_view tenant, const tenant_quota& quota,
                               const key_record& key) override;
  expected<void> insert_key(const key_record& key) override;

 private:
  using model_id = std::pair<std::string, std::string>;
  // The stored record if it is `attempt` and running (caller holds mutex_), else conflict.
  expected<job_record*> running_attempt(std::string_view job_id, std::int64_t attempt);
  struct tenant_data {
    std::int64_t created_at = 0;
    tenant_quota quota;
    std::map<std::string, key_record> keys;  // by key_id
  };
  struct model_data {
    std::int64_t active = 0;
    std::int64_t updated_at = 0;
    std::map<std::int64_t, version_record> versions;
    std::vector<history_event> history;  // oldest first
  };
  struct node_data {
    node_record record;
    clock::time_point alive_until;
  };
  struct lease_data {
    std::string owner;
    clock::time_point expires;
  };

  void emit(std::string payload);
  model_summary summarize(const std::string& model, const model_data& m) const;
  expected<history_event> activate_locked(const std::string& tenant, const std::string& model,
                                          std::int64_t version, std::string_view reason,
                                          std::string_view by);

  mutable std::mutex mutex_;
  std::map<std::string, tenant_data> tenants_;
  std::map<std::string, key_record> keys_by_hash_;
  std::map<model_id, model_data> models_;
  std::map<model_id, std::int64_t> version_counters_;
  std::map<std::string, job_record> jobs_;
  std::int64_t job_seq_ = 0;
  std::map<std::string, std::int64_t> job_order_;  // job id -> sequence (creation order)
  std::map<std::string, std::deque<std::string>> queues_;
  std::deque<std::string> ring_;  // tenants with a non-empty queue, round-robin
  std::map<std::string, node_data> nodes_;
  std::set<std::string> draining_;
  placement placement_;
  std::map<std::string, lease_data> leases_;
  std::map<std::string, std::int64_t> lease_epochs_;
  std::vector<std::string> events_;
  std::function<void(const std::string&)> sink_;
};

}  // namespace mf::cluster
