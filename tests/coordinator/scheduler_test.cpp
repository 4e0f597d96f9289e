// The coordinator service in-process against a real redis-server, a real fs blob store and
// fake workers (ZeroMQ ROUTERs that train with mf_ml): fair scheduling, exactly-once versions,
// retries on worker death, restart resume, cancel, retention, activation policy + history.
#include <doctest/doctest.h>

#include <filesystem>
#include <map>
#include <memory>
#include <set>

#include <nlohmann/json.hpp>

#include "actors/coordinator/coordinator_service.hpp"
#include "cluster/redis_registry.hpp"
#include "ml/ml.hpp"
#include "tests/coordinator/fake_worker.hpp"
#include "tests/support/redis_server_fixture.hpp"
#include "tests/support/wait_until.hpp"

using namespace mf::coordinator;
using namespace std::chrono_literals;

namespace {

struct env {
  mf::test::redis_server_fixture redis;
  std::string store_dir;
  std::string store;
  mf::cluster::redis_registry reg;

  env()
      : store_dir(redis.data_dir() + "/blobs"),
        store("fs:" + store_dir),
        reg(std::move(*mf::cluster::redis_registry::connect(redis.url()))) {
    std::filesystem::create_directories(store_dir);
  }

  coordinator_config config(const std::string& id) const {
    coordinator_config c;
    c.id = id;
    c.redis_url = redis.url();
    c.store = store;
    c.replicas = 1;
    c.lease_ttl_ms = 1000;
    c.renew_interval_ms = 200;
    c.placement_interval_ms = 200;
    c.move_grace_ms = 200;
    c.assign_timeout_ms = 5000;
    return c;
  }

  // Linear target y = 2a - b + 1 (+ a deterministic wiggle per job so metrics differ).
  std::string request(int salt) const {
    std::string features = "[", labels = "[";
    for (int i = 0; i < 40; ++i) {
      const double a = i * 0.25, b = (i % 7) * 0.5;
      const double y = 2 * a - b + 1 + 0.01 * ((i * 31 + salt) % 5);
      features +=
          (i ? "," : "") + std::string("[") + std::to_string(a) + "," + std::to_string(b) + "]";
      labels += (i ? "," : "") + std::to_string(y);
    }
    return R"({"algorithm":"linear_regression","params":{},"validation_split":0.25,"data":{"features":)" +
           features + "]," + R"("labels":)" + labels + "]}}";
  }

  std::string submit(const std::string& tenant, const std::string& model, int salt,
                     const std::string& activate = "if_better") {
    if (!reg.get_tenant(tenant)) (void)reg.create_tenant(tenant);
    mf::cluster::job_record job;
    job.tenant = tenant;
    job.model = model;
    job.algorithm = "linear_regression";
    job.activate = activate;
    job.request_ref = request(salt);  // inline request
    auto created = reg.create_job(job);
    REQUIRE(created);
    return created->id;
  }

  mf::cluster::job_record job(const std::string& id) {
    auto j = reg.get_job(id);
    REQUIRE(j);
    return *j;
  }

  bool all_finished(const std::vector<std::string>& ids) {
    for (const auto& id : ids) {
      auto j = reg.get_job(id);
      if (!j || !mf::cluster::is_finished(j->status)) return false;
    }
    return true;
  }
};

void check_versions_exactly_once(env& e, const std::vector<std::string>& ids) {
  // Versions of each model: 1..n without gaps, one per succeeded job, each job's own.
  std::map<std::pair<std::string, std::string>, std::vector<std::string>> jobs_by_model;
  for (const auto& id : ids) {
    auto j = e.job(id);
    CHECK_MESSAGE(j.status == mf::cluster::job_status::succeeded,
                  id << " " << (j.error ? *j.error : ""));
    REQUIRE(j.version);
    jobs_by_model[{j.tenant, j.model}].push_back(id);
  }
  for (const auto& [key, jobs] : jobs_by_model) {
    auto versions = e.reg.list_versions(key.first, key.second);
    REQUIRE(versions);
    CHECK(versions->size() == jobs.size());
    std::set<std::string> seen;
    for (std::size_t i = 0; i < versions->size(); ++i) {
      CHECK((*versions)[i].version == static_cast<std::int64_t>(i + 1));
      CHECK(seen.insert((*versions)[i].job_id).second);
      CHECK((*versions)[i].source == "train");
      CHECK((*versions)[i].sha256.size() == 64);
      CHECK(std::filesystem::exists(e.store_dir + "/" + key.first + "/" + key.second + "/" +
                                    std::to_string((*versions)[i].version) + ".mfm"));
    }
    for (const auto& id : jobs) CHECK(seen.count(id) == 1);
  }
}

}  // namespace

