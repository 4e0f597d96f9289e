#include "actors/predictor.hpp"

#include <algorithm>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>

#include "ml/model.hpp"

namespace mf::actors {

namespace {

std::int64_t now_unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

struct predictor_state {
  static constexpr const char* name = "predictor";
  predictor_config cfg;
  mf::ml::prediction scratch;  // reused buffers: no allocation storm on the hot path
};

using predictor_pointer = caf::stateful_actor<predictor_state>*;

mf::protocol::predict_reply error_reply(const mf::protocol::predict_request& req, mf::errc code,
                                        std::string message) {
  mf::protocol::predict_reply r;
  r.request_id = req.request_id;
  r.model = req.model;
  r.error = mf::make_error(code, std::move(message));
  return r;
}

// Counts one answered request in the metrics (the reply itself is sent by the caller).
void account(predictor_state& st, const mf::protocol::predict_reply& reply,
             std::chrono::steady_clock::time_point received) {
  auto& m = *st.cfg.metrics;
  if (reply.error) {
    m.predict_errors.fetch_add(1, std::memory_order_relaxed);
    if (reply.error->code == mf::errc::deadline_exceeded)
      m.predict_deadline_exceeded.fetch_add(1, std::memory_order_relaxed);
  }
  m.predict_latency.observe(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - received).count());
  m.predict_inflight.fetch_sub(1, std::memory_order_relaxed);
}

void answer(predictor_state& st, const predict_job& job, mf::protocol::predict_reply reply) {
  account(st, reply, job.received);
  st.cfg.sink->send(job.route, mf::protocol::make_envelope(std::move(reply)));
}

mf::protocol::predict_reply serve(const predict_job& job, const lease& entry,
                                  mf::ml::prediction& scratch) {
  if (deadline_passed(job.request.deadline_unix_ms))
    return error_reply(job.request, mf::errc::deadline_exceeded,
                       "deadline passed before the model was evaluated");
  return run_prediction(*entry, job.request, scratch);
}

// The answer a request gets without waiting (queued too long, or its model resident in
// `snap`), or nullopt when its model must be loaded first.
std::optional<mf::protocol::predict_reply> answer_now(predictor_state& st, const snapshot& snap,
                                                      const mf::protocol::predict_request& req) {
  auto& m = *st.cfg.metrics;
  m.predict_queued.fetch_sub(1, std::memory_order_relaxed);
  if (deadline_passed(req.deadline_unix_ms))
    return error_reply(req, mf::errc::deadline_exceeded,
                       "deadline passed while the request was queued");
  if (lease entry =
          snap.lookup(model_ref{req.tenant, req.model}, req.version ? *req.version : -1)) {
    m.cache_hits.fetch_add(1, std::memory_order_relaxed);
    entry->touch();
    return run_prediction(*entry, req, st.scratch);
  }
  m.cache_misses.fetch_add(1, std::memory_order_relaxed);
  return std::nullopt;
}

// A cold model: asks the host for it and answers `job` alone once it is loaded (or failed).
void wait_for_load(predictor_pointer self, predict_job_ptr job) {
  auto& st = self->state;
  const auto& req = job->request;
  auto wait = st.cfg.default_deadline;
  if (req.deadline_unix_ms != 0)
    wait =
        std::chrono::milliseconds(std::max<std::int64_t>(1, req.deadline_unix_ms - now_unix_ms()));
  const model_ref ref{req.tenant, req.model};
  const std::int64_t version = req.version ? *req.version : -1;
  // No CAF timeout: the host answers deadline_exceeded itself if the load outlasts `wait`.
  self->request(st.cfg.host, caf::infinite, load_atom::value,
                lease_request{ref, version, std::chrono::steady_clock::now() + wait})
      .then(
          [self, job](lease_reply& reply) {
            auto& st = self->state;
            if (!reply.entry)
              return answer(st, *job,
                            error_reply(job->request, reply.error.code, reply.error.message));
            answer(st, *job, serve(*job, reply.entry, st.scratch));
          },
          [self, job](caf::error& err) {
            auto& st = self->state;
            bool timeout = err == caf::sec::request_timeout;
            answer(st, *job,
                   error_reply(job->request,
                               timeout ? mf::errc::deadline_exceeded : mf::errc::unavailable,
                               timeout ? "deadline passed while the model was loading"
                                       : "model host unavailable: " + self->system().render(err)));
          });
}

caf::behavior predictor(predictor_pointer self, predictor_config cfg) {
  self->state.cfg = std::move(cfg);
  return {
      [self](predict_atom, const predict_job_ptr& job) {
        auto& st = self->state;
        if (auto now = answer_now(st, *st.cfg.cell->load(), job->request))
          return answer(st, *job, std::move(*now));
        wait_for_load(self, job);
      },
      [self](predict_atom, const predict_batch_job_ptr& batch) {
        auto& st = self->state;
        // Answers given at once travel back together; a cold model's request waits alone, so
        // one miss never holds up the hits beside it.
        mf::protocol::predict_batch_reply replies;
        replies.items.reserve(batch->requests.size());
        // One snapshot for the whole chunk (why: each load of the shared cell is two atomic
        // operations on a cache line every predictor and the socket thread contend for).
        const auto snap = st.cfg.cell->load();
        for (auto& req : batch->requests) {
          if (auto now = answer_now(st, *snap, req)) {
            account(st, *now, batch->received);
            replies.items.push_back(std::move(*now));
            continue;
          }
          auto job = std::make_shared<predict_job>();
          job->route = batch->route;
          job->request = std::move(req);
          job->received = batch->received;
          wait_for_load(self, std::move(job));
        }
        if (replies.items.size() == 1)
          return st.cfg.sink->send(batch->route,
                                   mf::protocol::make_envelope(std::move(replies.items.front())));
        if (replies.items.empty()) return;
        mf::protocol::envelope out;
        out.body = std::move(replies);
        st.cfg.sink->send(batch->route, std::move(out));
      },
  };
}

}  // namespace

