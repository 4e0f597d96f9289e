#include "nodes/worker_node.hpp"

#include <pthread.h>
#include <signal.h>

#include <spdlog/spdlog.h>

#include <iostream>
#include <thread>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>

#include "actors/model_host.hpp"
#include "actors/predictor.hpp"
#include "actors/registry_adapters.hpp"
#include "actors/trainer.hpp"
#include "cluster/names.hpp"
#include "nodes/admin_http.hpp"
#include "nodes/cluster_link.hpp"
#include "nodes/curve_option.hpp"
#include "nodes/logging.hpp"
#include "nodes/size_parse.hpp"
#include "nodes/worker_socket.hpp"
#include "protocol/codec.hpp"

namespace mf::nodes {

namespace {

using namespace std::chrono_literals;
namespace proto = mf::protocol;

proto::node_info node_info_of(const worker_options& o, const std::string& address,
                              const mf::actors::worker_metrics& m, bool draining) {
  proto::node_info n;
  n.node = o.id;
  n.role = proto::node_role::worker;
  n.state = draining ? proto::node_state::draining : proto::node_state::up;
  n.address = address;
  n.tenants = static_cast<std::uint32_t>(m.tenants_placed.load());
  n.models_loaded = static_cast<std::uint32_t>(m.models_loaded.load());
  n.memory_bytes = m.memory_bytes.load();
  n.memory_budget = o.memory_budget;
  n.inflight = static_cast<std::uint32_t>(std::max<std::int64_t>(0, m.predict_inflight.load()));
  n.train_slots = o.train_slots;
  n.train_slots_free = static_cast<std::uint32_t>(
      std::max<std::int64_t>(0, static_cast<std::int64_t>(o.train_slots) - m.train_running.load()));
  n.unix_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                  std::chrono::system_clock::now().time_since_epoch())
                  .count();
  return n;
}

proto::envelope reply_to(const proto::header& h, proto::body body) {
  proto::envelope e;
  e.head.request_id = h.request_id;
  e.head.tenant = h.tenant;
  e.body = std::move(body);
  return e;
}

// Everything the socket thread needs to hand messages off without blocking.
struct dispatcher {
  const worker_options& options;
  std::shared_ptr<worker_socket> socket;
  std::shared_ptr<mf::actors::worker_metrics> metrics;
  std::vector<caf::actor> predictors;
  mf::actors::model_host_actor host;
  mf::actors::trainer_actor trainer;
  const std::atomic<bool>& draining;
  std::size_t next = 0;

  // A batch is cut into chunks of at most this many requests or feature values, each to the next
  // predictor: big enough that a burst of small requests costs few hand-offs, small enough that
  // a burst of big ones (W3: 64 rows x 16 features each) still spreads over the CAF threads
  // instead of queueing behind one (a 32-request cap alone cost W3 13-15 % of its rows/s).
  static constexpr std::size_t batch_chunk = 32;
  static constexpr std::size_t batch_chunk_values = 2048;

  void dispatch_batch(const std::string& identity, proto::predict_batch_request&& batch) {
    using namespace mf::actors;
    auto& m = *metrics;
    const auto n = batch.items.size();
    m.predict_requests.fetch_add(n, std::memory_order_relaxed);
    m.predict_batch_frames.fetch_add(1, std::memory_order_relaxed);
    if (m.predict_queued.load(std::memory_order_relaxed) + static_cast<std::int64_t>(n) >
        static_cast<std::int64_t>(options.max_queue)) {
      m.predict_errors.fetch_add(n, std::memory_order_relaxed);
      proto::predict_batch_reply refused;
      for (const auto& req : batch.items) {
        proto::predict_reply& r = refused.items.emplace_back();
        r.request_id = req.request_id;
        r.model = req.model;
        r.error = mf::make_error(mf::errc::overloaded, "worker queue full");
      }
      proto::envelope out;
      out.body = std::move(refused);
      socket->send(identity, std::move(out));
      return;
    }
    m.predict_inflight.fetch_add(static_cast<std::int64_t>(n), std::memory_order_relaxed);
    m.predict_queued.fetch_add(static_cast<std::int64_t>(n), std::memory_order_relaxed);
    const auto received = std::chrono::steady_clock::now();
    std::size_t first = 0;
    while (first < n) {
      std::size_t last = first, values = 0;
      while (last < n && last - first < batch_chunk &&
             (last == first || values + batch.items[last].features.size() <= batch_chunk_values))
        values += batch.items[last++].features.size();
      auto job = std::make_shared<predict_batch_job>();
      job->route = identity;
      job->received = received;
      if (first == 0 && last == n) {
        job->requests = std::move(batch.items);
      } else {
        auto begin = std::make_move_iterator(batch.items.begin());
        job->requests.assign(begin + static_cast<std::ptrdiff_t>(first),
                             begin + static_cast<std::ptrdiff_t>(last));
      }
      first = last;
      caf::anon_send(predictors[next++ % predictors.size()], predict_atom::value, std::move(job));
    }
  }