TEST_CASE("20 jobs across 3 tenants on 2 workers all succeed with correct versions") {
  env e;
  mf::test::fake_worker w1("w1", e.redis.url(), e.store, 1, 100ms);
  mf::test::fake_worker w2("w2", e.redis.url(), e.store, 1, 100ms);
  coordinator_metrics metrics;
  coordinator_service c(e.config("c1"), metrics);
  REQUIRE(c.start());
  std::vector<std::string> ids;
  // Tenant "big" queues 14 jobs first; "small1"/"small2" queue 3 each afterwards.
  for (int i = 0; i < 14; ++i) ids.push_back(e.submit("big", "m" + std::to_string(i % 2), i));
  for (int i = 0; i < 3; ++i) ids.push_back(e.submit("small1", "m", 100 + i));
  for (int i = 0; i < 3; ++i) ids.push_back(e.submit("small2", "m", 200 + i));
  REQUIRE(mf::test::wait_until([&] { return e.all_finished(ids); }, 60s, 50ms));
  check_versions_exactly_once(e, ids);
  CHECK(w1.completed() + w2.completed() == 20);
  CHECK(w1.completed() > 0);
  CHECK(w2.completed() > 0);

  // Fairness: the small tenants' jobs must not wait for all of big's 14. Their last jobs
  // start before big's last job starts.
  std::int64_t big_last_start = 0, small_last_start = 0;
  for (const auto& id : ids) {
    auto j = e.job(id);
    if (j.tenant == "big")
      big_last_start = std::max(big_last_start, j.started_at);
    else
      small_last_start = std::max(small_last_start, j.started_at);
  }
  CHECK(small_last_start < big_last_start);

  // if_better + history: the first version of each model was activated by job.
  auto hist = e.reg.history("small1", "m", 100);
  REQUIRE(hist);
  REQUIRE_FALSE(hist->empty());
  CHECK(hist->back().from == 0);
  CHECK(hist->back().to == 1);
  CHECK(hist->back().reason == "train if_better");
  CHECK(hist->back().by.rfind("job:", 0) == 0);
  CHECK(metrics.jobs_succeeded == 20);
  CHECK(c.is_leader());
  c.stop();
}

TEST_CASE("a worker killed mid-training: its job completes on the other worker") {
  env e;
  auto w1 = std::make_unique<mf::test::fake_worker>("w1", e.redis.url(), e.store, 1, 3000ms);
  coordinator_metrics metrics;
  coordinator_service c(e.config("c1"), metrics);
  REQUIRE(c.start());
  const auto id = e.submit("t1", "m", 1);
  REQUIRE(mf::test::wait_until([&] { return e.job(id).status == mf::cluster::job_status::running; },
                               10s));
  CHECK(e.job(id).node == "w1");
  mf::test::fake_worker w2("w2", e.redis.url(), e.store, 1, 100ms);
  w1->kill();  // heartbeats stop; the record expires in ~1.2 s
  REQUIRE(mf::test::wait_until([&] { return e.all_finished({id}); }, 20s, 50ms));
  auto j = e.job(id);
  CHECK(j.status == mf::cluster::job_status::succeeded);
  CHECK(j.node == "w2");
  CHECK(j.attempts == 2);
  CHECK(j.version == 1);
  CHECK(w2.completed() == 1);
  CHECK(metrics.jobs_requeued >= 1);
  check_versions_exactly_once(e, {id});
  c.stop();
}

TEST_CASE("a job whose workers keep dying fails after 3 attempts with the reasons") {
  env e;
  coordinator_metrics metrics;
  auto cfg = e.config("c1");
  coordinator_service c(cfg, metrics);
  REQUIRE(c.start());
  const auto id = e.submit("t1", "m", 1);
  for (int i = 0; i < 3; ++i) {
    mf::test::fake_worker w("w" + std::to_string(i), e.redis.url(), e.store, 1, 60000ms);
    REQUIRE(mf::test::wait_until([&] { return w.assigned() > 0; }, 10s));
    w.kill();
    REQUIRE(mf::test::wait_until(
        [&] { return e.job(id).status != mf::cluster::job_status::running; }, 10s));
  }
  auto j = e.job(id);
  CHECK(j.status == mf::cluster::job_status::failed);
  REQUIRE(j.error);
  CHECK(j.error->find("3 attempts") != std::string::npos);
  CHECK(j.error->find("w0") != std::string::npos);
  CHECK(j.error->find("w2") != std::string::npos);
  CHECK_FALSE(j.version);
  auto versions = e.reg.list_versions("t1", "m");
  CHECK((!versions || versions->empty()));
  c.stop();
}

