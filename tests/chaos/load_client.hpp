// load_client: a bounded open-loop HTTP load generator (fixed request rate from a few threads)
// that records every request's start, latency and status, and summarises failures around a
// fault. start()/stop() from one thread; outcomes() after stop().
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

namespace mf::chaos {

// Milliseconds on the steady clock since the first call in this process (a shared time base
// for load outcomes and fault events).
double now_ms();

struct load_request {
  std::string method = "POST";
  std::string url;
  std::string body;
  std::vector<std::string> headers;
};

struct load_options {
  double rate_per_s = 200;  // requests started per second across all threads
  int threads = 4;          // at most this many requests in flight
  std::chrono::milliseconds timeout{3000};
  // The i-th request (called from load threads; must be thread-safe).
  std::function<load_request(std::size_t i)> make;
};

struct outcome {
  double start_ms = 0;
  double latency_ms = 0;
  long status = 0;  // 0: transport error
};

class steady_load {
 public:
  explicit steady_load(load_options options);
  ~steady_load();
  steady_load(const steady_load&) = delete;
  steady_load& operator=(const steady_load&) = delete;

  void start();
  void stop();
  std::size_t completed() const { return completed_.load(); }
  std::vector<outcome> outcomes() const;

 private:
  void run(int index);

  load_options options_;
  std::atomic<bool> stop_{false};
  std::atomic<std::size_t> next_{0};
  std::atomic<std::size_t> completed_{0};
  double t0_ = 0;
  std::vector<std::thread> threads_;
  mutable std::mutex mutex_;
  std::vector<outcome> outcomes_;
};

struct load_summary {
  std::size_t total = 0;
  std::size_t ok = 0;      // 2xx
  std::size_t failed = 0;  // anything else, including transport errors
  std::map<long, std::size_t> by_status;
  // Failure window: from the first failed request's start to the last failed request's end,
  // in ms after `event_ms` (0/0 when nothing failed).
  double first_failure_ms = 0;
  double last_failure_end_ms = 0;
  double window_ms = 0;
  double p50_ms = 0, p99_ms = 0, max_ms = 0;  // latency of 2xx requests
  double achieved_rate = 0;                   // completed requests per second

  nlohmann::json to_json() const;
};

// Summarises outcomes; failure times are relative to `event_ms` (the fault).
load_summary summarize(const std::vector<outcome>& outcomes, double event_ms,
                       const std::function<bool(long)>& is_ok = {});

// Writes figures as MF_BINARY_DIR/chaos-results/<name>.json (for docs/reliability.md) and
// returns the path.
std::string write_figures(const std::string& name, const nlohmann::json& figures);

}  // namespace mf::chaos
