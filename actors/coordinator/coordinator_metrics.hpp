// coordinator_metrics: counters and gauges of the coordinator, rendered as Prometheus text.
// Thread-safe: every field is an atomic written by the control loop, read by the admin server.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

namespace mf::coordinator {

struct coordinator_metrics {
  std::atomic<bool> leader{false};
  std::atomic<std::uint64_t> lease_epoch{0};
  std::atomic<std::uint64_t> leadership_changes{0};
  std::atomic<std::uint64_t> placement_epoch{0};
  std::atomic<std::uint64_t> placement_writes{0};
  std::atomic<std::uint64_t> jobs_assigned{0};
  std::atomic<std::uint64_t> jobs_succeeded{0};
  std::atomic<std::uint64_t> jobs_failed{0};
  std::atomic<std::uint64_t> jobs_cancelled{0};
  std::atomic<std::uint64_t> jobs_requeued{0};
  std::atomic<std::uint64_t> jobs_running{0};
  std::atomic<std::uint64_t> versions_published{0};
  std::atomic<std::uint64_t> versions_activated{0};
  std::atomic<std::uint64_t> versions_pruned{0};
  std::atomic<std::uint64_t> redis_errors{0};
  // CURVE verification (node_verifier): workers not (yet) verified, and node_unverified events.
  std::atomic<std::uint64_t> nodes_unverified{0};
  std::atomic<std::uint64_t> nodes_unverified_events{0};
  // Progress / results of a superseded attempt (or an unknown job) that were dropped.
  std::atomic<std::uint64_t> stale_reports{0};

  std::string prometheus_text() const;
};

}  // namespace mf::coordinator