TEST_CASE("a coordinator restarted mid-queue finishes every job exactly once") {
  env e;
  mf::test::fake_worker w1("w1", e.redis.url(), e.store, 1, 300ms);
  mf::test::fake_worker w2("w2", e.redis.url(), e.store, 1, 300ms);
  std::vector<std::string> ids;
  for (int i = 0; i < 10; ++i) ids.push_back(e.submit(i % 2 ? "ta" : "tb", "m", i));
  {
    coordinator_metrics metrics;
    coordinator_service c(e.config("c1"), metrics);
    REQUIRE(c.start());
    REQUIRE(mf::test::wait_until([&] { return metrics.jobs_succeeded >= 3; }, 30s, 20ms));
    c.stop();  // mid-queue: some done, some running, some queued
  }
  coordinator_metrics metrics;
  coordinator_service c(e.config("c1"), metrics);
  REQUIRE(c.start());
  REQUIRE(mf::test::wait_until([&] { return e.all_finished(ids); }, 60s, 50ms));
  check_versions_exactly_once(e, ids);
  c.stop();
}

TEST_CASE("a dataset blob job trains from the blob; inline requests still work") {
  env e;
  mf::test::fake_worker w1("w1", e.redis.url(), e.store, 1, 20ms);
  coordinator_metrics metrics;
  coordinator_service c(e.config("c1"), metrics);
  REQUIRE(c.start());
  REQUIRE(e.reg.create_tenant("t1"));
  REQUIRE(e.reg.create_tenant("t2"));
  auto blobs = mf::cluster::make_blob_store(e.store);
  REQUIRE(blobs);
  // What the router does: the rows as a blob keyed by a reserved job id, then the record.
  auto submit_blob = [&](const std::string& tenant, const std::string& data_tenant) {
    auto id = e.reg.reserve_job_id();
    REQUIRE(id);
    const mf::cluster::dataset_key key{data_tenant, *id};
    auto full = nlohmann::json::parse(e.request(7));
    REQUIRE((*blobs)->put(key, full["data"].dump()));
    full.erase("data");
    full["dataset_key"] = *mf::cluster::dataset_path(key);
    mf::cluster::job_record job;
    job.id = *id;
    job.tenant = tenant;
    job.model = "m";
    job.algorithm = "linear_regression";
    job.request_ref = full.dump();
    auto created = e.reg.create_job(job);
    REQUIRE(created);
    CHECK(created->id == *id);
    CHECK(created->request_ref.find("features") == std::string::npos);
    return *id;
  };
  const auto from_blob = submit_blob("t1", "t1");
  const auto inline_job = e.submit("t1", "m", 3);
  // A record pointing at another tenant's data is refused, not trained on.
  const auto foreign = submit_blob("t2", "t1");
  REQUIRE(mf::test::wait_until(
      [&] {
        return e.all_finished({from_blob, inline_job, foreign});
      },
      30s, 20ms));
  CHECK(e.job(from_blob).status == mf::cluster::job_status::succeeded);
  CHECK(e.job(inline_job).status == mf::cluster::job_status::succeeded);
  CHECK(e.job(foreign).status == mf::cluster::job_status::failed);
  CHECK(w1.dataset_reads() == 1);
  c.stop();
}

