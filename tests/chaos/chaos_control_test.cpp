// Control-plane faults with real processes: the leading coordinator SIGKILLed during 10 queued
// jobs (fault 4: all finish exactly once) and a worker cut off from the cluster (fault 5: it is
// declared dead, its tenants move, and on return it rejoins without serving a stale version).
// Fault 5 freezes the worker with SIGSTOP/SIGCONT — to the rest of the cluster the same as a
// partition (no heartbeats, no replies, buffered traffic on return); see docs/reliability.md.
#include <doctest/doctest.h>
#include <signal.h>

#include <algorithm>
#include <set>

#include "tests/chaos/chaos_cluster.hpp"
#include "tests/chaos/load_client.hpp"
#include "tests/support/wait_until.hpp"

using namespace mf::chaos;
using namespace std::chrono_literals;

namespace {

bool is_leader(chaos_cluster& c, const std::string& id) {
  return http_request("GET", c.coordinator_admin(id) + "/metrics", "", {}, 1000ms)
             .body.find("\nmodelfleet_coordinator_leader 1\n") != std::string::npos;
}

std::string train_body(int seed) {
  std::string f = "[", l = "[";
  for (int i = 0; i < 40; ++i) {
    const double a = (i * 7 + seed) % 11, b = (i * 3) % 5;
    f += (i ? "," : "") + std::string("[") + std::to_string(a) + "," + std::to_string(b) + "]";
    l += (i ? "," : "") + std::to_string(2 * a + b + seed);
  }
  return R"({"algorithm":"linear_regression","data":{"features":)" + f + "],\"labels\":" + l +
         R"(]},"activate":"never"})";
}

}  // namespace

TEST_CASE("fault 4: SIGKILL the leading coordinator during 10 queued jobs") {
  cluster_options opt;
  opt.name = "f4";
  opt.workers = 2;
  opt.train_slots = 1;
  opt.coordinators = 2;
  chaos_cluster c(opt);
  c.create_tenant("t1");
  std::string leader;
  REQUIRE(mf::test::wait_until(
      [&] {
        for (const char* id : {"c1", "c2"})
          if (is_leader(c, id)) leader = id;
        return !leader.empty();
      },
      15s));

  std::vector<std::string> jobs;
  for (int i = 0; i < 10; ++i) {
    const auto r = http_request("POST", c.base() + "/v1/tenants/t1/models/m/train", train_body(i),
                                c.admin_headers());
    REQUIRE_MESSAGE(r.status == 202, r.body);
    jobs.push_back(nlohmann::json::parse(r.body).at("job_id").get<std::string>());
  }
  auto statuses = [&] {
    std::map<std::string, std::string> out;
    for (const auto& j : jobs) {
      const auto r = http_request("GET", c.base() + "/v1/jobs/" + j, "", c.admin_headers());
      out[j] = r.status == 200 ? nlohmann::json::parse(r.body).value("status", "?") : "http";
    }
    return out;
  };
  // Kill while jobs are still queued: as soon as the first one has started.
  REQUIRE(mf::test::wait_until(
      [&] {
        for (const auto& [j, s] : statuses())
          if (s != "queued") return true;
        return false;
      },
      20s, 20ms));
  const bool both_lead = is_leader(c, "c1") && is_leader(c, "c2");
  std::size_t finished_before = 0;
  for (const auto& [j, s] : statuses()) finished_before += s == "succeeded";
  const double killed = now_ms();
  c.coordinator(leader).signal(SIGKILL);
  const std::string standby = leader == "c1" ? "c2" : "c1";
  const bool took_over = mf::test::wait_until([&] { return is_leader(c, standby); }, 10s, 50ms);
  const double takeover_ms = now_ms() - killed;
  std::map<std::string, std::string> last;
  const bool all_done = mf::test::wait_until(
      [&] {
        last = statuses();
        return std::all_of(last.begin(), last.end(), [](const auto& kv) {
          return kv.second == "succeeded" || kv.second == "failed" || kv.second == "cancelled";
        });
      },
      120s, 200ms);
  const double all_done_ms = now_ms() - killed;

  // Exactly once: 10 jobs -> 10 distinct versions, and the model has exactly those.
  std::set<long> job_versions;
  std::size_t succeeded = 0;
  for (const auto& j : jobs) {
    const auto r = nlohmann::json::parse(
        http_request("GET", c.base() + "/v1/jobs/" + j, "", c.admin_headers()).body);
    if (r.value("status", "") == "succeeded") {
      ++succeeded;
      if (r.contains("version") && r["version"].is_number())
        job_versions.insert(r["version"].get<long>());
    }
  }
  const auto model_res =
      http_request("GET", c.base() + "/v1/tenants/t1/models/m", "", c.admin_headers());
  const auto model = nlohmann::json::parse(model_res.body, nullptr, false);
  std::set<long> model_versions;
  std::size_t version_count = 0;
  if (model.is_object() && model.contains("versions"))
    for (const auto& v : model["versions"])
      model_versions.insert(v.value("version", -1L)), ++version_count;
  std::string job_report;
  for (const auto& j : jobs)
    job_report +=
        http_request("GET", c.base() + "/v1/jobs/" + j, "", c.admin_headers()).body + "\n";

  const auto j = nlohmann::json{{"fault", 4},
                                {"jobs", jobs.size()},
                                {"finished_before_kill", finished_before},
                                {"both_claimed_leadership", both_lead},
                                {"takeover", took_over},
                                {"takeover_ms", takeover_ms},
                                {"all_finished_ms_after_kill", all_done_ms},
                                {"succeeded", succeeded},
                                {"distinct_job_versions", job_versions.size()},
                                {"model_versions", version_count}};
  MESSAGE("fault 4: " << j.dump() << " -> " << write_figures("fault4_kill_coordinator", j));
  CHECK_FALSE(both_lead);
  CHECK_MESSAGE(took_over, c.logs());
  CHECK_MESSAGE(all_done, c.logs());
  CHECK_MESSAGE(succeeded == jobs.size(), job_report << model_res.body);
  CHECK(job_versions.size() == jobs.size());
  CHECK(version_count == jobs.size());
  CHECK(model_versions == job_versions);
}

