// registry: the cluster state store (tenants, keys, models, versions, jobs and their fair
// queue, nodes, placement, events, leader leases). Two implementations: redis_registry (real)
// and memory_registry (unit tests). Thread-safety: per implementation (see their headers).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cluster/records.hpp"
#include "common/expected.hpp"

namespace mf::cluster {

// Every function validates tenant/model/node names first (errc::invalid_name) and is atomic:
// on any error nothing changed. Missing things are errc::not_found; a state that forbids the
// change is errc::conflict; Redis down is errc::unavailable.
//
// Events (JSON on events_channel(), published in the same atomic step as the change):
//   {"type":"activated","tenant","model","from","to"}   {"type":"version_deleted",...,"version"}
//   {"type":"model_deleted","tenant","model"}  {"type":"tenant_deleted","tenant"}
//   {"type":"placement","epoch"}  {"type":"job_queued","job_id","tenant"}
//   {"type":"job_cancel","job_id","node"}  {"type":"drain","node","draining"}
// invalid_input if a quota field is negative (0 means unlimited).
expected<void> check_quota(const tenant_quota& quota);

class registry {
 public:
  virtual ~registry() = default;

  virtual expected<void> ping() = 0;

  // ---- tenants and API keys ---------------------------------------------------------------
  // Creates the tenant with a first key; the returned secret is never stored (only its hash).
  // conflict if it exists.
  expected<created_key> create_tenant(std::string_view tenant, const tenant_quota& quota = {});
  // Another key for rotation; old keys stay valid until deleted.
  expected<created_key> add_key(std::string_view tenant);
  virtual expected<tenant_record> get_tenant(std::string_view tenant) = 0;
  virtual expected<std::vector<tenant_record>> list_tenants() = 0;  // sorted by name
  // Names only, sorted (one read; what placement needs, every few hundred ms).
  virtual expected<std::vector<std::string>> list_tenant_names() = 0;
  virtual expected<void> set_quota(std::string_view tenant, const tenant_quota& quota) = 0;
  // Removes the tenant, its keys, models, versions, history, queued and recorded jobs.
  // Artifacts are the caller's (blob_store::remove_prefix) — after this returns.
  virtual expected<void> delete_tenant(std::string_view tenant) = 0;
  virtual expected<std::vector<key_record>> list_keys(std::string_view tenant) = 0;
  virtual expected<void> delete_key(std::string_view tenant, std::string_view key_id) = 0;
  // Looks a key up by hash_api_key(secret). not_found if no tenant has it.
  virtual expected<key_record> find_tenant_by_key(std::string_view key_hash) = 0;

  // ---- models and versions ----------------------------------------------------------------
  // Next version id of (tenant, model): monotonic and gap-free (1, 2, ...) even under
  // concurrent callers. The tenant must exist. Ids are not reused after a delete.
  virtual expected<std::int64_t> reserve_version_id(std::string_view tenant,
                                                    std::string_view model) = 0;
  // Registers a version whose artifact is ALREADY durable in the blob store, and optionally
  // activates it, in one atomic step (with a history event reason/by when activating).
  // invalid_input if the id was never reserved; conflict if the version exists.
  virtual expected<void> publish_version(std::string_view tenant, std::string_view model,
                                         const version_record& version, bool activate,
                                         std::string_view reason, std::string_view by) = 0;
  virtual expected<std::vector<model_summary>> list_models(std::string_view tenant) = 0;
  virtual expected<model_summary> get_model(std::string_view tenant, std::string_view model) = 0;
  // Ascending by version.
  virtual expected<std::vector<version_record>> list_versions(std::string_view tenant,
                                                              std::string_view model) = 0;
  virtual expected<version_record> get_version(std::string_view tenant, std::string_view model,
                                               std::int64_t version) = 0;
  // Makes `version` active; returns the recorded event (from == to: it already was, no event).
  virtual expected<history_event> activate(std::string_view tenant, std::string_view model,
                                           std::int64_t version, std::string_view reason,
                                           std::string_view by) = 0;
  // Re-activates the version that was active before the current one (conflict if none).
  virtual expected<history_event> rollback(std::string_view tenant, std::string_view model,
                                           std::string_view by) = 0;
  // Newest first, at most `limit`.
  virtual expected<std::vector<history_event>> history(std::string_view tenant,
                                                       std::string_view model,
                                                       std::size_t limit = 100) = 0;
  // conflict for the active version unless force (then the model has no active version).
  // Remove the artifact (blob_store::remove) after this returns, never before.
  virtual expected<void> delete_version(std::string_view tenant, std::string_view model,
                                        std::int64_t version, bool force, std::string_view by) = 0;
  virtual expected<void> delete_model(std::string_view tenant, std::string_view model) = 0;

