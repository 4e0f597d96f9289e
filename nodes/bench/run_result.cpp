// run_result: merging and recording.
#include "nodes/bench/run_result.hpp"

#include <algorithm>

namespace mf::bench {

void run_result::merge(const run_result& other) {
  for (std::size_t i = 0; i < ops.size(); ++i) {
    ops[i].completed += other.ops[i].completed;
    ops[i].ok += other.ops[i].ok;
    for (const auto& [key, n] : other.ops[i].errors) ops[i].errors[key] += n;
    ops[i].latency.merge(other.ops[i].latency);
  }
  sent += other.sent;
  rows_ok += other.rows_ok;
  missed_sends += other.missed_sends;
  unfinished += other.unfinished;
  measured_seconds = std::max(measured_seconds, other.measured_seconds);
  if (timeline.size() < other.timeline.size()) timeline.resize(other.timeline.size());
  for (std::size_t s = 0; s < other.timeline.size(); ++s) {
    timeline[s].completed += other.timeline[s].completed;
    timeline[s].ok += other.timeline[s].ok;
    timeline[s].rows_ok += other.timeline[s].rows_ok;
    timeline[s].latency.merge(other.timeline[s].latency);
  }
}

void recorder::completed(op_kind op, bench_clock::time_point due, bench_clock::time_point done,
                         bool ok, std::size_t rows, const std::string& error_key) {
  if (live_) {
    live_->completed.fetch_add(1, std::memory_order_relaxed);
    if (!ok) live_->errors.fetch_add(1, std::memory_order_relaxed);
    if (ok && op == op_kind::predict) live_->rows_ok.fetch_add(rows, std::memory_order_relaxed);
  }
  if (due < measure_from_) return;
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(done - due).count();
  const auto latency = static_cast<std::uint64_t>(std::max<std::int64_t>(ns, 0));
  op_result& r = result_.ops[static_cast<std::size_t>(op)];
  ++r.completed;
  r.latency.record(latency);
  if (ok) {
    ++r.ok;
    if (op == op_kind::predict) result_.rows_ok += rows;
  } else {
    ++r.errors[error_key];
  }
  const auto second = static_cast<std::size_t>(
      std::chrono::duration_cast<std::chrono::seconds>(done - measure_from_).count());
  const std::size_t slot = std::min(second, max_timeline_seconds - 1);
  if (result_.timeline.size() <= slot) result_.timeline.resize(slot + 1);
  timeline_second& t = result_.timeline[slot];
  ++t.completed;
  if (ok) {
    ++t.ok;
    if (op == op_kind::predict) t.rows_ok += rows;
  }
  t.latency.record(latency);
}

}  // namespace mf::bench
