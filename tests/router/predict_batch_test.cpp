// The forwarder's predict batches against fake ZeroMQ workers: requests ready for one worker in
// the same loop turn leave as one predictBatchRequest frame (level-2 workers only), every reply
// finds its own caller, and failed or refused batches are retried like single requests.
#include <doctest/doctest.h>

#include <asio/executor_work_guard.hpp>
#include <asio/post.hpp>
#include <mutex>
#include <optional>

#include "actors/router/predict_forwarder.hpp"
#include "tests/router/router_fixture.hpp"
#include "tests/support/wait_until.hpp"

using namespace mf::test;
using mf::protocol::predict_reply;
using mf::protocol::predict_request;

namespace {

std::int64_t unix_ms_in(std::chrono::milliseconds d) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             (std::chrono::system_clock::now() + d).time_since_epoch())
      .count();
}

// A forwarder on an io_context run by one thread of the test, like the router's HTTP loop.
struct loop_forwarder {
  explicit loop_forwarder(bool batch = true) {
    mf::router::forwarder_options fo;
    fo.node_id = "router-test";
    fo.loop = io;
    fo.batch = batch;
    fo.suspect_for = std::chrono::milliseconds(100);
    forwarder = std::move(*mf::router::predict_forwarder::start(fo));
    guard.emplace(asio::make_work_guard(*io));
    thread = std::thread([this] { io->run(); });
  }
  ~loop_forwarder() {
    guard.reset();
    io->stop();
    thread.join();
    forwarder.reset();  // the loop has stopped: shuts down on this thread
  }

  void place(const std::vector<std::string>& nodes, const std::vector<const fake_worker*>& ws) {
    mf::router::cluster_view v;
    v.placement.epoch = ++epoch;
    v.placement.tenants = {{"t1", nodes}};
    for (auto* w : ws) {
      mf::cluster::node_record n;
      n.node = w->id();
      n.role = "worker";
      n.address = w->endpoint();
      n.protocol = w->protocol();
      v.nodes.push_back(n);
    }
    forwarder->update(std::move(v));
  }

  // Calls predict `n` times from inside one loop handler, so all n are ready in the same turn.
  // Request i has features {i, 1}: its answer is i + 1. Waits for every callback (5 s at most).
  std::vector<std::optional<predict_reply>> burst(std::size_t n,
                                                  std::chrono::milliseconds deadline) {
    auto results = std::make_shared<std::vector<std::optional<predict_reply>>>(n);
    auto mutex = std::make_shared<std::mutex>();
    auto done = std::make_shared<std::atomic<std::size_t>>(0);
    asio::post(*io, [=, this] {
      for (std::size_t i = 0; i < n; ++i) {
        predict_request r;
        r.request_id = 5000 + i;
        r.deadline_unix_ms = unix_ms_in(deadline);
        r.tenant = "t1";
        r.model = "m";
        r.n_features = 2;
        r.features = {static_cast<double>(i), 1.0};
        forwarder->predict(std::move(r), [=](predict_reply reply) {
          std::lock_guard lock(*mutex);
          (*results)[i] = std::move(reply);
          ++*done;
        });
      }
    });
    REQUIRE(wait_until([&] { return done->load() == n; }, std::chrono::seconds(5)));
    std::lock_guard lock(*mutex);
    return *results;
  }

  // Waits until `w` has answered a request of ours: its link is connected (a DEALER sends only
  // to a completed connection; before that a send fails and the request moves on).
  bool reaches(const fake_worker& w) {
    const int before = w.served.load();
    return wait_until(
        [&] {
          burst(4, std::chrono::milliseconds(300));
          return w.served.load() > before;
        },
        std::chrono::seconds(5), std::chrono::milliseconds(1));
  }

  // Waits until a lone request is answered without error (the links are connected).
  bool ready() {
    return wait_until(
        [&] {
          auto r = burst(1, std::chrono::milliseconds(300)).front();
          return r && !r->error;
        },
        std::chrono::seconds(5), std::chrono::milliseconds(1));
  }

  std::shared_ptr<asio::io_context> io = std::make_shared<asio::io_context>(1);
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> guard;
  std::unique_ptr<mf::router::predict_forwarder> forwarder;
  std::thread thread;
  std::int64_t epoch = 0;
};

// Every reply is the caller's own: its client id back and the row sum of its own features.
void check_answers(const std::vector<std::optional<predict_reply>>& got) {
  for (std::size_t i = 0; i < got.size(); ++i) {
    CAPTURE(i);
    REQUIRE(got[i].has_value());
    CHECK_FALSE(got[i]->error.has_value());
    CHECK(got[i]->request_id == 5000 + i);
    REQUIRE(got[i]->predictions.size() == 1);
    CHECK(got[i]->predictions[0] == static_cast<double>(i) + 1.0);
  }
}

}  // namespace

