#include "cluster/records.hpp"

#include <charconv>
#include <chrono>

namespace mf::cluster {

std::int64_t now_unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::optional<std::int64_t> job_sequence(std::string_view job_id) noexcept {
  if (job_id.size() < 2 || job_id.size() > 19 || job_id.front() != 'j') return std::nullopt;
  std::int64_t n = 0;
  const auto* first = job_id.data() + 1;
  const auto* last = job_id.data() + job_id.size();
  auto [ptr, ec] = std::from_chars(first, last, n);
  if (ec != std::errc() || ptr != last || n <= 0 || *first == '0') return std::nullopt;
  return n;
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
