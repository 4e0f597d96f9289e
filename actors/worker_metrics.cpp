#include "actors/worker_metrics.hpp"

#include <algorithm>
#include <cstdio>

namespace mf::actors {

void latency_histogram::observe(double seconds) noexcept {
  auto it = std::lower_bound(bounds_seconds.begin(), bounds_seconds.end(), seconds);
  buckets_[static_cast<std::size_t>(it - bounds_seconds.begin())].fetch_add(
      1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_micros_.fetch_add(static_cast<std::uint64_t>(std::max(0.0, seconds) * 1e6),
                        std::memory_order_relaxed);
}

double latency_histogram::quantile_upper_bound(double q) const noexcept {
  std::uint64_t total = count();
  if (total == 0) return 0;
  auto target = static_cast<std::uint64_t>(q * static_cast<double>(total));
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < bounds_seconds.size(); ++i) {
    seen += buckets_[i].load(std::memory_order_relaxed);
    if (seen >= target) return bounds_seconds[i];
  }
  return bounds_seconds.back() * 2;
}

void latency_histogram::render(std::string& out, const std::string& name,
                               const std::string& help) const {
  char line[256];
  out += "# HELP " + name + " " + help + "\n# TYPE " + name + " histogram\n";
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < bounds_seconds.size(); ++i) {
    cumulative += buckets_[i].load(std::memory_order_relaxed);
    std::snprintf(line, sizeof line, "%s_bucket{le=\"%g\"} %llu\n", name.c_str(), bounds_seconds[i],
                  static_cast<unsigned long long>(cumulative));
    out += line;
  }
  cumulative += buckets_.back().load(std::memory_order_relaxed);
  std::snprintf(line, sizeof line, "%s_bucket{le=\"+Inf\"} %llu\n%s_sum %.6f\n%s_count %llu\n",
                name.c_str(), static_cast<unsigned long long>(cumulative), name.c_str(),
                static_cast<double>(sum_micros_.load(std::memory_order_relaxed)) / 1e6,
                name.c_str(), static_cast<unsigned long long>(cumulative));
  out += line;
}

namespace {
template <class Atomic>
void sample(std::string& out, const char* name, const char* type, const char* help,
            const Atomic& value, const std::string& node) {
  out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n" +
         name + "{node=\"" + node + "\"} " + std::to_string(value.load(std::memory_order_relaxed)) +
         "\n";
}
}  // namespace

std::string worker_metrics::render_prometheus(const std::string& node) const {
  std::string out;
  out.reserve(4096);
  sample(out, "modelfleet_worker_cache_hits_total", "counter", "Predictions served from memory.",
         cache_hits, node);
  sample(out, "modelfleet_worker_cache_misses_total", "counter",
         "Predictions that had to wait for a load.", cache_misses, node);
  sample(out, "modelfleet_worker_cache_loads_total", "counter",
         "Models loaded from the blob store.", cache_loads, node);
  sample(out, "modelfleet_worker_cache_inline_loads_total", "counter",
         "Of those, loads served from memory on the model host, without a loader thread.",
         cache_inline_loads, node);
  sample(out, "modelfleet_worker_cache_load_failures_total", "counter", "Loads that failed.",
         cache_load_failures, node);
  sample(out, "modelfleet_worker_preloads_skipped_total", "counter",
         "Placed models not preloaded because the cache was 90 % full (they load on first use).",
         preloads_skipped, node);
  sample(out, "modelfleet_worker_cache_evictions_total", "counter",
         "Models evicted by the memory policy.", cache_evictions, node);
  sample(out, "modelfleet_worker_models_loaded", "gauge", "Models resident in memory.",
         models_loaded, node);
  sample(out, "modelfleet_worker_memory_bytes", "gauge", "Estimated bytes of resident models.",
         memory_bytes, node);
  sample(out, "modelfleet_worker_memory_retired_bytes", "gauge",
         "Evicted models still leased by in-flight work.", memory_retired_bytes, node);
  sample(out, "modelfleet_worker_memory_budget_bytes", "gauge", "Memory budget for models.",
         memory_budget_bytes, node);
  sample(out, "modelfleet_worker_tenants_placed", "gauge", "Tenants placed on this node.",
         tenants_placed, node);
  sample(out, "modelfleet_worker_loads_pending", "gauge", "Distinct model loads in progress.",
         loads_pending, node);
  sample(out, "modelfleet_worker_predict_requests_total", "counter", "Predict requests received.",
         predict_requests, node);
  sample(out, "modelfleet_worker_predict_errors_total", "counter",
         "Predict requests answered with an error.", predict_errors, node);
  sample(out, "modelfleet_worker_predict_deadline_exceeded_total", "counter",
         "Predict requests dropped after their deadline.", predict_deadline_exceeded, node);
  sample(out, "modelfleet_worker_predict_inflight", "gauge",
         "Predict requests received and not yet answered.", predict_inflight, node);
  sample(out, "modelfleet_worker_predict_queue_depth", "gauge",
         "Predict requests waiting for a predictor.", predict_queued, node);
  sample(out, "modelfleet_worker_reply_queue_depth", "gauge",
         "Replies waiting for the socket thread.", reply_queue_depth, node);
  sample(out, "modelfleet_worker_frames_total", "counter", "Frames received on the ROUTER socket.",
         frames_in, node);
  sample(out, "modelfleet_worker_frames_bad_total", "counter", "Frames that failed to decode.",
         frames_bad, node);
  sample(out, "modelfleet_worker_predict_batch_frames_total", "counter",
         "Frames carrying several predict requests (predictBatchRequest).", predict_batch_frames,
         node);
  sample(out, "modelfleet_worker_train_running", "gauge", "Training jobs running.", train_running,
         node);
  sample(out, "modelfleet_worker_train_started_total", "counter", "Training jobs started.",
         train_started, node);
  sample(out, "modelfleet_worker_train_succeeded_total", "counter", "Training jobs succeeded.",
         train_succeeded, node);
  sample(out, "modelfleet_worker_train_failed_total", "counter", "Training jobs failed.",
         train_failed, node);
  sample(out, "modelfleet_worker_train_cancelled_total", "counter", "Training jobs cancelled.",
         train_cancelled, node);
  sample(out, "modelfleet_worker_train_rejected_total", "counter",
         "Training assignments refused (no free slot).", train_rejected, node);
  predict_latency.render(out, "modelfleet_worker_predict_latency_seconds",
                         "Time from frame receipt to reply queued.");
  return out;
}

}  // namespace mf::actors
