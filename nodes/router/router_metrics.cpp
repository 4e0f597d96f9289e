// router_metrics: cumulative histogram buckets as Prometheus expects them.
#include "nodes/router/router_metrics.hpp"

#include <fmt/format.h>

namespace mf::router {

void router_metrics::observe(const std::string& route, int status,
                             std::chrono::microseconds latency) {
  const double s = static_cast<double>(latency.count()) / 1e6;
  std::lock_guard lock(mutex_);
  ++requests_[{route, status}];
  auto& h = latency_[route];
  for (std::size_t i = 0; i < buckets_seconds.size(); ++i) {
    if (s <= buckets_seconds[i]) ++h.counts[i];
  }
  ++h.count;
  h.sum += s;
}

void router_metrics::render(std::string& out) const {
  std::lock_guard lock(mutex_);
  out += "# HELP modelfleet_router_requests_total HTTP requests by route and status.\n";
  out += "# TYPE modelfleet_router_requests_total counter\n";
  for (const auto& [key, n] : requests_) {
    out += fmt::format("modelfleet_router_requests_total{{route=\"{}\",status=\"{}\"}} {}\n",
                       key.first, key.second, n);
  }
  out += "# HELP modelfleet_router_request_seconds HTTP request latency by route.\n";
  out += "# TYPE modelfleet_router_request_seconds histogram\n";
  for (const auto& [route, h] : latency_) {
    for (std::size_t i = 0; i < buckets_seconds.size(); ++i) {
      out += fmt::format("modelfleet_router_request_seconds_bucket{{route=\"{}\",le=\"{}\"}} {}\n",
                         route, buckets_seconds[i], h.counts[i]);
    }
    out += fmt::format("modelfleet_router_request_seconds_bucket{{route=\"{}\",le=\"+Inf\"}} {}\n",
                       route, h.count);
    out += fmt::format("modelfleet_router_request_seconds_sum{{route=\"{}\"}} {}\n", route, h.sum);
    out +=
        fmt::format("modelfleet_router_request_seconds_count{{route=\"{}\"}} {}\n", route, h.count);
  }
}

}  // namespace mf::router
