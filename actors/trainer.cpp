#include "actors/trainer.hpp"

#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <map>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "ml/ml.hpp"

namespace mf::actors {

namespace {

using run_atom = caf::atom_constant<caf::atom("run")>;

struct running_job {
  std::shared_ptr<std::atomic<bool>> cancel;
  caf::actor runner;
};

struct trainer_state {
  static constexpr const char* name = "trainer";
  trainer_config cfg;
  // Set by cancel("*") at node shutdown: jobs then fail as unavailable (to be re-run
  // elsewhere), not as cancelled by a user.
  std::shared_ptr<std::atomic<bool>> shutting_down = std::make_shared<std::atomic<bool>>(false);
  std::map<std::string, running_job> running;
  void log(const std::string& line) const {
    if (cfg.log) cfg.log(line);
  }
};

mf::protocol::envelope wrap(mf::protocol::body body, const std::string& sender) {
  mf::protocol::envelope e;
  e.head.sender = sender;
  e.body = std::move(body);
  return e;
}

// Runs one job start to finish on the calling (detached) thread. Never throws.
mf::protocol::train_result run_job(const trainer_config& cfg, const train_job& job,
                                   const std::atomic<bool>& cancel, train_backend* backend) {
  const auto& a = job.assign;
  mf::protocol::train_result result;
  result.job_id = a.job_id;
  result.attempt = a.attempt;
  result.algorithm = a.algorithm;
  result.artifact_key = a.artifact_key;
  auto fail = [&](mf::error e) {
    result.error = std::move(e);
    return result;
  };
  try {
    mf::ml::dataset data;
    if (!a.dataset_key.empty()) {
      // The rows are a blob the router wrote before the job existed.
      if (!backend) return fail(mf::make_error(mf::errc::unavailable, "no blob store configured"));
      auto bytes = backend->get_dataset(a.tenant, a.dataset_key);
      if (!bytes) return fail(bytes.error());
      auto parsed = mf::ml::parse_json_dataset(*bytes);
      if (!parsed) return fail(parsed.error());
      data = std::move(*parsed);
    } else {
      data.n_features = a.n_features;
      data.features = a.features;
      data.labels = a.labels;
    }
    if (data.n_features == 0 || data.features.empty())
      return fail(mf::make_error(mf::errc::invalid_input, "training dataset is empty"));
    mf::ml::params params;
    for (const auto& p : a.params) params[p.name] = p.value;

    double last_reported = -1;
    auto last_time = std::chrono::steady_clock::now() - cfg.progress_interval;
    auto report = [&](double p, bool force) {
      auto now = std::chrono::steady_clock::now();
      if (!force && p - last_reported < cfg.progress_step &&
          now - last_time < cfg.progress_interval)
        return;
      last_reported = p;
      last_time = now;
      mf::protocol::train_progress tp{a.job_id, a.attempt, p};
      if (cfg.sink) cfg.sink->send(job.route, wrap(tp, cfg.node_id));
      if (backend) backend->record_progress(tp);
    };
    report(0.0, true);
    mf::ml::train_options options;
    options.validation_split = a.validation_split;
    options.seed = a.seed;
    options.cancel = &cancel;
    // Training occupies [0, 0.9]; writing the artifact is the rest.
    options.on_progress = [&](double p) { report(0.9 * std::clamp(p, 0.0, 1.0), false); };
    auto trained = mf::ml::train(a.algorithm, params, data, options);
    if (!trained) return fail(trained.error());
    if (cancel.load()) return fail(mf::make_error(mf::errc::cancelled, "cancelled"));
    std::string bytes = mf::ml::serialize_artifact(*trained->model);
    if (!backend) return fail(mf::make_error(mf::errc::unavailable, "no blob store configured"));
    if (auto put = backend->put_artifact(a.artifact_key, bytes); !put) return fail(put.error());
    for (const auto& [name, value] : trained->metrics.values)
      result.metrics.push_back({name, value});
    result.primary_metric = trained->metrics.primary;
    result.size_bytes = bytes.size();
    result.sha256 = mf::ml::sha256_hex(bytes);
    result.n_features = static_cast<std::uint32_t>(trained->model->n_features());
    report(1.0, true);
    return result;
  } catch (const std::exception& e) {
    return fail(mf::make_error(mf::errc::internal, std::string("training failed: ") + e.what()));
  } catch (...) {
    return fail(mf::make_error(mf::errc::internal, "training failed"));
  }
}

// Keeps training off the first cores of the allowed set, so a core is always free for the
// predict path: the last `cores` CPUs get training (threads dlib starts from here inherit the
// mask). No-op when 0 or when the node may not use more than `cores` CPUs anyway.
void pin_to_training_cores(unsigned cores) {
  if (cores == 0) return;
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  if (::sched_getaffinity(0, sizeof allowed, &allowed) != 0) return;
  if (static_cast<unsigned>(CPU_COUNT(&allowed)) <= cores) return;
  cpu_set_t mine;
  CPU_ZERO(&mine);
  unsigned taken = 0;
  for (int cpu = CPU_SETSIZE - 1; cpu >= 0 && taken < cores; --cpu)
    if (CPU_ISSET(cpu, &allowed)) {
      CPU_SET(cpu, &mine);
      ++taken;
    }
  ::sched_setaffinity(0, sizeof mine, &mine);  // best effort, like the priority below
}

// Per-thread (Linux): only this training thread, and the threads it creates (dlib's parallel_for
// pool inherits the policy), get the lower priority. SCHED_IDLE matters more than nice: with
// EEVDF a niced thread still runs out its slice (a few ms) before a woken predict thread gets the
// core, while any normal thread preempts a SCHED_IDLE one at once.
void lower_training_priority(const trainer_config& cfg) {
  pin_to_training_cores(cfg.cores);
  if (cfg.nice > 0) ::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), cfg.nice);
  if (cfg.idle_policy) {
    sched_param param{};
    param.sched_priority = 0;
    ::sched_setscheduler(0, SCHED_IDLE, &param);  // best effort: a failure leaves nice in force
  }
}

