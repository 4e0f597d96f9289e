// Fault 3: Redis SIGKILLed and restarted on the same AOF under steady predict load and a
// steady stream of writes (tenant creations, version uploads, train submissions).
// Predictions keep flowing from memory; writes get 503 during the outage and succeed after;
// every acknowledged write is still there after the restart.
#include <doctest/doctest.h>

#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include "tests/chaos/chaos_cluster.hpp"
#include "tests/chaos/load_client.hpp"
#include "tests/support/wait_until.hpp"

using namespace mf::chaos;
using namespace std::chrono_literals;

namespace {

struct write_log {
  std::mutex mutex;
  std::vector<std::string> tenants;   // acknowledged (201)
  std::vector<std::string> versions;  // "model@version" acknowledged (201)
  std::vector<std::string> jobs;      // job ids acknowledged (202)
  std::vector<outcome> outcomes;      // every write
  std::size_t unexpected = 0;         // neither success nor 503
  std::string last_unexpected;
};

}  // namespace

TEST_CASE("fault 3: Redis SIGKILL + restart on the same AOF") {
  cluster_options opt;
  opt.name = "f3";
  opt.workers = 2;
  opt.replicas = 2;
  opt.redis.appendonly = true;
  opt.redis.appendfsync =
      "everysec";  // the production setting of ops/: kill -9 loses nothing acked
  chaos_cluster c(opt);
  c.create_tenant("t1");
  const std::string artifact = small_artifact();
  c.upload_model("t1", "m", artifact);
  REQUIRE(mf::test::wait_until([&] { return c.placement("t1").size() == 2; }, 15s));
  REQUIRE(c.wait_predict_ok("t1", "m", 15s));

  load_options o;
  o.rate_per_s = 200;
  o.threads = 4;
  const auto url = c.predict_url("t1", "m");
  const auto headers = c.admin_headers();
  o.make = [url, headers](std::size_t) {
    return load_request{"POST", url, R"({"instances":[[1,1],[2,0]]})", headers};
  };
  steady_load load(o);

  // The writer: one write every 40 ms, cycling through the three kinds.
  write_log writes;
  std::atomic<bool> stop_writer{false};
  std::thread writer([&] {
    http_client client;
    const std::string train =
        R"({"algorithm":"linear_regression","data":{"features":[[1,2],[2,1],[3,3],[4,1],[5,2]],"labels":[4,5,9,9,12]},"activate":"never"})";
    for (int i = 0; !stop_writer; ++i) {
      outcome out;
      out.start_ms = now_ms();
      http_result r;
      std::string what;
      switch (i % 3) {
        case 0:
          what = "w" + std::to_string(i);
          r = client.request("PUT", c.base() + "/v1/tenants/" + what, "", headers, 3000ms);
          break;
        case 1:
          r = client.request("POST", c.base() + "/v1/tenants/t1/models/u/versions?activate=never",
                             artifact, c.admin_headers("application/octet-stream"), 3000ms);
          break;
        default:
          r = client.request("POST", c.base() + "/v1/tenants/t1/models/j/train", train, headers,
                             3000ms);
      }
      out.latency_ms = now_ms() - out.start_ms;
      out.status = r.status;
      {
        std::lock_guard lock(writes.mutex);
        writes.outcomes.push_back(out);
        if (r.status == 201 && i % 3 == 0) writes.tenants.push_back(what);
        if (r.status == 201 && i % 3 == 1)
          writes.versions.push_back(
              std::to_string(nlohmann::json::parse(r.body).value("version", -1)));
        if (r.status == 202)
          writes.jobs.push_back(nlohmann::json::parse(r.body).value("job_id", ""));
        if (r.status != 201 && r.status != 202 && r.status != 503) {
          ++writes.unexpected;
          writes.last_unexpected = std::to_string(r.status) + " " + r.body;
        }
      }
      std::this_thread::sleep_for(40ms);  // write pacing, not synchronisation
    }
  });
  auto writes_with = [&](long status, double after) {
    std::lock_guard lock(writes.mutex);
    std::size_t n = 0;
    for (const auto& w : writes.outcomes)
      if (w.status == status && w.start_ms >= after) ++n;
    return n;
  };

  load.start();
  REQUIRE(mf::test::wait_until([&] { return load.completed() >= 300 && writes_with(201, 0) >= 3; },
                               10s));
  const double killed = now_ms();
  c.redis().kill9();
  // Outage of at least 2 s: writes answer 503 (a few of each kind), predictions continue.
  const bool saw_503 = mf::test::wait_until(
      [&] { return writes_with(503, killed) >= 6 && now_ms() - killed >= 2000; }, 10s);
  const double restarting = now_ms();
  c.redis().restart();
  const double restarted = now_ms();
  // Writes succeed again.
  const bool writes_back =
      mf::test::wait_until([&] { return writes_with(201, restarted) >= 2; }, 15s, 20ms);
  double first_write_ok = -1;
  {
    std::lock_guard lock(writes.mutex);
    for (const auto& w : writes.outcomes)
      if ((w.status == 201 || w.status == 202) && w.start_ms >= restarted) {
        first_write_ok = w.start_ms + w.latency_ms - restarted;
        break;
      }
  }
  const std::size_t at = load.completed();
  REQUIRE(mf::test::wait_until([&] { return load.completed() >= at + 200; }, 10s));
  stop_writer = true;
  writer.join();
  load.stop();

  // Nothing acknowledged is lost.
  std::size_t lost = 0;
  std::string lost_what;
  const auto tenants =
      nlohmann::json::parse(http_request("GET", c.base() + "/v1/tenants", "", headers).body);
  std::set<std::string> present;
  for (const auto& t : tenants["tenants"]) present.insert(t["tenant"].get<std::string>());
  for (const auto& t : writes.tenants)
    if (!present.count(t)) ++lost, lost_what += " tenant " + t;
  const auto model = nlohmann::json::parse(
      http_request("GET", c.base() + "/v1/tenants/t1/models/u", "", headers).body);
  std::set<std::string> versions;
  for (const auto& v : model["versions"]) versions.insert(std::to_string(v["version"].get<long>()));
  for (const auto& v : writes.versions)
    if (!versions.count(v)) ++lost, lost_what += " version " + v;
  for (const auto& j : writes.jobs)
    if (http_request("GET", c.base() + "/v1/jobs/" + j, "", headers).status != 200)
      ++lost, lost_what += " job " + j;

  const auto s = summarize(load.outcomes(), killed);
  std::size_t writes_503 = writes_with(503, 0);
  const auto j = nlohmann::json{{"fault", 3},
                                {"outage_ms", restarting - killed},
                                {"redis_restart_ms", restarted - restarting},
                                {"first_write_ok_after_restart_ms", first_write_ok},
                                {"writes_503", writes_503},
                                {"writes_unexpected", writes.unexpected},
                                {"acknowledged_tenants", writes.tenants.size()},
                                {"acknowledged_versions", writes.versions.size()},
                                {"acknowledged_jobs", writes.jobs.size()},
                                {"lost", lost},
                                {"predict", s.to_json()}};
  MESSAGE("fault 3: " << j.dump() << " -> " << write_figures("fault3_redis_restart", j));
  CHECK_MESSAGE(saw_503, c.logs());
  CHECK_MESSAGE(writes_back, c.logs());
  CHECK_MESSAGE(writes.unexpected == 0, writes.last_unexpected);
  CHECK_MESSAGE(lost == 0, lost_what);
  CHECK_MESSAGE(s.failed == 0, c.logs());
}

TEST_CASE("a whole cluster on a requirepass Redis; secrets never reach a log") {
  cluster_options opt;
  opt.name = "auth";
  opt.workers = 1;
  opt.replicas = 1;
  opt.redis.requirepass = "chaos-redis-secret-77";
  chaos_cluster c(opt);
  REQUIRE(c.redis().url().find(opt.redis.requirepass) != std::string::npos);
  const std::string key = c.create_tenant("t1");
  c.upload_model("t1", "m", small_artifact());
  REQUIRE(mf::test::wait_until([&] { return c.placement("t1").size() == 1; }, 15s));
  CHECK(c.wait_predict_ok("t1", "m", 15s));
  CHECK(http_request("GET", c.base() + "/readyz").status == 200);
  // Neither the Redis password, the admin token nor a tenant key appears in any log.
  const std::string logs = c.router().log() + c.worker("w1").log() + c.coordinator("c1").log();
  CHECK(logs.find(opt.redis.requirepass) == std::string::npos);
  CHECK(logs.find(c.admin_token()) == std::string::npos);
  CHECK(logs.find(key) == std::string::npos);
}
