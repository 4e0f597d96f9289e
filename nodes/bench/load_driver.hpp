// load_driver: runs the load of one bench_options against its target on options.threads
// threads and returns the merged run_result. Every run is bounded: the send phase ends after
// warm-up + duration, requests still in flight get at most `timeout` more, then are cut off.
// Thread-safe to call from one thread at a time (it starts and joins its own threads).
#pragma once

#include "common/expected.hpp"
#include "nodes/bench/bench_options.hpp"
#include "nodes/bench/run_result.hpp"
#include "nodes/bench/workload.hpp"

namespace mf::bench {

// One load thread's share of the options: connections and rate divided by thread count.
struct thread_share {
  std::size_t index = 0;
  std::size_t connections = 1;
  double rate = 0;  // 0 = closed loop
};

// The three targets; each runs one thread's share and fills `rec`.
mf::expected<void> run_http_thread(const bench_options& options, const workload& wl,
                                   const thread_share& share, bench_clock::time_point start,
                                   recorder& rec, run_result& out);
mf::expected<void> run_front_thread(const bench_options& options, const workload& wl,
                                    const thread_share& share, bench_clock::time_point start,
                                    recorder& rec, run_result& out);
// Raw DEALER/ROUTER round trips with the predict request/reply sizes of `wl`, against an echo
// ROUTER at `endpoint` (see zmq_echo_server).
mf::expected<void> run_ceiling_thread(const bench_options& options, const workload& wl,
                                      const std::string& endpoint, const thread_share& share,
                                      bench_clock::time_point start, recorder& rec,
                                      run_result& out);

// Runs the whole load (all threads, progress line) and returns the merged result.
mf::expected<run_result> run_load(const bench_options& options);

}  // namespace mf::bench