caf::behavior job_runner(caf::event_based_actor* self, trainer_config cfg, train_job job,
                         std::shared_ptr<std::atomic<bool>> cancel,
                         std::shared_ptr<std::atomic<bool>> shutting_down, trainer_actor manager) {
  return {
      [=](run_atom) {
        lower_training_priority(cfg);
        std::unique_ptr<train_backend> backend;
        try {
          if (cfg.backend_factory) backend = cfg.backend_factory();
        } catch (...) {
        }
        auto result = run_job(cfg, job, *cancel, backend.get());
        if (result.error && result.error->code == mf::errc::cancelled && shutting_down->load())
          result.error =
              mf::make_error(mf::errc::unavailable, "worker " + cfg.node_id + " shut down");
        auto& m = *cfg.metrics;
        if (!result.error)
          m.train_succeeded.fetch_add(1);
        else if (result.error->code == mf::errc::cancelled)
          m.train_cancelled.fetch_add(1);
        else
          m.train_failed.fetch_add(1);
        if (cfg.log)
          cfg.log("train " + job.assign.job_id + " attempt " + std::to_string(job.assign.attempt) +
                  (result.error ? " failed: " + result.error->message : " succeeded"));
        if (backend) backend->record_result(result);
        self->send(manager, done_atom::value, job.route, std::move(result));
        self->quit();
      },
  };
}

trainer_actor::behavior_type trainer(trainer_actor::stateful_pointer<trainer_state> self,
                                     trainer_config cfg) {
  self->state.cfg = std::move(cfg);
  if (!self->state.cfg.metrics) self->state.cfg.metrics = std::make_shared<worker_metrics>();
  return {
      [self](train_atom, train_job& job) {
        auto& st = self->state;
        const std::string id = job.assign.job_id;  // a copy: job is moved below
        if (st.running.count(id)) return;          // duplicate delivery of a running job
        if (st.running.size() >= st.cfg.slots) {
          st.cfg.metrics->train_rejected.fetch_add(1);
          mf::protocol::train_result r;
          r.job_id = id;
          r.attempt = job.assign.attempt;
          r.algorithm = job.assign.algorithm;
          r.error =
              mf::make_error(mf::errc::overloaded, "no free training slot on " + st.cfg.node_id);
          if (st.cfg.sink) st.cfg.sink->send(job.route, wrap(r, st.cfg.node_id));
          st.log("train " + id + " rejected: no free slot");
          return;
        }
        auto cancel = std::make_shared<std::atomic<bool>>(false);
        auto runner = self->system().spawn<caf::detached>(
            job_runner, st.cfg, std::move(job), cancel, st.shutting_down, trainer_actor{self});
        st.running.emplace(id, running_job{cancel, runner});
        st.cfg.metrics->train_started.fetch_add(1);
        st.cfg.metrics->train_running.store(static_cast<std::int64_t>(st.running.size()));
        st.log("train " + id + " started");
        caf::anon_send(runner, run_atom::value);
      },
      [self](cancel_atom, const std::string& job_id) {
        if (job_id == "*") {
          self->state.shutting_down->store(true);
          for (auto& [id, job] : self->state.running) job.cancel->store(true);
          return;
        }
        auto it = self->state.running.find(job_id);
        if (it == self->state.running.end()) return;
        it->second.cancel->store(true);
        self->state.log("train " + job_id + " cancel requested");
      },
      [self](done_atom, const std::string& route, mf::protocol::train_result& result) {
        auto& st = self->state;
        st.running.erase(result.job_id);
        st.cfg.metrics->train_running.store(static_cast<std::int64_t>(st.running.size()));
        if (st.cfg.sink) st.cfg.sink->send(route, wrap(std::move(result), st.cfg.node_id));
      },
      [self](stats_atom) -> caf::result<std::uint32_t, std::uint32_t> {
        auto& st = self->state;
        return {st.cfg.slots, static_cast<std::uint32_t>(st.running.size())};
      },
  };
}

}  // namespace

trainer_actor spawn_trainer(caf::actor_system& system, trainer_config config) {
  return system.spawn(trainer, std::move(config));
}

}  // namespace mf::actors
