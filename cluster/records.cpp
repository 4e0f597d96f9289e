#include "cluster/records.hpp"

#include <chrono>

namespace mf::cluster {

std::int64_t now_unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string_view to_string(job_status s) noexcept {
  switch (s) {
    case job_status::queued:
      return "queued";
    case job_status::running:
      return "running";
    case job_status::succeeded:
      return "succeeded";
    case job_status::failed:
      return "failed";
    case job_status::cancelled:
      return "cancelled";
  }
  return "failed";
}

std::optional<job_status> parse_job_status(std::string_view s) noexcept {
  for (auto st : {job_status::queued, job_status::running, job_status::succeeded,
                  job_status::failed, job_status::cancelled}) {
    if (to_string(st) == s) return st;
  }
  return std::nullopt;
}

std::string_view to_string(node_state s) noexcept {
  switch (s) {
    case node_state::up:
      return "up";
    case node_state::draining:
      return "draining";
    case node_state::down:
      return "down";
  }
  return "down";
}

}  // namespace mf::cluster
