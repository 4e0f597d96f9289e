// worker_metrics: the counters, gauges and latency histogram a worker exposes on /metrics.
// Thread-safe: every field is an atomic updated with relaxed ordering from any thread.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>

namespace mf::actors {

// Fixed-bucket histogram (Prometheus style, cumulative on render). Lock-free observe().
class latency_histogram {
 public:
  static constexpr std::array<double, 14> bounds_seconds = {
      0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5};

  void observe(double seconds) noexcept;
  std::uint64_t count() const noexcept { return count_.load(std::memory_order_relaxed); }
  // Upper bound of the bucket holding quantile q (0..1): coarse, for logs and health checks.
  double quantile_upper_bound(double q) const noexcept;
  void render(std::string& out, const std::string& name, const std::string& help) const;

 private:
  std::array<std::atomic<std::uint64_t>, bounds_seconds.size() + 1> buckets_{};  // last = +Inf
  std::atomic<std::uint64_t> count_{0};
  std::atomic<std::uint64_t> sum_micros_{0};
};

struct worker_metrics {
  // Cache (hits/misses are counted by the predictors on the hot path, the rest by the host).
  std::atomic<std::uint64_t> cache_hits{0};
  std::atomic<std::uint64_t> cache_misses{0};
  std::atomic<std::uint64_t> cache_loads{0};
  std::atomic<std::uint64_t> cache_inline_loads{0};  // of cache_loads: done on the host
  std::atomic<std::uint64_t> cache_load_failures{0};
  std::atomic<std::uint64_t> preloads_skipped{0};  // placed models not preloaded: cache ~full
  std::atomic<std::uint64_t> cache_evictions{0};
  std::atomic<std::uint64_t> models_loaded{0};
  std::atomic<std::uint64_t> memory_bytes{0};          // resident in the cache
  std::atomic<std::uint64_t> memory_retired_bytes{0};  // evicted but still leased
  std::atomic<std::uint64_t> memory_budget_bytes{0};
  std::atomic<std::uint64_t> loads_pending{0};   // distinct keys being loaded
  std::atomic<std::uint64_t> tenants_placed{0};  // tenants the placement gives this node

  // Predictions.
  std::atomic<std::uint64_t> predict_requests{0};
  std::atomic<std::uint64_t> predict_errors{0};
  std::atomic<std::uint64_t> predict_deadline_exceeded{0};
  std::atomic<std::int64_t> predict_inflight{0};  // received, not yet answered
  std::atomic<std::int64_t> predict_queued{0};    // handed to a predictor, not yet started
  latency_histogram predict_latency;              // receive -> reply queued

  // Socket thread.
  std::atomic<std::uint64_t> frames_in{0};
  std::atomic<std::uint64_t> frames_bad{0};
  std::atomic<std::uint64_t> predict_batch_frames{0};  // predictBatchRequest frames received
  std::atomic<std::int64_t> reply_queue_depth{0};

  // Training.
  std::atomic<std::int64_t> train_running{0};
  std::atomic<std::uint64_t> train_started{0};
  std::atomic<std::uint64_t> train_succeeded{0};
  std::atomic<std::uint64_t> train_failed{0};
  std::atomic<std::uint64_t> train_cancelled{0};
  std::atomic<std::uint64_t> train_rejected{0};

  // Prometheus text format 0.0.4; `node` becomes a label on every sample.
  std::string render_prometheus(const std::string& node) const;
};

}  // namespace mf::actors
