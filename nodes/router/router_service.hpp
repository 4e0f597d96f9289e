// router_service: the transport-neutral core of the router: auth, routing, limits, and the
// dispatch of each request to the predict forwarder (non-blocking) or the blocking-work pool
// (Redis / blob store). handle() is thread-safe and never blocks on I/O; `done` is called
// exactly once, possibly from another thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "actors/router/predict_forwarder.hpp"
#include "nodes/router/api_handlers.hpp"
#include "nodes/router/api_types.hpp"
#include "nodes/router/auth.hpp"
#include "nodes/router/router_metrics.hpp"

namespace mf::router {

struct service_options {
  std::string admin_token;                // empty: auth off
  std::size_t blocking_threads = 2;       // Redis/blob workers, one handler_context each
  std::size_t max_blocking_queue = 1024;  // beyond: 429 (per lane)
  // Training submissions and artifact uploads (bodies of up to 256 MiB to parse and store) run
  // on one thread of their own at this nice value, so their tens of milliseconds of CPU yield
  // to the predict loop (docs/benchmarks.md, eleventh session). 0: they share the blocking
  // pool at normal priority.
  int bulk_nice = 19;
  std::int64_t default_deadline_ms = 1000;  // X-Request-Deadline-Ms default
  std::int64_t max_deadline_ms = 60'000;
  std::string web_root;  // static admin UI files; empty = none
  // Request log: one line for every Nth request (0 = none), and always for a 5xx answer.
  // Sampled so a busy router's log stays readable and cheap; never logs headers or bodies.
  std::uint64_t request_log_every = 100;
};

// Creates one handler_context per blocking thread (its own Redis connection).
using context_factory = std::function<mf::expected<handler_context>()>;

class router_service {
 public:
  using responder = std::function<void(api_response)>;

  // forwarder may be null (predict then answers 503).
  static mf::expected<std::unique_ptr<router_service>> create(service_options options,
                                                              context_factory factory,
                                                              predict_forwarder* forwarder);
  ~router_service();

  void handle(api_request request, responder done);

  router_metrics& metrics() { return metrics_; }

 private:
  router_service(service_options options, predict_forwarder* forwarder);
  // A queue of blocking work and the threads that drain it, each with its own context.
  struct work_lane {
    std::mutex mutex;
    std::condition_variable cv;
    std::deque<std::function<void(handler_context&)>> queue;
    bool stopping = false;
    std::vector<std::thread> threads;
  };
  void start_lane(work_lane& lane, std::vector<handler_context> contexts, int nice);
  static void stop_lane(work_lane& lane);
  static std::size_t queued(work_lane& lane);
  void run_blocking(std::function<void(handler_context&)> job, const responder& on_overload,
                    work_lane& lane);
  void run_blocking(std::function<void(handler_context&)> job, const responder& on_overload) {
    run_blocking(std::move(job), on_overload, blocking_);
  }
  void dispatch(route_match m, api_request req, principal who, responder done);
  void predict(route_match m, api_request req, responder done);
  api_response metrics_page();
  api_response static_file(const std::string& rest);

  service_options options_;
  admin_token admin_;
  key_cache keys_;
  predict_forwarder* forwarder_;
  router_metrics metrics_;
  std::atomic<std::uint64_t> requests_seen_{0};

  work_lane blocking_;
  work_lane bulk_;  // unused when options_.bulk_nice is 0
};

}  // namespace mf::router
