// messages: plain C++ value structs mirroring protocol/modelfleet.capnp, so actors never hold
// Cap'n Proto readers. Value types; not thread-safe (copy or move them between threads).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "common/error.hpp"

namespace mf::protocol {

// Limits the typed decoder enforces (violations are errc::invalid_input).
inline constexpr std::uint32_t max_predict_rows = 10'000;
inline constexpr std::uint32_t max_features = 100'000;

// Common fields of every frame (the Envelope header).
struct header {
  std::uint64_t request_id = 0;       // echoed by the reply; 0 for one-way messages
  std::int64_t deadline_unix_ms = 0;  // absolute; 0 = none
  std::string tenant;
  std::string sender;       // node id
  std::uint64_t epoch = 0;  // placement epoch, where relevant

  friend bool operator==(const header&, const header&) = default;
};

// request_id, deadline and tenant travel in the header: encode copies them there and decode
// fills them back, so a predict_request is complete on its own.
struct predict_request {
  std::uint64_t request_id = 0;
  std::int64_t deadline_unix_ms = 0;
  std::string tenant, model;
  std::optional<std::int64_t> version;  // absent = active version
  std::uint32_t n_features = 0;
  std::vector<double> features;  // row-major; rows = features.size() / n_features

  std::size_t rows() const { return n_features == 0 ? 0 : features.size() / n_features; }
  friend bool operator==(const predict_request&, const predict_request&) = default;
};

// request_id travels in the header (as for predict_request). When `error` is set the other
// result fields are meaningless.
struct predict_reply {
  std::uint64_t request_id = 0;
  std::string model;
  std::int64_t version = 0;  // the version that served the request
  std::vector<double> predictions;
  std::vector<double> probabilities;  // row-major, n_prob_columns per row; empty if none
  std::uint32_t n_prob_columns = 0;
  std::optional<mf::error> error;

  friend bool operator==(const predict_reply&, const predict_reply&) = default;
};

struct param {
  std::string name;
  double value = 0;
  friend bool operator==(const param&, const param&) = default;
};

struct metric {
  std::string name;
  double value = 0;
  friend bool operator==(const metric&, const metric&) = default;
};

struct train_assign {
  std::string job_id, tenant, model, algorithm;
  std::vector<param> params;
  std::uint32_t n_features = 0;
  std::vector<double> features;  // row-major
  std::vector<double> labels;    // one per row, or empty (kmeans)
  double validation_split = 0;
  std::uint64_t seed = 0;
  std::uint32_t attempt = 0;
  std::string artifact_key;
  // Set: the worker reads the rows from this blob (cluster::dataset_path form) and
  // n_features/features/labels are empty. Empty: the rows travel inline (older coordinators).
  std::string dataset_key;

  friend bool operator==(const train_assign&, const train_assign&) = default;
};

struct train_progress {
  std::string job_id;
  std::uint32_t attempt = 0;
  double progress = 0;  // 0..1
  friend bool operator==(const train_progress&, const train_progress&) = default;
};

struct train_result {
  std::string job_id;
  std::uint32_t attempt = 0;
  std::optional<mf::error> error;  // set = the job failed (errc::cancelled if cancelled)
  std::vector<metric> metrics;
  std::string primary_metric;
  std::string artifact_key;
  std::uint64_t size_bytes = 0;
  std::string sha256;
  std::string algorithm;
  std::uint32_t n_features = 0;