  void operator()(const std::string& identity, proto::envelope&& env) {
    using namespace mf::actors;
    auto& m = *metrics;
    std::visit(
        [&](auto& body) {
          using T = std::decay_t<decltype(body)>;
          if constexpr (std::is_same_v<T, proto::predict_request>) {
            m.predict_requests.fetch_add(1, std::memory_order_relaxed);
            if (m.predict_queued.load(std::memory_order_relaxed) >=
                static_cast<std::int64_t>(options.max_queue)) {
              m.predict_errors.fetch_add(1, std::memory_order_relaxed);
              proto::predict_reply r;
              r.request_id = body.request_id;
              r.model = body.model;
              r.error = mf::make_error(mf::errc::overloaded, "worker queue full");
              socket->send(identity, proto::make_envelope(std::move(r)));
              return;
            }
            auto job = std::make_shared<predict_job>();
            job->route = identity;
            job->request = std::move(body);
            job->received = std::chrono::steady_clock::now();
            m.predict_inflight.fetch_add(1, std::memory_order_relaxed);
            m.predict_queued.fetch_add(1, std::memory_order_relaxed);
            caf::anon_send(predictors[next++ % predictors.size()], predict_atom::value,
                           std::move(job));
          } else if constexpr (std::is_same_v<T, proto::predict_batch_request>) {
            dispatch_batch(identity, std::move(body));
          } else if constexpr (std::is_same_v<T, proto::train_assign>) {
            caf::anon_send(trainer, train_atom::value,
                           train_job{identity, env.head.sender, std::move(body)});
          } else if constexpr (std::is_same_v<T, proto::train_cancel>) {
            caf::anon_send(trainer, cancel_atom::value, body.job_id);
          } else if constexpr (std::is_same_v<T, proto::ping>) {
            socket->send(identity, reply_to(env.head, proto::pong{}));
          } else if constexpr (std::is_same_v<T, proto::node_info_request>) {
            socket->send(identity, reply_to(env.head, node_info_of(options, socket->endpoint(), m,
                                                                   draining.load())));
          } else if constexpr (std::is_same_v<T, proto::worker_stats_request>) {
            proto::worker_stats s;
            s.info = node_info_of(options, socket->endpoint(), m, draining.load());
            socket->send(identity, reply_to(env.head, std::move(s)));
          } else if constexpr (std::is_same_v<T, proto::load_model>) {
            // Pin = keep loaded (coordinator's choice); the host loads it if needed.
            caf::anon_send(host, pin_atom::value,
                           model_key{body.ref.tenant, body.ref.model, body.ref.version}, true);
            socket->send(identity, reply_to(env.head, proto::ack{}));
          } else if constexpr (std::is_same_v<T, proto::evict_model>) {
            model_key key{body.ref.tenant, body.ref.model, body.ref.version};
            caf::anon_send(host, pin_atom::value, key, false);
            caf::anon_send(host, evict_atom::value, key);
            socket->send(identity, reply_to(env.head, proto::ack{}));
          } else if constexpr (std::is_same_v<T, proto::model_event>) {
            model_key key{body.tenant, body.model, body.version};
            switch (body.kind) {
              case proto::model_event_kind::activate:
                caf::anon_send(host, activate_atom::value, key);
                break;
              case proto::model_event_kind::remove:
                caf::anon_send(host, remove_atom::value, key);
                break;
              case proto::model_event_kind::evict:
                caf::anon_send(host, evict_atom::value, key);
                break;
              case proto::model_event_kind::remove_tenant:
                caf::anon_send(host, drop_tenant_atom::value, body.tenant);
                break;
            }
            socket->send(identity, reply_to(env.head, proto::ack{}));
          } else {
            socket->send(
                identity,
                reply_to(env.head, mf::make_error(mf::errc::invalid_input,
                                                  std::string("a worker does not accept ") +
                                                      std::string(proto::kind_name(env.body)))));
          }
        },
        env.body);
  }
};

int wait_for_signal() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  int sig = 0;
  while (sigwait(&set, &sig) != 0) {
  }
  return sig;
}

}  // namespace