TEST_CASE("a burst for a level-2 worker leaves as one batch frame; each caller gets its answer") {
  fake_worker w("w1", /*protocol=*/2);
  loop_forwarder f;
  f.place({"w1"}, {&w});
  REQUIRE(f.ready());
  const int singles_before = w.single_frames.load();
  CHECK(w.batch_frames.load() == 0);  // a lone request travels as a plain predictRequest

  check_answers(f.burst(100, std::chrono::milliseconds(2000)));
  CHECK(w.batch_frames.load() == 1);
  CHECK(w.batch_items.load() == 100);
  CHECK(w.single_frames.load() == singles_before);
  auto s = f.forwarder->stats();
  CHECK(s.batch_frames == 1);
  CHECK(s.batched == 100);
  CHECK(s.inflight == 0);

  // More than one frame holds (256 requests): cut into frames, still every answer right.
  check_answers(f.burst(600, std::chrono::milliseconds(3000)));
  CHECK(w.batch_frames.load() == 1 + 3);
  CHECK(w.batch_items.load() == 100 + 600);
}

TEST_CASE("a level-1 worker never gets a batch; --predict-batch=false sends none either") {
  fake_worker old_worker("w1", /*protocol=*/1);
  {
    loop_forwarder f;
    f.place({"w1"}, {&old_worker});
    REQUIRE(f.ready());
    check_answers(f.burst(50, std::chrono::milliseconds(2000)));
    CHECK(old_worker.batches_refused.load() == 0);
    CHECK(f.forwarder->stats().batch_frames == 0);
  }
  fake_worker w("w2", /*protocol=*/2);
  loop_forwarder off(/*batch=*/false);
  off.place({"w2"}, {&w});
  REQUIRE(off.ready());
  const int singles_before = w.single_frames.load();
  check_answers(off.burst(50, std::chrono::milliseconds(2000)));
  CHECK(w.batch_frames.load() == 0);
  CHECK(w.single_frames.load() == singles_before + 50);
}

TEST_CASE("a batch the worker refuses (unavailable) or never answers is retried on the replica") {
  fake_worker refusing("w1", 2), hung("w2", 2), good("w3", 2);
  loop_forwarder f;
  f.place({"w3"}, {&good});
  REQUIRE(f.ready());

  // The least-loaded choice alternates the replicas, so about half of a burst goes to each.
  // Every item answered `unavailable`: each one moves to the other replica and succeeds there.
  refusing.batch_error = static_cast<int>(mf::errc::unavailable);
  refusing.silent = false;
  f.place({"w1", "w3"}, {&refusing, &good});
  REQUIRE(f.reaches(refusing));  // singles are answered normally; only batch items refused
  refusing.batch_items = 0;
  const int good_before = good.served.load();
  auto retried_before = f.forwarder->stats().retried;
  check_answers(f.burst(40, std::chrono::milliseconds(2000)));
  CHECK(refusing.batch_items.load() > 0);
  CHECK(good.served.load() - good_before == 40);
  CHECK(f.forwarder->stats().retried - retried_before ==
        static_cast<std::uint64_t>(refusing.batch_items.load()));

  // A worker that swallows its batch: each request's first attempt times out after half its
  // deadline and the retry answers it.
  f.place({"w2", "w3"}, {&hung, &good});
  REQUIRE(f.reaches(hung));
  hung.silent = true;
  hung.batch_items = 0;
  retried_before = f.forwarder->stats().retried;
  check_answers(f.burst(40, std::chrono::milliseconds(1500)));
  CHECK(hung.batch_items.load() > 0);
  CHECK(f.forwarder->stats().retried - retried_before ==
        static_cast<std::uint64_t>(hung.batch_items.load()));

  // Any other error is the answer: no retry, the caller sees it.
  refusing.batch_error = static_cast<int>(mf::errc::invalid_input);
  f.place({"w1"}, {&refusing});
  REQUIRE(
      wait_until([&] { return f.forwarder->stats().workers_up == 1; }, std::chrono::seconds(5)));
  // The fake answers batches only; wait until the old links are gone and a burst reaches w1.
  REQUIRE(wait_until(
      [&] {
        auto r = f.burst(2, std::chrono::milliseconds(500));
        return r[0] && r[0]->error && r[0]->error->code == mf::errc::invalid_input;
      },
      std::chrono::seconds(5)));
  for (const auto& r : f.burst(30, std::chrono::milliseconds(1000))) {
    REQUIRE(r.has_value());
    REQUIRE(r->error.has_value());
    CHECK(r->error->code == mf::errc::invalid_input);
    CHECK(r->error->message == "fake refusal");
  }
}
