// Tests of the trainer actor with real dlib training and an in-memory backend: progress
// cadence, artifact + result, slot limit, prompt cancel.
#include "actors/trainer.hpp"

#include <doctest/doctest.h>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/send.hpp>

#include <cmath>
#include <map>
#include <mutex>
#include <random>

#include "ml/ml.hpp"
#include "tests/support/wait_until.hpp"

using namespace mf::actors;
using namespace std::chrono_literals;

namespace {

struct recorded {
  std::mutex mutex;
  std::map<std::string, std::string> blobs;
  std::vector<mf::protocol::train_progress> progress;  // sent on the socket
  std::vector<mf::protocol::train_result> results;
  int recorded_progress = 0;
  int recorded_results = 0;
};

struct memory_backend final : train_backend {
  std::shared_ptr<recorded> r;
  explicit memory_backend(std::shared_ptr<recorded> rec) : r(std::move(rec)) {}
  mf::expected<void> put_artifact(const std::string& key, const std::string& bytes) override {
    std::lock_guard lock(r->mutex);
    r->blobs[key] = bytes;
    return {};
  }
  void record_progress(const mf::protocol::train_progress&) override {
    std::lock_guard lock(r->mutex);
    ++r->recorded_progress;
  }
  void record_result(const mf::protocol::train_result&) override {
    std::lock_guard lock(r->mutex);
    ++r->recorded_results;
  }
};

struct recording_sink final : reply_sink {
  std::shared_ptr<recorded> r;
  explicit recording_sink(std::shared_ptr<recorded> rec) : r(std::move(rec)) {}
  void send(const std::string&, mf::protocol::envelope m) override {
    std::lock_guard lock(r->mutex);
    if (auto* p = std::get_if<mf::protocol::train_progress>(&m.body)) r->progress.push_back(*p);
    if (auto* res = std::get_if<mf::protocol::train_result>(&m.body)) r->results.push_back(*res);
  }
};

// Two separable blobs (binary) with `rows` rows of 2 features.
train_job make_job(std::string id, std::string algorithm, std::size_t rows,
                   std::vector<mf::protocol::param> params = {}) {
  train_job job;
  job.route = "coordinator";
  auto& a = job.assign;
  a.job_id = std::move(id);
  a.tenant = "t";
  a.model = "m";
  a.algorithm = std::move(algorithm);
  a.params = std::move(params);
  a.n_features = 2;
  a.validation_split = 0.2;
  a.seed = 1;
  a.attempt = 1;
  a.artifact_key = "t/m/" + std::to_string(1) + ".mfm";
  std::mt19937 rng(3);
  std::normal_distribution<double> noise(0, 0.5);
  for (std::size_t i = 0; i < rows; ++i) {
    double label = static_cast<double>(i % 2);
    a.features.push_back(label * 4 + noise(rng));
    a.features.push_back(label * 4 + noise(rng));
    a.labels.push_back(label);
  }
  return job;
}

struct trainer_fixture {
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  std::shared_ptr<recorded> rec = std::make_shared<recorded>();
  std::shared_ptr<worker_metrics> metrics = std::make_shared<worker_metrics>();
  trainer_actor trainer;
  explicit trainer_fixture(std::uint32_t slots) {
    sys = std::make_unique<caf::actor_system>(cfg);
    trainer_config tc;
    tc.slots = slots;
    tc.backend_factory = [r = rec] { return std::make_unique<memory_backend>(r); };
    tc.sink = std::make_shared<recording_sink>(rec);
    tc.metrics = metrics;
    tc.node_id = "w1";
    trainer = spawn_trainer(*sys, tc);
  }
  std::size_t results() {
    std::lock_guard lock(rec->mutex);
    return rec->results.size();
  }
};

}  // namespace

TEST_CASE("a job trains, reports progress, writes its artifact and reports the result") {
  trainer_fixture f(1);
  caf::anon_send(f.trainer, train_atom::value, make_job("j1", "logistic_regression", 300));
  REQUIRE(mf::test::wait_until([&] { return f.results() == 1; }, 60s));
  std::lock_guard lock(f.rec->mutex);
  const auto& r = f.rec->results[0];
  REQUIRE_FALSE(r.error);
  CHECK(r.job_id == "j1");
  CHECK(r.attempt == 1);
  REQUIRE(f.rec->blobs.count("t/m/1.mfm"));
  const auto& bytes = f.rec->blobs["t/m/1.mfm"];
  CHECK(r.size_bytes == bytes.size());
  CHECK(r.sha256 == mf::ml::sha256_hex(bytes));
  CHECK(r.n_features == 2);
  CHECK_FALSE(r.primary_metric.empty());
  bool has_accuracy = false;
  for (const auto& m : r.metrics)
    if (m.name == "accuracy") has_accuracy = m.value >= 0.9;
  CHECK(has_accuracy);
  CHECK(mf::ml::load_artifact(bytes));
  // Progress: starts at 0, ends at 1, never goes backwards, recorded in the registry too.
  REQUIRE(f.rec->progress.size() >= 2);
  CHECK(f.rec->progress.front().progress == 0.0);
  CHECK(f.rec->progress.back().progress == 1.0);
  for (std::size_t i = 1; i < f.rec->progress.size(); ++i)
    CHECK(f.rec->progress[i].progress >= f.rec->progress[i - 1].progress);
  CHECK(f.rec->recorded_progress == static_cast<int>(f.rec->progress.size()));
  CHECK(f.rec->recorded_results == 1);
  CHECK(f.metrics->train_succeeded.load() == 1);
}

TEST_CASE("slots are bounded: an extra assignment is refused with overloaded; cancel is prompt") {
  trainer_fixture f(1);
  // A long mlp: thousands of epochs on a few thousand rows.
  caf::anon_send(f.trainer, train_atom::value,
                 make_job("slow", "mlp", 4000, {{"epochs", 5000}, {"hidden", 64}}));
  REQUIRE(mf::test::wait_until([&] { return f.metrics->train_running.load() == 1; }, 10s));
  caf::anon_send(f.trainer, train_atom::value, make_job("extra", "logistic_regression", 100));
  REQUIRE(mf::test::wait_until([&] { return f.results() == 1; }, 10s));
  {
    std::lock_guard lock(f.rec->mutex);
    CHECK(f.rec->results[0].job_id == "extra");
    REQUIRE(f.rec->results[0].error);
    CHECK(f.rec->results[0].error->code == mf::errc::overloaded);
  }
  // Let it make some progress, then cancel and time the stop.
  REQUIRE(mf::test::wait_until(
      [&] {
        std::lock_guard lock(f.rec->mutex);
        return f.rec->progress.size() >= 2;
      },
      30s));
  auto t0 = std::chrono::steady_clock::now();
  caf::anon_send(f.trainer, cancel_atom::value, std::string("slow"));
  REQUIRE(mf::test::wait_until([&] { return f.results() == 2; }, 10s));
  auto took = std::chrono::steady_clock::now() - t0;
  MESSAGE("cancel took " << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
                         << " ms");
  CHECK(took < 3s);
  std::lock_guard lock(f.rec->mutex);
  REQUIRE(f.rec->results[1].error);
  CHECK(f.rec->results[1].error->code == mf::errc::cancelled);
  CHECK(f.rec->blobs.empty());  // a cancelled job never writes an artifact
  CHECK(f.metrics->train_cancelled.load() == 1);
  REQUIRE(mf::test::wait_until([&] { return f.metrics->train_running.load() == 0; }, 5s));
}