int run_worker(const worker_options& o) {
  setup_logging(o.log_format, o.log_level, o.id);
  if (!mf::cluster::is_valid_name(o.id)) {
    spdlog::error("event=bad_config error=\"--id '{}' is not a valid node name\"", o.id);
    return 2;
  }
  // Termination signals are taken synchronously by main (sigwait): block them in every thread
  // started from here on (threads inherit the mask).
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);

  const unsigned threads =
      o.threads ? o.threads : std::max(1u, std::thread::hardware_concurrency());
  caf::actor_system_config cfg;
  cfg.set("scheduler.max-threads", static_cast<std::size_t>(threads));
  // CAF 0.17's work-stealing workers poll for jobs (sleeping 50 us between attempts) instead of
  // blocking: on 2 cores that burnt a core in context switches and, next to a training job,
  // delayed every other process by up to 200 ms (perf sched). The sharing policy blocks on a
  // condition variable, so idle scheduler threads cost nothing.
  cfg.set("scheduler.policy",
          o.scheduler == "stealing" ? caf::atom("stealing") : caf::atom("sharing"));
  caf::actor_system sys{cfg};

  auto metrics = std::make_shared<mf::actors::worker_metrics>();
  auto cell = std::make_shared<mf::actors::snapshot_cell>();
  mf::actors::cluster_endpoints ep{o.redis, o.key_prefix, o.store, o.id};

  std::optional<mf::protocol::curve_keys> curve;
  if (!load_curve_keys_flag(o.curve_keys, curve)) return 2;
  auto socket = worker_socket::bind(o.bind, metrics, o.id, curve ? &*curve : nullptr);
  if (!socket) {
    spdlog::error("event=bind_failed endpoint={} error=\"{}\"", o.bind, socket.error().message);
    return 1;
  }
  auto sock = *socket;

  mf::actors::model_host_config hc;
  hc.budget_bytes = o.memory_budget;
  hc.loaders = o.loaders;
  hc.inline_loads = o.inline_loads;
  hc.source_factory = mf::actors::make_registry_model_source(ep);
  hc.cell = cell;
  hc.metrics = metrics;
  hc.log = [](const std::string& line) { spdlog::info("event=model_host {}", line); };
  hc.trace = [](const std::string& line) { spdlog::debug("event=model_host {}", line); };
  auto host = mf::actors::spawn_model_host(sys, hc);

  mf::actors::predictor_config pc{cell, host, metrics, sock};
  auto predictors =
      mf::actors::spawn_predictors(sys, o.predictors ? o.predictors : 2 * threads, pc);

  mf::actors::trainer_config tc;
  tc.slots = o.train_slots;
  tc.backend_factory = mf::actors::make_registry_train_backend(ep);
  tc.sink = sock;
  tc.metrics = metrics;
  tc.node_id = o.id;
  tc.nice = o.train_nice;
  tc.idle_policy = o.train_sched_idle;
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  tc.cores = o.train_cores >= 0 ? static_cast<unsigned>(o.train_cores) : std::max(1u, cores - 1);
  tc.log = [](const std::string& line) { spdlog::info("event=trainer {}", line); };
  auto trainer = mf::actors::spawn_trainer(sys, tc);

  std::atomic<bool> draining{false};
  cluster_link_config lc;
  lc.node_id = o.id;
  lc.redis_url = o.redis;
  lc.key_prefix = o.key_prefix;
  lc.address = sock->endpoint();
  lc.train_slots = o.train_slots;
  lc.memory_budget_bytes = o.memory_budget;
  lc.heartbeat = std::chrono::milliseconds(o.heartbeat_ms);
  lc.heartbeat_ttl = std::chrono::milliseconds(o.heartbeat_ttl_ms);
  lc.metrics = metrics;
  lc.host = host;
  lc.trainer = trainer;
  auto registered = lc.registered;

  auto admin =
      admin_http::start(o.admin_http, [&, registered](const std::string& path) -> http_answer {
        if (path == "/healthz") return {200, "application/json", R"({"status":"ok"})"};
        if (path == "/readyz") {
          bool ready = registered->load() && !draining.load();
          return {ready ? 200 : 503, "application/json",
                  std::string(R"({"status":")") +
                      (draining.load() ? "draining"
                       : ready         ? "ready"
                                       : "starting") +
                      "\"}"};
        }
        if (path == "/metrics")
          return {200, "text/plain; version=0.0.4", metrics->render_prometheus(o.id)};
        return {404, "application/json",
                R"({"error":{"code":"not_found","message":"no such route"}})"};
      });
  if (!admin) {
    spdlog::error("event=admin_listen_failed error=\"{}\"", admin.error().message);
    return 1;
  }
  lc.admin_address = (*admin)->url();
  auto registrar = spawn_registrar(sys, lc);
  auto events = spawn_events_listener(sys, lc, registrar);

  dispatcher dispatch{o, sock, metrics, predictors, host, trainer, draining};
  std::thread socket_thread([&] { sock->run(std::ref(dispatch)); });

  spdlog::info("event=started budget={} train_slots={} threads={} store={}",
               format_size(o.memory_budget), o.train_slots, threads, o.store);
  std::cout << "modelfleet worker " << o.id << " ready zmq=" << sock->endpoint()
            << " admin=" << (*admin)->url() << std::endl;

  int sig = wait_for_signal();
  spdlog::info("event=draining signal={} inflight={}", sig, metrics->predict_inflight.load());
  draining.store(true);
  caf::scoped_actor self{sys};
  self->request(registrar, 3s, drain_atom::value)
      .receive([](bool) {}, [](caf::error&) { spdlog::warn("event=drain_flag_failed"); });
  // Graceful drain: answer everything already received, including requests still in socket
  // buffers (so: in-flight work done AND no new frame for a quiet period); bounded by the timeout.
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(o.drain_timeout_ms);
  auto last_frames = metrics->frames_in.load();
  auto quiet_since = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() < deadline) {
    auto frames = metrics->frames_in.load();
    if (frames != last_frames) {
      last_frames = frames;
      quiet_since = std::chrono::steady_clock::now();
    }
    bool idle = metrics->predict_inflight.load() == 0 && metrics->reply_queue_depth.load() == 0;
    if (idle && std::chrono::steady_clock::now() - quiet_since >= 200ms) break;
    std::this_thread::sleep_for(5ms);
  }
  const auto left = metrics->predict_inflight.load();
  caf::anon_send(trainer, mf::actors::cancel_atom::value, std::string("*"));
  sock->stop();
  socket_thread.join();
  self->request(registrar, 3s, deregister_atom::value)
      .receive(
          [](bool ok) {
            if (!ok) spdlog::warn("event=deregister_failed");
          },
          [](caf::error&) { spdlog::warn("event=deregister_failed"); });
  (*admin)->stop();
  for (auto& p : predictors) caf::anon_send_exit(p, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(events, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(registrar, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(trainer, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(host, caf::exit_reason::user_shutdown);
  spdlog::info("event=stopped unanswered={}", left);
  return left == 0 ? 0 : 3;
}

}  // namespace mf::nodes