TEST_CASE("fault 5: a worker cut off (frozen) is declared dead, tenants move, rejoins clean") {
  cluster_options opt;
  opt.name = "f5";
  opt.workers = 3;
  opt.replicas = 2;
  chaos_cluster c(opt);
  c.create_tenant("t1");
  const std::string artifact = small_artifact();
  c.upload_model("t1", "m", artifact);
  std::vector<std::string> owners;
  REQUIRE(mf::test::wait_until([&] { return (owners = c.placement("t1")).size() == 2; }, 15s));
  REQUIRE(c.wait_predict_ok("t1", "m", 15s));

  load_options o;
  o.rate_per_s = 200;
  o.threads = 4;
  const auto url = c.predict_url("t1", "m");
  const auto headers = c.admin_headers();
  o.make = [url, headers](std::size_t) {
    return load_request{"POST", url, R"({"instances":[[1,1]]})", headers};
  };
  steady_load load(o);
  load.start();
  REQUIRE(mf::test::wait_until([&] { return load.completed() >= 200; }, 10s));
  const std::string victim = owners.front();
  const double cut = now_ms();
  c.kill_worker(victim, SIGSTOP);
  const bool moved = mf::test::wait_until(
      [&] {
        const auto p = c.placement("t1");
        return p.size() == 2 && std::find(p.begin(), p.end(), victim) == p.end();
      },
      10s, 20ms);
  const double moved_ms = now_ms() - cut;
  // While it is away a new version becomes active.
  const long v2 = c.upload_model("t1", "m", artifact);
  // Wait for the live owners to serve v2.
  http_client probe;
  REQUIRE(mf::test::wait_until(
      [&] {
        const auto r = probe.request("POST", url, R"({"instances":[[1,1]]})", headers);
        return r.status == 200 && nlohmann::json::parse(r.body).value("version", -1L) == v2;
      },
      10s));
  const double back = now_ms();
  c.kill_worker(victim, SIGCONT);
  const bool rejoined = mf::test::wait_until(
      [&] {
        const auto r = http_request("GET", c.base() + "/v1/cluster/nodes", "", headers);
        if (r.status != 200) return false;
        const auto doc = nlohmann::json::parse(r.body);  // outlives the loop below
        for (const auto& n : doc["nodes"])
          if (n.value("node", "") == victim) return n.value("state", "") == "up";
        return false;
      },
      10s, 50ms);
  const double rejoin_ms = now_ms() - back;
  // After the return: no stale version served (300 requests checked one by one).
  const auto served = check_served_version(probe, url, headers, v2, 300);
  const std::size_t stale = served.stale, failed_after = served.failed;
  load.stop();
  const auto s = summarize(load.outcomes(), cut);
  const auto j = nlohmann::json{{"fault", 5},
                                {"method", "SIGSTOP/SIGCONT freeze (partition stand-in)"},
                                {"cut", victim},
                                {"tenants_moved", moved},
                                {"moved_ms", moved_ms},
                                {"rejoined", rejoined},
                                {"rejoin_ms", rejoin_ms},
                                {"stale_after_rejoin", stale},
                                {"failed_after_rejoin", failed_after},
                                {"load", s.to_json()}};
  MESSAGE("fault 5: " << j.dump() << " -> " << write_figures("fault5_partition", j));
  CHECK_MESSAGE(moved, c.logs());
  CHECK(moved_ms < 3000 * time_scale());
  CHECK_MESSAGE(rejoined, http_request("GET", c.base() + "/v1/cluster/nodes", "", headers).body
                              << "\n"
                              << c.logs());
  CHECK(stale == 0);
  CHECK(failed_after == 0);
  CHECK(s.failed == (s.by_status.count(504) ? s.by_status.at(504) : 0));
}