  friend bool operator==(const train_result&, const train_result&) = default;
};

struct train_cancel {
  std::string job_id;
  friend bool operator==(const train_cancel&, const train_cancel&) = default;
};

enum class model_event_kind : std::uint8_t { activate, remove, evict, remove_tenant };

struct model_event {
  model_event_kind kind = model_event_kind::activate;
  std::string tenant, model;  // model empty for remove_tenant
  std::int64_t version = 0;   // 0 = every version
  friend bool operator==(const model_event&, const model_event&) = default;
};

struct placement_changed {
  std::uint64_t epoch = 0;
  friend bool operator==(const placement_changed&, const placement_changed&) = default;
};

enum class node_role : std::uint8_t { router, worker, coordinator };
enum class node_state : std::uint8_t { up, draining, down };

struct node_info {
  std::string node;
  node_role role = node_role::worker;
  node_state state = node_state::up;
  std::string address;
  std::uint32_t tenants = 0;
  std::uint32_t models_loaded = 0;
  std::uint64_t memory_bytes = 0;
  std::uint64_t memory_budget = 0;
  std::uint32_t inflight = 0;
  std::uint32_t train_slots = 0;
  std::uint32_t train_slots_free = 0;
  std::int64_t unix_ms = 0;
  friend bool operator==(const node_info&, const node_info&) = default;
};

// Periodic liveness report; same content as node_info, a distinct type for dispatch.
struct node_heartbeat {
  node_info info;
  friend bool operator==(const node_heartbeat&, const node_heartbeat&) = default;
};

struct loaded_model {
  std::string tenant, model;
  std::int64_t version = 0;
  std::uint64_t memory_bytes = 0;
  std::int64_t last_used_unix_ms = 0;
  friend bool operator==(const loaded_model&, const loaded_model&) = default;
};

struct worker_stats {
  node_info info;
  std::vector<loaded_model> models;
  friend bool operator==(const worker_stats&, const worker_stats&) = default;
};

struct model_ref {
  std::string tenant, model;
  std::int64_t version = 0;  // 0 = active version
  friend bool operator==(const model_ref&, const model_ref&) = default;
};

// Bodies without content and admin calls: distinct types so a std::visit can tell them apart.
struct node_info_request {
  friend bool operator==(const node_info_request&, const node_info_request&) = default;
};
struct ping {
  friend bool operator==(const ping&, const ping&) = default;
};
struct pong {
  friend bool operator==(const pong&, const pong&) = default;
};
struct worker_stats_request {
  friend bool operator==(const worker_stats_request&, const worker_stats_request&) = default;
};
struct ack {
  friend bool operator==(const ack&, const ack&) = default;
};

struct drain_node {
  std::string node;
  friend bool operator==(const drain_node&, const drain_node&) = default;
};
struct undrain_node {
  std::string node;
  friend bool operator==(const undrain_node&, const undrain_node&) = default;
};
struct load_model {
  model_ref ref;
  friend bool operator==(const load_model&, const load_model&) = default;
};
struct evict_model {
  model_ref ref;
  friend bool operator==(const evict_model&, const evict_model&) = default;
};

// Several predictions in one frame (Envelope.predictBatchRequest / predictBatchReply): what a
// router sends a worker when several requests for it are ready at once, and what the worker
// answers for the ones it could serve at once. Each item is complete on its own (ids,
// deadline, tenant), exactly as if it travelled alone; replies are matched by id.
struct predict_batch_request {
  std::vector<predict_request> items;
  friend bool operator==(const predict_batch_request&, const predict_batch_request&) = default;
};
struct predict_batch_reply {
  std::vector<predict_reply> items;
  friend bool operator==(const predict_batch_reply&, const predict_batch_reply&) = default;
};
// A batch holds 1..max_batch_items items (the typed decoder enforces it).
inline constexpr std::size_t max_batch_items = 4096;
// The protocol level a node announces in its registry record (node_record::protocol): 1 knows
// every kind up to `ack`; 2 also takes predictBatchRequest. A router sends batches only to
// workers at level 2 or above (docs/protocol.md, evolution rule 4).
inline constexpr std::int64_t protocol_level = 2;
inline constexpr std::int64_t predict_batch_protocol_level = 2;

// One alternative per Envelope.body member (except `unset`, which never decodes).
// mf::error is the body of an error reply.
using body = std::variant<mf::error, predict_request, predict_reply, train_assign, train_progress,
                          train_result, train_cancel, model_event, placement_changed,
                          node_heartbeat, node_info_request, node_info, ping, pong,
                          worker_stats_request, worker_stats, drain_node, undrain_node, load_model,
                          evict_model, ack, predict_batch_request, predict_batch_reply>;

struct envelope {
  header head;
  protocol::body body;
  friend bool operator==(const envelope&, const envelope&) = default;
};

// Wraps a predict_request / predict_reply into an envelope whose header carries its
// request id, deadline and tenant.
envelope make_envelope(predict_request request, std::string sender = {});
envelope make_envelope(predict_reply reply, std::string sender = {});
// The error reply to request `request_id` (use received_envelope::request_id when the request
// itself did not decode).
envelope make_error_envelope(std::uint64_t request_id, mf::error failure, std::string sender = {});

}  // namespace mf::protocol