  // ---- jobs -------------------------------------------------------------------------------
  // A fresh job id ("j<number>") for a job created later with create_job, so that data keyed
  // by the id (its dataset blob) can be durable before the job record exists.
  virtual expected<std::string> reserve_job_id() = 0;
  // Persists the job (status queued, created_at assigned) and enqueues it in one step. The id
  // is job.id when set (it must come from reserve_job_id: invalid_input otherwise, conflict if
  // such a job exists), else a new one.
  virtual expected<job_record> create_job(job_record job) = 0;
  virtual expected<job_record> get_job(std::string_view job_id) = 0;
  // Replaces the stored record (not_found if absent). Does not touch the queue. Unfenced: for
  // tools and tests; cluster roles use update_job_fenced / record_job_* below.
  virtual expected<void> update_job(const job_record& job) = 0;
  // Fenced replace (the coordinator's writes): stores `job` only if the stored record's
  // attempts equal `expected_attempt` and its status is not finished, else conflict (a newer
  // attempt or the end of the job won). A cancel request stored meanwhile survives: this never
  // clears cancel_requested. A finished status also leaves jobs:unfinished.
  virtual expected<void> update_job_fenced(const job_record& job,
                                           std::int64_t expected_attempt) = 0;
  // Field-level writes of the worker running `attempt`: only while the stored record is that
  // attempt and running (conflict otherwise), and only the named fields, so they never wipe
  // what the router (cancel) or the coordinator wrote. Progress also sets node and started_at
  // (if 0); a result sets node, and either error, or metrics + progress 1 + the artifact fields.
  virtual expected<void> record_job_progress(std::string_view job_id, std::int64_t attempt,
                                             double progress, std::string_view node) = 0;
  virtual expected<void> record_job_result(std::string_view job_id, std::int64_t attempt,
                                           const job_result_fields& result) = 0;
  // A tenant's jobs, newest first, optionally filtered by status, at most `limit`.
  virtual expected<std::vector<job_record>> list_jobs(std::string_view tenant,
                                                      std::optional<job_status> status,
                                                      std::size_t limit = 100) = 0;
  // Every job not finished (queued or running), oldest first: what a new leader resumes.
  virtual expected<std::vector<job_record>> list_unfinished_jobs() = 0;
  // Pops the next job round-robin over tenants with queued jobs (one tenant's 100 jobs do not
  // starve another's one). nullopt if every queue is empty. The record stays "queued".
  virtual expected<std::optional<job_record>> dequeue_fair() = 0;
  // Puts a queued job back at the FRONT of its tenant's queue (e.g. no worker had a slot).
  virtual expected<void> requeue_job(std::string_view job_id) = 0;
  // Queued: becomes cancelled and leaves the queue. Running: cancel_requested is set and a
  // job_cancel event published. Finished: conflict. Returns the updated record.
  virtual expected<job_record> cancel_job(std::string_view job_id) = 0;

  // ---- nodes ------------------------------------------------------------------------------
  // Stores the record and (re)arms the liveness key for ttl_ms.
  virtual expected<void> heartbeat(const node_record& node, std::int64_t ttl_ms) = 0;
  // All known nodes sorted by name; state is down once the liveness key expired, draining if
  // the drain flag is set, else up.
  virtual expected<std::vector<node_record>> list_nodes() = 0;
  virtual expected<void> set_draining(std::string_view node, bool draining) = 0;  // not_found
  virtual expected<void> remove_node(std::string_view node) = 0;

  // ---- placement --------------------------------------------------------------------------
  virtual expected<placement> get_placement() = 0;  // epoch 0 if never written
  // The stored placement's epoch alone (one small read): periodic resyncs compare it before
  // fetching and parsing the whole placement, which is ~40 bytes per tenant.
  virtual expected<std::int64_t> get_placement_epoch() = 0;  // 0 if never written
  // Fencing: succeeds only if p.epoch > stored epoch (else conflict); publishes an event.
  virtual expected<void> put_placement(const placement& p) = 0;

  // ---- events and leases ------------------------------------------------------------------
  virtual expected<void> publish_event(std::string_view payload) = 0;
  virtual std::string events_channel() const = 0;
  // Acquires (or, for the same owner, keeps) the lease `name` for ttl_ms. Returns the fencing
  // epoch, incremented on every new acquisition. conflict if another owner holds it.
  virtual expected<std::int64_t> try_acquire_lease(std::string_view name, std::string_view owner,
                                                   std::int64_t ttl_ms) = 0;
  // Extends the lease if `owner` still holds it; conflict if it was lost.
  virtual expected<void> renew_lease(std::string_view name, std::string_view owner,
                                     std::int64_t ttl_ms) = 0;
  virtual expected<void> release_lease(std::string_view name, std::string_view owner) = 0;

 protected:
  // Stores the tenant with its first key (conflict if it exists).
  virtual expected<void> insert_tenant(std::string_view tenant, const tenant_quota& quota,
                                       const key_record& key) = 0;
  // Stores an extra key (not_found if the tenant does not exist).
  virtual expected<void> insert_key(const key_record& key) = 0;
};

}  // namespace mf::cluster
