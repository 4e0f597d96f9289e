// job_scheduler: the leader's training pipeline: fair dequeue, assignment to workers with free
// slots, progress, publication of versions + activation policy, retries, cancel, cleanup.
// Not thread-safe: owned and driven by the coordinator's control loop.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "actors/coordinator/coordinator_config.hpp"
#include "actors/coordinator/coordinator_metrics.hpp"
#include "actors/coordinator/worker_links.hpp"
#include "cluster/blob_store.hpp"
#include "cluster/registry.hpp"
#include "common/expected.hpp"
#include "protocol/messages.hpp"

namespace mf::coordinator {

// The parsed training request a job refers to (its request_ref blob).
struct train_request {
  std::vector<protocol::param> params;
  std::uint32_t n_features = 0;
  std::vector<double> features;
  std::vector<double> labels;
  double validation_split = 0.2;
  std::uint64_t seed = 42;
  // Set: the rows are this dataset blob (the worker reads it) and features/labels are empty.
  std::string dataset_key;
};

// Accepts the router's stored request: {"algorithm", "params", "validation_split", ...,
// "dataset_key": "<tenant>/_datasets/<job>.json"}, or the older inline forms (the API body
// with "data": {"features","labels"}, or a bare {"features","labels"} dataset).
mf::expected<train_request> parse_train_request(std::string_view bytes);

// The activation decision of a finished job: `always`, `never`, or `if_better` (the new
// version's primary metric beats the active one's; true when there is no active version or
// the active one lacks the metric).
bool should_activate(std::string_view policy, const std::map<std::string, double>& candidate,
                     std::string_view primary, const cluster::version_record* active);

class job_scheduler {
 public:
  // Called after a version is published (retention hooks here).
  using published_hook = std::function<void(const std::string& tenant, const std::string& model)>;

  job_scheduler(cluster::registry& registry, cluster::blob_store& blobs, worker_links& links,
                const coordinator_config& config, coordinator_metrics& metrics);

  void set_published_hook(published_hook hook) { on_published_ = std::move(hook); }

  // Leadership gained: take over every unfinished job (running attempts of a previous leader
  // are adopted and watched through their job record; queued jobs are put back in the queue).
  mf::expected<void> resume(const std::vector<cluster::node_record>& nodes);
  // Leadership lost: forget in-memory state (the next leader resumes from Redis).
  void reset();

  // A message from a worker (trainProgress / trainResult; anything else is ignored).
  void on_message(const inbound_message& message);
  // Periodic work: notice dead workers, cancel requests and timeouts, then assign queued jobs
  // to free slots. `nodes` is a fresh list_nodes().
  void step(const std::vector<cluster::node_record>& nodes,
            std::chrono::steady_clock::time_point now);
  // The same, but new attempts go only to workers in `assignable` (a subset of `nodes`: e.g.
  // the CURVE-verified ones); running attempts are still judged against all of `nodes`.
  void step(const std::vector<cluster::node_record>& nodes,
            const std::vector<cluster::node_record>& assignable,
            std::chrono::steady_clock::time_point now);

  // A job_cancel event: remembered in memory too (the registry keeps cancel_requested across
  // fenced writes, but the hint makes the reaction immediate).
  void note_cancel(const std::string& job_id) { cancel_hints_.insert(job_id); }

  std::size_t running() const noexcept { return running_.size(); }

 private:
  struct attempt_state {
    std::string job_id, tenant, model, algorithm, activate;
    std::string node, address;
    std::int64_t attempt = 0;
    std::int64_t version = 0;  // reserved at the first assignment, reused by every attempt
    std::chrono::steady_clock::time_point assigned_at{}, last_news{}, last_progress_write{};
    bool acknowledged = false;  // any news from the worker about this attempt
    // Taken over from a previous leader: the worker's replies may go to that leader's socket,
    // so completion is also read from the job record the worker mirrors its result into.
    bool adopted = false;
    std::optional<std::string> error_at_adoption;
    bool cancel_sent = false;
    std::chrono::steady_clock::time_point cancel_sent_at{};
    double progress = 0;
  };

  // The worker recorded a complete result (artifact key + sha256) for the current attempt.
  static bool finished_by_worker(const cluster::job_record& job);
  static attempt_state attempt_of(const cluster::job_record& job, const std::string& node,
                                  const std::string& address, std::int64_t attempt,
                                  std::int64_t version, std::chrono::steady_clock::time_point now);
  static attempt_state adopted_attempt(const cluster::job_record& job, const std::string& address,
                                       std::chrono::steady_clock::time_point now);
  static protocol::train_result result_from_record(const cluster::job_record& job);

  void assign_queued(const std::vector<cluster::node_record>& nodes,
                     std::chrono::steady_clock::time_point now);
  enum class assign_outcome { assigned, job_done, worker_unreachable, retry_later };
  assign_outcome assign_one(const cluster::job_record& job, const cluster::node_record& node,
                            std::chrono::steady_clock::time_point now);
  void check_running(const std::vector<cluster::node_record>& nodes,
                     std::chrono::steady_clock::time_point now);
  void handle_result(const protocol::train_result& result);
  // The attempt died for `reason` (worker death, timeout, transient error): re-queue the job
  // or fail it after max_attempts.
  void attempt_lost(const attempt_state& a, const std::string& reason);
  // Ends a job that did not succeed; its reserved version's artifact (if any) is removed.
  void finish(const std::string& job_id, cluster::job_status status,
              std::optional<std::string> error);
  mf::expected<void> publish(const attempt_state& a, const protocol::train_result& result);
  // Read-modify-write of a job record, written with registry::update_job_fenced (refused when
  // the attempt changed or the job ended meanwhile; cancel_requested always survives).
  mf::expected<void> update_job(const std::string& job_id,
                                const std::function<void(cluster::job_record&)>& change);

  cluster::registry& registry_;
  cluster::blob_store& blobs_;
  worker_links& links_;
  const coordinator_config& config_;
  coordinator_metrics& metrics_;
  published_hook on_published_;
  std::map<std::string, attempt_state> running_;  // by job id
  std::set<std::string> cancel_hints_;
};

}  // namespace mf::coordinator
