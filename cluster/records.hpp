// Plain records of the cluster state (tenants, keys, models, versions, jobs, nodes, placement)
// as the registry reads and writes them. Value types; not thread-safe. Times are unix ms.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mf::cluster {

// Wall clock in unix milliseconds (the unit of every *_ms / *_at field).
std::int64_t now_unix_ms();

struct tenant_quota {
  std::int64_t memory_bytes = 0;         // 0: unlimited
  std::int64_t models = 0;               // 0: unlimited
  std::int64_t requests_per_second = 0;  // 0: unlimited
  friend bool operator==(const tenant_quota&, const tenant_quota&) = default;
};

struct tenant_record {
  std::string tenant;
  std::int64_t created_at = 0;
  tenant_quota quota;
  std::int64_t models = 0;  // filled by list_tenants/get_tenant
};

struct key_record {
  std::string key_id;  // public id used by DELETE .../keys/{key_id}
  std::string tenant;
  std::string hash;  // hex SHA-256 of the secret; the secret itself is never stored
  std::int64_t created_at = 0;
};

// Returned once by create_tenant/add_key: the only time the secret exists outside the client.
struct created_key {
  std::string tenant;
  std::string key_id;
  std::string api_key;
};

struct version_record {
  std::int64_t version = 0;
  std::string algorithm;
  std::int64_t n_features = 0;
  std::map<std::string, double> metrics;
  std::string primary_metric;  // the metric that decides if_better / auto ("" if none)
  std::int64_t size_bytes = 0;
  std::string sha256;  // hex of the artifact bytes
  std::int64_t created_at = 0;
  std::string source = "train";  // "train" | "upload"
  std::string job_id;            // "" for uploads
  friend bool operator==(const version_record&, const version_record&) = default;
};

struct model_summary {
  std::string model;
  std::int64_t active_version = 0;  // 0: none
  std::int64_t versions = 0;
  std::string algorithm;  // of the active version, else of the newest
  std::int64_t updated_at = 0;
};

// One activation change; to == 0 means "no active version" (forced delete of the active one).
struct history_event {
  std::int64_t at = 0;
  std::int64_t from = 0;
  std::int64_t to = 0;
  std::string reason;  // "train if_better" | "activate" | "rollback" | "upload" | "delete" ...
  std::string by;      // "admin" | "tenant" | "job:<id>"
  friend bool operator==(const history_event&, const history_event&) = default;
};

enum class job_status { queued, running, succeeded, failed, cancelled };
std::string_view to_string(job_status s) noexcept;
std::optional<job_status> parse_job_status(std::string_view s) noexcept;
inline bool is_finished(job_status s) noexcept {
  return s == job_status::succeeded || s == job_status::failed || s == job_status::cancelled;
}

// The number of a job id "j<number>" (number > 0); nullopt for anything else.
std::optional<std::int64_t> job_sequence(std::string_view job_id) noexcept;

struct job_record {
  std::string id;  // assigned by create_job
  std::string tenant;
  std::string model;
  std::string algorithm;
  std::string activate = "if_better";  // always | if_better | never
  job_status status = job_status::queued;
  double progress = 0.0;
  std::optional<std::int64_t> version;
  std::map<std::string, double> metrics;
  bool activated = false;
  std::optional<std::string> error;
  std::int64_t created_at = 0;
  std::int64_t started_at = 0;   // 0: not yet
  std::int64_t finished_at = 0;  // 0: not yet
  std::string node;              // worker running it ("" if none)
  std::int64_t attempts = 0;
  std::string request_ref;  // where the training request payload is stored (blob key)
  bool cancel_requested = false;
  // Coordinator lease over the job: who drives it and until when (0: nobody).
  std::string lease_owner;
  std::int64_t lease_expires_at = 0;
  // The current attempt's artifact as the worker wrote it (set with the worker's result, reset
  // at each assignment): lets a coordinator that missed the trainResult publish it anyway.
  std::string artifact_key;
  std::int64_t size_bytes = 0;
  std::string sha256;
};

// What the worker running an attempt records when it ends (registry::record_job_result).
struct job_result_fields {
  std::string node;
  std::optional<std::string> error;  // set: the attempt failed
  std::map<std::string, double> metrics;
  std::string artifact_key;
  std::int64_t size_bytes = 0;
  std::string sha256;
};

enum class node_state { up, draining, down };
std::string_view to_string(node_state s) noexcept;

struct node_record {
  std::string node;
  std::string role;                   // "worker" | "router" | "coordinator"
  node_state state = node_state::up;  // computed by list_nodes, not stored
  std::string address;                // data-plane endpoint (e.g. tcp://host:port)
  std::string admin_address;          // HTTP/admin endpoint if any
  std::int64_t tenants = 0;
  std::int64_t models_loaded = 0;
  std::int64_t memory_bytes = 0;
  std::int64_t memory_budget_bytes = 0;  // model cache budget (0: not a worker / unknown)
  std::int64_t inflight = 0;
  std::int64_t training_slots = 0;
  std::int64_t training_busy = 0;
  double weight = 1.0;              // placement weight
  std::int64_t last_heartbeat = 0;  // unix ms
  // Wire protocol level the node takes (mf::protocol::protocol_level); records written by
  // older nodes have none and read as 1. Routers send predict batches only to level >= 2.
  std::int64_t protocol = 1;
};

struct placement {
  std::int64_t epoch = 0;  // 0: never written
  int replicas = 1;
  std::map<std::string, std::vector<std::string>> tenants;
  friend bool operator==(const placement&, const placement&) = default;
};

}  // namespace mf::cluster