bool deadline_passed(std::int64_t deadline_unix_ms) {
  return deadline_unix_ms != 0 && now_unix_ms() >= deadline_unix_ms;
}

mf::protocol::predict_reply run_prediction(const cache_entry& entry,
                                           const mf::protocol::predict_request& req,
                                           mf::ml::prediction& scratch) {
  const auto& model = *entry.model;
  if (req.n_features != model.n_features())
    return error_reply(req, mf::errc::invalid_input,
                       "model " + to_string(entry.key) + " expects " +
                           std::to_string(model.n_features()) + " features, got " +
                           std::to_string(req.n_features));
  if (req.features.empty() || req.features.size() % req.n_features != 0)
    return error_reply(req, mf::errc::invalid_input,
                       "instances must be a non-empty multiple of n_features values");
  auto ok = model.predict(req.features, req.features.size() / req.n_features, scratch);
  if (!ok) return error_reply(req, ok.error().code, ok.error().message);
  mf::protocol::predict_reply r;
  r.request_id = req.request_id;
  r.model = req.model;
  r.version = entry.key.version;
  r.predictions = scratch.values;
  r.probabilities = scratch.probabilities;
  r.n_prob_columns = static_cast<std::uint32_t>(scratch.n_prob_columns);
  return r;
}

std::optional<mf::protocol::predict_reply> try_predict_inline(
    const snapshot_cell& cell, worker_metrics& m, const mf::protocol::predict_request& req,
    mf::ml::prediction& scratch, std::size_t max_values) {
  if (req.features.size() > max_values || deadline_passed(req.deadline_unix_ms)) return {};
  const auto started = std::chrono::steady_clock::now();
  auto snap = cell.load();
  lease entry = snap->lookup(model_ref{req.tenant, req.model}, req.version ? *req.version : -1);
  if (!entry) return {};
  // Per-row cost of these is O(features) (tens of ns, docs/benchmarks.md); kernel models,
  // forests and MLPs stay on the predictor actors so the socket thread never computes long.
  const std::string_view algorithm = entry->model->algorithm();
  if (algorithm != "linear_regression" && algorithm != "logistic_regression" &&
      algorithm != "linear_svm" && algorithm != "multiclass_linear" && algorithm != "kmeans")
    return {};
  m.predict_inflight.fetch_add(1, std::memory_order_relaxed);
  m.cache_hits.fetch_add(1, std::memory_order_relaxed);
  entry->touch();
  auto reply = run_prediction(*entry, req, scratch);
  if (reply.error) m.predict_errors.fetch_add(1, std::memory_order_relaxed);
  m.predict_latency.observe(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  m.predict_inflight.fetch_sub(1, std::memory_order_relaxed);
  return reply;
}

std::vector<caf::actor> spawn_predictors(caf::actor_system& system, std::size_t count,
                                         const predictor_config& config) {
  std::vector<caf::actor> out;
  for (std::size_t i = 0; i < std::max<std::size_t>(1, count); ++i)
    out.push_back(system.spawn(predictor, config));
  return out;
}

}  // namespace mf::actors
