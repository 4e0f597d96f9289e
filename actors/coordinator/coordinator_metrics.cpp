#include "actors/coordinator/coordinator_metrics.hpp"

namespace mf::coordinator {
namespace {

void add(std::string& out, const char* name, const char* type, const char* help,
         std::uint64_t value) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += help;
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
  out += name;
  out += ' ';
  out += std::to_string(value);
  out += '\n';
}

}  // namespace

std::string coordinator_metrics::prometheus_text() const {
  std::string out;
  add(out, "modelfleet_coordinator_leader", "gauge", "1 if this coordinator holds the lease",
      leader.load() ? 1 : 0);
  add(out, "modelfleet_coordinator_lease_epoch", "gauge", "fencing epoch of the held lease",
      lease_epoch.load());
  add(out, "modelfleet_coordinator_leadership_changes_total", "counter",
      "times this coordinator gained or lost the lease", leadership_changes.load());
  add(out, "modelfleet_placement_epoch", "gauge", "last placement epoch written or seen",
      placement_epoch.load());
  add(out, "modelfleet_placement_writes_total", "counter", "placements written",
      placement_writes.load());
  add(out, "modelfleet_jobs_assigned_total", "counter", "training attempts assigned to workers",
      jobs_assigned.load());
  add(out, "modelfleet_jobs_succeeded_total", "counter", "jobs finished succeeded",
      jobs_succeeded.load());
  add(out, "modelfleet_jobs_failed_total", "counter", "jobs finished failed", jobs_failed.load());
  add(out, "modelfleet_jobs_cancelled_total", "counter", "jobs finished cancelled",
      jobs_cancelled.load());
  add(out, "modelfleet_jobs_requeued_total", "counter", "attempts re-queued after a worker loss",
      jobs_requeued.load());
  add(out, "modelfleet_jobs_running", "gauge", "jobs assigned and not finished",
      jobs_running.load());
  add(out, "modelfleet_versions_published_total", "counter", "versions published by training",
      versions_published.load());
  add(out, "modelfleet_versions_activated_total", "counter", "versions activated by policy",
      versions_activated.load());
  add(out, "modelfleet_versions_pruned_total", "counter", "versions deleted by retention",
      versions_pruned.load());
  add(out, "modelfleet_coordinator_redis_errors_total", "counter", "failed registry calls",
      redis_errors.load());
  add(out, "modelfleet_coordinator_nodes_unverified", "gauge",
      "workers not verified over CURVE (not placed, no training)", nodes_unverified.load());
  add(out, "modelfleet_coordinator_node_unverified_events_total", "counter",
      "event=node_unverified log lines (a worker still not verified after the grace period)",
      nodes_unverified_events.load());
  add(out, "modelfleet_jobs_stale_reports_total", "counter",
      "progress/results of a superseded attempt, dropped (attempt fencing)", stale_reports.load());
  return out;
}

}  // namespace mf::coordinator
