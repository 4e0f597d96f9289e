// predictor: actors that answer predict requests from the published snapshot, without a lock.
// Actor state is private; shared inputs (snapshot_cell, metrics, reply_sink) are thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include <caf/actor.hpp>

#include "actors/cache_entry.hpp"
#include "actors/messages.hpp"
#include "actors/model_host.hpp"
#include "actors/reply_sink.hpp"
#include "actors/snapshot.hpp"
#include "actors/worker_metrics.hpp"

namespace mf::ml {
struct prediction;
}

namespace mf::actors {

struct predictor_config {
  std::shared_ptr<snapshot_cell> cell;
  model_host_actor host;
  std::shared_ptr<worker_metrics> metrics;
  std::shared_ptr<reply_sink> sink;
  // Requests without a deadline still give up waiting for a cold load after this long.
  std::chrono::milliseconds default_deadline{30000};
};

// Evaluates one request on a leased model: checks the feature count, runs predict, fills the
// reply (or its error). Pure apart from `scratch`, which the caller owns.
mf::protocol::predict_reply run_prediction(const cache_entry& entry,
                                           const mf::protocol::predict_request& request,
                                           mf::ml::prediction& scratch);

// The socket-thread fast path (why: a resident linear model answers a small batch in well under
// the cost of the two thread hops to a predictor actor and back, which dominate W1): answers
// `request` on the calling thread when its model is in the published snapshot, its algorithm
// is one of the linear-cost ones and rows x features <= max_values; counts the hit and the
// latency in `metrics`. nullopt: hand the request to a predictor actor (cold model, costly
// algorithm, big batch). Thread-safe apart from `scratch`, which the caller owns.
std::optional<mf::protocol::predict_reply> try_predict_inline(
    const snapshot_cell& cell, worker_metrics& metrics,
    const mf::protocol::predict_request& request, mf::ml::prediction& scratch,
    std::size_t max_values = 4096);

// True when the request's absolute deadline (unix ms, 0 = none) has passed.
bool deadline_passed(std::int64_t deadline_unix_ms);

// Spawns `count` predictor actors on the CAF scheduler. Send them
// (predict_atom, predict_job_ptr); each answers through config.sink.
std::vector<caf::actor> spawn_predictors(caf::actor_system& system, std::size_t count,
                                         const predictor_config& config);

}  // namespace mf::actors
