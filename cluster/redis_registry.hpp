// redis_registry: the registry in Redis (keyspace in docs/keyspace.md); every multi-key change
// is one Lua script or MULTI/EXEC. NOT thread-safe (owns one redis_client): one per thread.
#pragma once

#include <set>
#include <string>

#include "cluster/redis_client.hpp"
#include "cluster/registry.hpp"

namespace mf::cluster {

class redis_registry final : public registry {
 public:
  // prefix: prepended to every key and to the events channel (default "mf:").
  static expected<redis_registry> connect(std::string_view url,
                                          std::string prefix = "mf:", redis_options options = {});
  redis_registry(redis_client client, std::string prefix);

  redis_client& client() noexcept { return client_; }
  const std::string& prefix() const noexcept { return prefix_; }

  expected<void> ping() override;
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
  // The nodes with the drain flag, whether their liveness key exists or not (list_nodes
  // reports a node without it as down, drain flag or not). The router's membership grace
  // needs the flag of nodes whose key expired during a Redis outage.
  expected<std::set<std::string>> draining_nodes();

  expected<placement> get_placement() override;
  expected<std::int64_t> get_placement_epoch() override;
  expected<void> put_placement(const placement& p) override;

  expected<void> publish_event(std::string_view payload) override;
  std::string events_channel() const override { return prefix_ + "events"; }
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
  // Runs a script with ARGV = {prefix, args...}; Redis error replies become mf::error.
  expected<redis_reply> run(const redis_script& script, std::vector<std::string> args);
  expected<redis_reply> cmd(const redis_argv& argv);
  // A pipeline whose error replies become mf::error.
  expected<std::vector<redis_reply>> pipe(const std::vector<redis_argv>& commands);
  std::string key(std::string_view suffix) const { return prefix_ + std::string(suffix); }
  std::string model_key(std::string_view t, std::string_view m) const;
  expected<std::vector<job_record>> load_jobs(const std::vector<redis_reply>& ids);
  expected<model_summary> summarize(std::string_view tenant, std::string_view model);

  redis_client client_;
  std::string prefix_;
};

}  // namespace mf::cluster
