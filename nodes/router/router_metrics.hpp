// router_metrics: request counts by route and status and latency histograms, rendered in the
// Prometheus text format 0.0.4. Thread-safe (one mutex; updates are a few map operations).
#pragma once

#include <array>
#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <utility>

namespace mf::router {

class router_metrics {
 public:
  void observe(const std::string& route, int status, std::chrono::microseconds latency);
  // Appends the router's series to `out`.
  void render(std::string& out) const;

  static constexpr std::array<double, 12> buckets_seconds{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                          0.05,   0.1,   0.25,   0.5,   1.0,  2.5};

 private:
  struct histogram {
    std::array<std::uint64_t, buckets_seconds.size()> counts{};
    std::uint64_t count = 0;
    double sum = 0;
  };
  mutable std::mutex mutex_;
  std::map<std::pair<std::string, int>, std::uint64_t> requests_;
  std::map<std::string, histogram> latency_;
};

}  // namespace mf::router
