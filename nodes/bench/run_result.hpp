// run_result: what one load run measured — per-call counts, errors by code, latency
// histograms, a per-second timeline — plus the recorder that fills it. A recorder belongs to
// one load thread; results are merged after the threads have joined. Not thread-safe.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "nodes/bench/histogram.hpp"
#include "nodes/bench/workload.hpp"

namespace mf::bench {

using bench_clock = std::chrono::steady_clock;

struct op_result {
  std::uint64_t completed = 0;
  std::uint64_t ok = 0;
  std::map<std::string, std::uint64_t> errors;  // "429 overloaded", "transport timeout", ...
  latency_histogram latency;                    // every completed request, ok or not
};

struct timeline_second {
  std::uint64_t completed = 0;
  std::uint64_t ok = 0;
  std::uint64_t rows_ok = 0;
  latency_histogram latency;
};

struct run_result {
  std::array<op_result, op_kind_count> ops;
  std::uint64_t sent = 0;
  std::uint64_t rows_ok = 0;       // rows of successful predictions
  std::uint64_t missed_sends = 0;  // open loop: requests due before the end but never sent
  std::uint64_t unfinished = 0;    // in flight when the run was cut off
  double measured_seconds = 0;     // duration minus warm-up
  std::vector<timeline_second> timeline;

  void merge(const run_result& other);
};

// Shared live counters for the progress line (relaxed atomics: approximate is fine).
struct live_counters {
  std::atomic<std::uint64_t> completed{0};
  std::atomic<std::uint64_t> errors{0};
  std::atomic<std::uint64_t> rows_ok{0};
};

class recorder {
 public:
  // Requests due before `measure_from` are not recorded (warm-up); timeline seconds count
  // from `measure_from`.
  recorder(bench_clock::time_point measure_from, live_counters* live)
      : measure_from_(measure_from), live_(live) {}

  // `due` = when the request should have been sent (open loop) or was sent (closed loop).
  void completed(op_kind op, bench_clock::time_point due, bench_clock::time_point done, bool ok,
                 std::size_t rows, const std::string& error_key);

  run_result& result() { return result_; }

 private:
  static constexpr std::size_t max_timeline_seconds = 3600;
  bench_clock::time_point measure_from_;
  live_counters* live_;
  run_result result_;
};

}  // namespace mf::bench
