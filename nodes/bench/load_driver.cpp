// load_driver: splits the load over threads, prints the progress line, merges the results.
#include "nodes/bench/load_driver.hpp"

#include <unistd.h>

#include <cstdio>
#include <memory>
#include <thread>
#include <vector>

#include "nodes/bench/zmq_echo_server.hpp"
#include "nodes/bench/zmq_relay.hpp"
#include "protocol/codec.hpp"

namespace mf::bench {
namespace {

using namespace std::chrono;

// The reply frame a worker would send for `rows` predictions (for the ceiling's echo server).
mf::expected<std::string> reply_frame(const workload& wl) {
  protocol::predict_reply reply;
  reply.request_id = 1;
  reply.model = wl.model();
  reply.version = 1;
  reply.predictions.assign(wl.rows(), 1.0);
  reply.probabilities.assign(wl.rows(), 0.75);
  reply.n_prob_columns = 1;
  auto frame = protocol::encode(protocol::make_envelope(std::move(reply)));
  if (!frame) return std::move(frame).error();
  return std::string(static_cast<const char*>(frame->data()), frame->size());
}

void print_progress(const live_counters& live, bench_clock::time_point start,
                    bench_clock::time_point end, std::uint64_t& last_completed,
                    std::uint64_t& last_rows) {
  const auto now = bench_clock::now();
  const double elapsed = duration<double>(now - start).count();
  const double total = duration<double>(end - start).count();
  const std::uint64_t completed = live.completed.load(std::memory_order_relaxed);
  const std::uint64_t rows = live.rows_ok.load(std::memory_order_relaxed);
  std::fprintf(stderr, "\r  %5.1fs/%.0fs  %9llu done  %8.0f req/s  %9.0f rows/s  %llu errors   ",
               elapsed, total, static_cast<unsigned long long>(completed),
               static_cast<double>(completed - last_completed),
               static_cast<double>(rows - last_rows),
               static_cast<unsigned long long>(live.errors.load(std::memory_order_relaxed)));
  std::fflush(stderr);
  last_completed = completed;
  last_rows = rows;
}

}  // namespace

mf::expected<run_result> run_load(const bench_options& o) {
  if (o.threads == 0 || o.threads > 64) {
    return mf::make_error(mf::errc::invalid_field, "threads must be in 1..64");
  }
  if (o.connections < o.threads || o.connections > 10'000) {
    return mf::make_error(mf::errc::invalid_field, "connections must be in threads..10000");
  }
  if (o.duration <= milliseconds(0) || o.duration > hours(24)) {
    return mf::make_error(mf::errc::invalid_field, "duration must be in (0, 24h]");
  }
  if (o.timeout <= milliseconds(0))
    return mf::make_error(mf::errc::invalid_field, "timeout must be > 0");
  if (!(o.rate >= 0)) return mf::make_error(mf::errc::invalid_field, "rate must be >= 0");
  if (o.target == target_kind::http && o.url.empty()) {
    return mf::make_error(mf::errc::invalid_field, "--url is required");
  }
  if (o.target == target_kind::front && o.front.empty()) {
    return mf::make_error(mf::errc::invalid_field, "--front is required");
  }
  auto wl = workload::create(o);
  if (!wl) return std::move(wl).error();

  std::unique_ptr<zmq_echo_server> echo;
  if (o.target == target_kind::zmq_ceiling) {
    auto reply = reply_frame(*wl);
    if (!reply) return std::move(reply).error();
    auto server = zmq_echo_server::start(std::move(*reply));
    if (!server) return std::move(server).error();
    echo = std::move(*server);
  }
  std::unique_ptr<zmq_relay> relay;  // declared after `echo`, so it stops first
  if (o.target == target_kind::zmq_ceiling && o.ceiling_relay) {
    auto started = zmq_relay::start(echo->endpoint());
    if (!started) return std::move(started).error();
    relay = std::move(*started);
  }
  const std::string ceiling_endpoint =
      relay ? relay->endpoint() : (echo ? echo->endpoint() : std::string());

  live_counters live;
  // A short head start so every thread is ready before the first request is due.
  const auto start = bench_clock::now() + milliseconds(20);
  const auto measure_from = start + o.warmup;
  std::vector<run_result> results(o.threads);
  std::vector<std::unique_ptr<recorder>> recorders;
  std::vector<mf::expected<void>> outcomes(o.threads);
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < o.threads; ++i) {
    recorders.push_back(std::make_unique<recorder>(measure_from, &live));
  }
  for (std::size_t i = 0; i < o.threads; ++i) {
    thread_share share;
    share.index = i;
    share.connections = o.connections / o.threads + (i < o.connections % o.threads ? 1 : 0);
    share.rate = o.rate / static_cast<double>(o.threads);
    threads.emplace_back([&, i, share] {
      std::this_thread::sleep_until(start);
      switch (o.target) {
        case target_kind::http:
          outcomes[i] = run_http_thread(o, *wl, share, start, *recorders[i], results[i]);
          break;
        case target_kind::front:
          outcomes[i] = run_front_thread(o, *wl, share, start, *recorders[i], results[i]);
          break;
        case target_kind::zmq_ceiling:
          outcomes[i] =
              run_ceiling_thread(o, *wl, ceiling_endpoint, share, start, *recorders[i], results[i]);
          break;
      }
    });
  }
  // The progress line (and nothing else) runs on this thread while the load runs.
  const auto end = start + o.warmup + o.duration;
  std::uint64_t last_completed = 0, last_rows = 0;
  const bool progress = o.progress;
  while (progress && bench_clock::now() < end) {
    std::this_thread::sleep_until(std::min(end, bench_clock::now() + seconds(1)));
    print_progress(live, start, end, last_completed, last_rows);
  }
  for (auto& t : threads) t.join();
  if (progress) std::fprintf(stderr, "\n");
  for (auto& outcome : outcomes) {
    if (!outcome) return outcome.error();
  }
  run_result merged;
  for (std::size_t i = 0; i < o.threads; ++i) {
    run_result& r = recorders[i]->result();
    r.sent = results[i].sent;
    r.missed_sends = results[i].missed_sends;
    r.unfinished = results[i].unfinished;
    merged.merge(r);
  }
  merged.measured_seconds = duration<double>(o.duration).count();
  return merged;
}

}  // namespace mf::bench