TEST_CASE("a restarted coordinator publishes a result it missed from the job record") {
  env e;
  REQUIRE(e.reg.create_tenant("t1"));
  // A previous leader assigned the job; the worker trained, wrote the artifact and recorded its
  // result, then the worker and that leader both died before the trainResult was acted on.
  mf::cluster::job_record job;
  job.tenant = "t1";
  job.model = "m";
  job.algorithm = "linear_regression";
  job.activate = "always";
  job.request_ref = e.request(1);
  auto created = e.reg.create_job(job);
  REQUIRE(created);
  auto version = e.reg.reserve_version_id("t1", "m");
  REQUIRE(version);
  mf::ml::dataset data;
  data.n_features = 1;
  for (int i = 0; i < 30; ++i) {
    data.features.push_back(i);
    data.labels.push_back(2.0 * i + 1);
  }
  auto trained = mf::ml::train("linear_regression", {}, data, {});
  REQUIRE(trained);
  const std::string bytes = mf::ml::serialize_artifact(*trained->model);
  auto blobs = mf::cluster::make_blob_store(e.store);
  REQUIRE(blobs);
  REQUIRE((*blobs)->put({"t1", "m", *version}, bytes));
  auto running = *created;
  running.status = mf::cluster::job_status::running;
  running.attempts = 1;
  running.version = *version;
  running.node = "gone";  // never heartbeats: the worker is dead
  REQUIRE(e.reg.update_job_fenced(running, 0));
  mf::cluster::job_result_fields result;
  result.node = "gone";
  result.metrics = {{"rmse", 0.0}};
  result.artifact_key = *mf::cluster::blob_path({"t1", "m", *version});
  result.size_bytes = static_cast<std::int64_t>(bytes.size());
  result.sha256 = mf::ml::sha256_hex(bytes);
  REQUIRE(e.reg.record_job_result(created->id, 1, result));

  coordinator_metrics metrics;
  coordinator_service c(e.config("c2"), metrics);  // no worker at all
  REQUIRE(c.start());
  REQUIRE(mf::test::wait_until([&] { return e.all_finished({created->id}); }, 15s, 20ms));
  auto done = e.job(created->id);
  CHECK(done.status == mf::cluster::job_status::succeeded);
  CHECK(done.version == std::optional<std::int64_t>(*version));
  CHECK(done.attempts == 1);  // not re-run
  auto v = e.reg.get_version("t1", "m", *version);
  REQUIRE(v);
  CHECK(v->job_id == created->id);
  CHECK(v->sha256 == result.sha256);
  CHECK(e.reg.get_model("t1", "m")->active_version == *version);
  c.stop();
}

TEST_CASE("cancel stops a running job and it ends cancelled with no version") {
  env e;
  mf::test::fake_worker w1("w1", e.redis.url(), e.store, 1, 20000ms);
  coordinator_metrics metrics;
  coordinator_service c(e.config("c1"), metrics);
  REQUIRE(c.start());
  const auto id = e.submit("t1", "m", 1);
  REQUIRE(mf::test::wait_until([&] { return e.job(id).status == mf::cluster::job_status::running; },
                               10s));
  auto cancelled = e.reg.cancel_job(id);
  REQUIRE(cancelled);
  REQUIRE(mf::test::wait_until([&] { return e.all_finished({id}); }, 10s, 20ms));
  CHECK(e.job(id).status == mf::cluster::job_status::cancelled);
  CHECK(w1.cancels() == 1);
  auto versions = e.reg.list_versions("t1", "m");
  CHECK((!versions || versions->empty()));
  c.stop();
}

TEST_CASE("retention keeps the newest K versions plus the active one") {
  env e;
  mf::test::fake_worker w1("w1", e.redis.url(), e.store, 2, 50ms);
  coordinator_metrics metrics;
  auto cfg = e.config("c1");
  cfg.retention = 2;
  coordinator_service c(cfg, metrics);
  REQUIRE(c.start());
  // First job activates (always); the rest never: the active one is the oldest.
  std::vector<std::string> ids{e.submit("t1", "m", 0, "always")};
  REQUIRE(mf::test::wait_until([&] { return e.all_finished(ids); }, 20s, 20ms));
  for (int i = 1; i < 5; ++i) {
    ids.push_back(e.submit("t1", "m", i, "never"));
    REQUIRE(mf::test::wait_until([&] { return e.all_finished(ids); }, 20s, 20ms));
  }
  auto versions = e.reg.list_versions("t1", "m");
  REQUIRE(versions);
  std::vector<std::int64_t> kept;
  for (const auto& v : *versions) kept.push_back(v.version);
  CHECK(kept == std::vector<std::int64_t>{1, 4, 5});
  CHECK_FALSE(std::filesystem::exists(e.store_dir + "/t1/m/2.mfm"));
  CHECK_FALSE(std::filesystem::exists(e.store_dir + "/t1/m/3.mfm"));
  CHECK(std::filesystem::exists(e.store_dir + "/t1/m/5.mfm"));
  auto model = e.reg.get_model("t1", "m");
  REQUIRE(model);
  CHECK(model->active_version == 1);
  c.stop();
}
