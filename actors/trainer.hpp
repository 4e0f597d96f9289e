// trainer: runs assigned training jobs in detached actors, at most `slots` at a time.
// Actor state is private; the backends each job creates are used by that job's thread only.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <caf/typed_actor.hpp>

#include "actors/messages.hpp"
#include "actors/reply_sink.hpp"
#include "actors/worker_metrics.hpp"
#include "common/expected.hpp"
#include "protocol/messages.hpp"

namespace caf {
class actor_system;
}
namespace mf::ml {
struct dataset;
}

namespace mf::actors {

// The blocking side effects of a job: where artifacts go and where progress is recorded.
// One instance per job thread (not shared), so it may own non-thread-safe clients.
class train_backend {
 public:
  virtual ~train_backend() = default;
  // Durable write (temp + fsync + rename for fs) of the artifact at `key`.
  virtual mf::expected<void> put_artifact(const std::string& key, const std::string& bytes) = 0;
  // The bytes of the dataset blob `key` (cluster::dataset_path form) of `tenant`'s job:
  // invalid_input if the key is malformed or names another tenant, not_found if absent.
  virtual mf::expected<std::string> get_dataset(const std::string& tenant, const std::string& key) {
    (void)tenant;
    return mf::make_error(mf::errc::unavailable, "no dataset store for " + key);
  }
  // Best effort records in the job record, fenced by attempt (a stale attempt writes nothing).
  virtual void record_progress(const mf::protocol::train_progress& progress) = 0;
  virtual void record_result(const mf::protocol::train_result& result) = 0;
};
using train_backend_factory = std::function<std::unique_ptr<train_backend>()>;

using trainer_actor = caf::typed_actor<
    // A job assignment from `route` (the coordinator): starts it or answers overloaded.
    caf::reacts_to<train_atom, train_job>,
    // Job id; unknown ids are ignored. "*" cancels everything (node shutdown).
    caf::reacts_to<cancel_atom, std::string>,
    // Internal: a job thread finished (route, result); the manager frees the slot THEN sends
    // the result, so whoever sees a result can immediately assign the next job.
    caf::reacts_to<done_atom, std::string, mf::protocol::train_result>,
    caf::replies_to<stats_atom>::with<std::uint32_t, std::uint32_t>>;  // slots, busy

struct trainer_config {
  std::uint32_t slots = 1;
  train_backend_factory backend_factory;
  std::shared_ptr<reply_sink> sink;
  std::shared_ptr<worker_metrics> metrics;
  std::string node_id;
  // Report progress at least every `progress_step` of progress or every `progress_interval`.
  double progress_step = 0.05;
  std::chrono::milliseconds progress_interval{1000};
  // Lower OS priority of training threads, so predictions keep their latency.
  int nice = 10;
  // Also run training threads under SCHED_IDLE (they get a core only when no predict wants it).
  bool idle_policy = true;
  // CPUs training threads may use (the last ones of the node's set; 0 = all). The worker
  // defaults to all but one, so predictions always have a core of their own.
  unsigned cores = 0;
  std::function<void(const std::string&)> log;
};

trainer_actor spawn_trainer(caf::actor_system& system, trainer_config config);

}  // namespace mf::actors
