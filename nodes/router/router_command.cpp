// router_command: parse flags, start the pieces in dependency order (forwarder, watcher,
// service, HTTP), print the ready line, wait for SIGTERM/SIGINT, stop in reverse order.
#include "nodes/router/router_command.hpp"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <asio/io_context.hpp>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <thread>

#include <spdlog/spdlog.h>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>

#include "actors/router/placement_keeper.hpp"
#include "cluster/blob_store.hpp"
#include "cluster/redis_registry.hpp"
#include "nodes/common_flags.hpp"
#include "nodes/curve_option.hpp"
#include "nodes/logging.hpp"
#include "nodes/router/http_server.hpp"

namespace mf::router {
namespace {

struct router_flags {
  std::string id;
  std::string redis = "redis://127.0.0.1:6379";
  std::string key_prefix = "mf:";
  std::string http = "0.0.0.0:8080";
  int http_port = -1;  // overrides the port of --http when set (API.md: MODELFLEET_HTTP_PORT)
  std::string front;
  std::string admin_token;
  std::string admin_token_file;
  std::string store = "fs:var/blobs";
  std::string web_root;
  std::size_t http_threads = 0;  // 0 = one per two cores, at least one
  std::size_t blocking_threads = 2;
  int bulk_nice = 19;
  std::size_t max_inflight = 4096;
  bool predict_batch = true;
  std::int64_t default_deadline_ms = 1000;
  unsigned header_timeout_ms = 10000;
  std::uint64_t request_log_every = 100;
  std::string curve_keys;
  std::string log_format = "text";
  std::string log_level = "info";
};

bool split_host_port(const std::string& s, std::string& host, std::uint16_t& port) {
  auto colon = s.rfind(':');
  if (colon == std::string::npos) return false;
  host = s.substr(0, colon);
  try {
    int p = std::stoi(s.substr(colon + 1));
    if (p < 0 || p > 65535) return false;
    port = static_cast<std::uint16_t>(p);
  } catch (...) {
    return false;
  }
  if (host.empty()) host = "0.0.0.0";
  return true;
}

int run_router(const router_flags& f) {
  const std::string id = f.id.empty() ? "router-" + std::to_string(::getpid()) : f.id;
  mf::nodes::setup_logging(f.log_format, f.log_level, id);
  // The admin token is a secret: it is never logged, not even its length.
  std::string token = f.admin_token;
  if (!f.admin_token_file.empty()) {
    std::ifstream in(f.admin_token_file);
    if (!in) {
      spdlog::error("event=bad_config error=\"cannot read --admin-token-file {}\"",
                    f.admin_token_file);
      return 2;
    }
    std::getline(in, token);
    while (!token.empty() && (token.back() == '\r' || token.back() == ' ')) token.pop_back();
  }
  std::string host;
  std::uint16_t port = 0;
  if (!split_host_port(f.http, host, port)) {
    spdlog::error("event=bad_config error=\"--http must be HOST:PORT, got {}\"", f.http);
    return 2;
  }
  if (f.http_port >= 0) {
    if (f.http_port > 65535) {
      spdlog::error("event=bad_config error=\"--http-port out of range\"");
      return 2;
    }
    port = static_cast<std::uint16_t>(f.http_port);
  }
  // Block the stop signals before any thread starts so only sigwait below sees them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  // One HTTP thread per two cores (why: on 2 cores a second HTTP thread only added context
  // switches next to the forwarder and ZeroMQ threads; W1 c8 went 7.7k -> 11.6k req/s with one).
  const std::size_t http_threads =
      f.http_threads ? f.http_threads
                     : std::max<std::size_t>(1, std::thread::hardware_concurrency() / 2);
  // With one HTTP thread the forwarder lives on the HTTP loop: a predict is parsed, forwarded
  // and answered on that thread, with no hand-off to a forwarder thread and back (two wake-ups
  // per request; docs/benchmarks.md). The forwarder needs a loop run by exactly one thread.
  std::shared_ptr<asio::io_context> loop;
  if (http_threads == 1) loop = std::make_shared<asio::io_context>(1);
  // Whatever path leaves this function, the loop is stopped before the forwarder goes (it is
  // declared after `forwarder`, so destroyed first), which then shuts down on this thread.
  struct stop_loop {
    std::shared_ptr<asio::io_context> loop;
    ~stop_loop() {
      if (loop) loop->stop();
    }
  };

  forwarder_options fo;
  if (!mf::nodes::load_curve_keys_flag(f.curve_keys, fo.curve)) return 2;
  fo.node_id = id;
  fo.max_inflight = f.max_inflight;
  fo.batch = f.predict_batch;
  fo.front_endpoint = f.front;
  fo.loop = loop;
  auto forwarder = predict_forwarder::start(fo);
  stop_loop loop_stopper{loop};
  if (!forwarder) {
    spdlog::error("event=start_failed error=\"{}\"", forwarder.error().message);
    return 1;
  }

  const std::string redis_url = f.redis, prefix = f.key_prefix, store = f.store;
  context_factory factory = [redis_url, prefix, store]() -> mf::expected<handler_context> {
    mf::cluster::redis_options ro;
    ro.lazy_connect = true;  // a router starts (and serves predictions) while Redis is down
    auto reg = mf::cluster::redis_registry::connect(redis_url, prefix, ro);
    if (!reg) return std::move(reg).error();
    auto blobs = mf::cluster::make_blob_store(store, redis_url, prefix);
    if (!blobs) return std::move(blobs).error();
    handler_context ctx;
    ctx.registry = std::make_shared<mf::cluster::redis_registry>(std::move(*reg));
    ctx.blobs = std::shared_ptr<mf::cluster::blob_store>(std::move(*blobs));
    return ctx;
  };
  service_options so;
  so.admin_token = token;
  so.blocking_threads = f.blocking_threads;
  so.bulk_nice = f.bulk_nice;
  so.default_deadline_ms = f.default_deadline_ms;
  so.web_root = f.web_root;
  so.request_log_every = f.request_log_every;
  auto service = router_service::create(so, factory, forwarder->get());
  if (!service) {
    spdlog::error("event=start_failed error=\"{}\"", service.error().message);
    return 1;
  }
  auto server = http_server::start(**service, host, port, http_threads,
                                   std::chrono::milliseconds(f.header_timeout_ms), loop);
  if (!server) {
    spdlog::error("event=start_failed error=\"{}\"", server.error().message);
    return 1;
  }
  const std::string shown_host = host == "0.0.0.0" ? "127.0.0.1" : host;
  const std::string http_url = "http://" + shown_host + ":" + std::to_string((*server)->port());

  // The router's actors: the placement keeper (cache + heartbeat) and its events listener.
  // Both are detached, so a scheduler thread is all the system needs.
  caf::actor_system_config actor_cfg;
  actor_cfg.set("scheduler.max-threads", std::size_t{1});
  actor_cfg.set("scheduler.policy", caf::atom("sharing"));
  std::optional<caf::actor_system> actors{std::in_place, actor_cfg};
  keeper_options ko;
  ko.redis_url = f.redis;
  ko.key_prefix = f.key_prefix;
  ko.self.node = id;
  ko.self.role = "router";
  ko.self.address = http_url;
  ko.self.admin_address = (*forwarder)->front_endpoint();
  auto keeper = spawn_placement_keeper(*actors, ko, **forwarder);
  {
    // The keeper loads the state before its first message: once this answers, the router
    // knows the placement it had in Redis (or Redis was down: keep going, it retries).
    caf::scoped_actor waiter{*actors};
    bool loaded = false;
    waiter->request(keeper, std::chrono::seconds(5), cached_atom::value)
        .receive([&](std::int64_t, std::uint64_t nodes, std::uint64_t, std::uint64_t,
                     std::uint64_t) { loaded = nodes > 0; },
                 [](caf::error&) {});
    if (!loaded) spdlog::info("event=no_nodes_yet retry=background");
  }

  spdlog::info(
      "event=started http={} front={} auth={} max_inflight={} http_threads={} forwarder={}",
      http_url, (*forwarder)->front_endpoint().empty() ? "off" : (*forwarder)->front_endpoint(),
      token.empty() ? "off" : "on", f.max_inflight, http_threads,
      loop ? "http-loop" : "own-thread");
  // The ready line is a protocol line for supervisors (ops/up): plain text on stdout always.
  std::cout << "modelfleet router " << id << " ready http=" << http_url;
  if (!(*forwarder)->front_endpoint().empty())
    std::cout << " front=" << (*forwarder)->front_endpoint();
  std::cout << std::endl;

  int sig = 0;
  sigwait(&stop_signals, &sig);
  spdlog::info("event=stopping signal={}", sig);
  std::cout << "modelfleet router " << id << " stopping (signal " << sig << ")" << std::endl;
  {
    // Deregister this router; then no actor touches the forwarder any more.
    caf::scoped_actor waiter{*actors};
    waiter->request(keeper, std::chrono::seconds(2), leave_atom::value)
        .receive([](bool) {}, [](caf::error&) {});
    caf::anon_send_exit(keeper, caf::exit_reason::user_shutdown);
  }
  destroy(keeper);     // a detached actor's thread ends only when its last handle is gone
  actors.reset();      // waits for the keeper and the events listener
  server->reset();     // stop taking requests
  service->reset();    // finish queued state work
  forwarder->reset();  // answer what is still in flight
  spdlog::info("event=stopped");
  return 0;
}

}  // namespace

void add_router_command(CLI::App& app) {
  auto f = std::make_shared<router_flags>();
  auto* cmd = app.add_subcommand("router",
                                 "REST gateway + ZeroMQ front door: routes predictions to workers");
  cmd->add_option("--id", f->id, "Node id of this router")->default_str("router-<pid>");
  cmd->add_option("--redis", f->redis, "Redis URL redis://[user:pass@]host:port/db")
      ->capture_default_str();
  cmd->add_option("--key-prefix", f->key_prefix, "Prefix of every Redis key")
      ->capture_default_str();
  cmd->add_option("--http", f->http, "HTTP listen address HOST:PORT (port 0 = any free port)")
      ->capture_default_str();
  cmd->add_option("--http-port", f->http_port,
                  "HTTP port; overrides the port of --http (-1 = use the port of --http)");
  cmd->add_option("--front", f->front,
                  "ZeroMQ front door endpoint to bind, e.g. tcp://0.0.0.0:5555 (empty = off)");
  cmd->add_option("--admin-token", f->admin_token,
                  "Admin bearer token (empty and no file = auth off)");
  cmd->add_option("--admin-token-file", f->admin_token_file,
                  "File whose first line is the admin token");
  cmd->add_option("--store", f->store, "Blob store: fs:/path or redis")->capture_default_str();
  cmd->add_option("--web-root", f->web_root, "Directory served at /admin/ (empty = none)");
  cmd->add_option("--http-threads", f->http_threads,
                  "HTTP I/O threads (0 = one per two cores, at least one)")
      ->capture_default_str();
  cmd->add_option("--blocking-threads", f->blocking_threads,
                  "Threads (each with a Redis connection) for state routes")
      ->capture_default_str();
  cmd->add_option("--bulk-nice", f->bulk_nice,
                  "Nice value of the one thread that parses and stores training submissions and "
                  "uploads, so they yield to predictions (0 = they share the blocking threads)")
      ->check(CLI::Range(0, 19))
      ->capture_default_str();
  cmd->add_option("--max-inflight", f->max_inflight,
                  "Predictions in flight before 429 + Retry-After")
      ->capture_default_str();
  cmd->add_option("--predict-batch", f->predict_batch,
                  "Send the predictions ready for one worker in the same loop turn as one "
                  "frame (workers at protocol level 2); false sends each alone")
      ->capture_default_str();
  cmd->add_option("--default-deadline-ms", f->default_deadline_ms,
                  "Predict deadline without X-Request-Deadline-Ms")
      ->capture_default_str();
  cmd->add_option("--header-timeout-ms", f->header_timeout_ms,
                  "A client must send a whole request (headers + body) within this; slower "
                  "connections are closed (slowloris). Raise it for big uploads on slow links")
      ->capture_default_str()
      ->check(CLI::Range(100u, 3600000u));
  cmd->add_option("--request-log-every", f->request_log_every,
                  "Log one request line (method, route, status, microseconds) per N requests; "
                  "0 = none. Every 5xx answer is logged regardless")
      ->capture_default_str();
  mf::nodes::add_curve_keys_flag(*cmd, f->curve_keys);
  mf::nodes::add_log_flags(*cmd, f->log_format, f->log_level);
  mf::nodes::finish_role_flags(*cmd, [f] {
    int rc = run_router(*f);
    if (rc != 0) throw CLI::RuntimeError(rc);
  });
}

}  // namespace mf::router
