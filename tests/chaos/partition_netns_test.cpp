// Fault 5 as a real network partition: the test makes two network namespaces of its own
// ("cluster" and "victim") joined by a veth pair, runs the cluster in the first and one worker
// in the second, cuts the link (ip link set down) while a long training job runs ON that
// worker, checks the worker is declared dead, its tenants move and the job is re-run elsewhere
// (attempt 2), restores the link (the victim is still training attempt 1) and checks it rejoins
// with no stale version served, the victim's late progress and result for attempt 1 are fenced
// (never recorded), the job record never shows two owners (polled throughout), and every job
// ends exactly once with exactly one version. Only addresses inside the two test namespaces are
// used; the root namespace is never touched. Skipped (with a message) when not root or without
// ip netns.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <mutex>
#include <set>
#include <thread>

#include "cluster/redis_registry.hpp"

#include "tests/chaos/chaos_cluster.hpp"
#include "tests/chaos/load_client.hpp"
#include "tests/support/wait_until.hpp"

using namespace mf::chaos;
using namespace std::chrono_literals;

namespace {

const std::string binary = MF_BINARY_DIR "/nodes/modelfleet";
const std::string ip_tool = "/usr/sbin/ip";
// Addresses of the veth ends, each inside a namespace this test creates and deletes.
const std::string cluster_addr = "10.213.0.1", victim_addr = "10.213.0.2";

bool sh(const std::string& command) {
  return std::system((command + " >/dev/null 2>&1").c_str()) == 0;
}

// Two namespaces + a veth pair; the calling thread (and every process and thread it starts
// afterwards) moves into the cluster namespace until destruction.
class partition_lab {
 public:
  partition_lab()
      : cluster_("mf5c" + std::to_string(::getpid())),
        victim_("mf5v" + std::to_string(::getpid())) {
    if (::geteuid() != 0) {
      why_not_ = "needs root (ip netns)";
      return;
    }
    if (::access(ip_tool.c_str(), X_OK) != 0 || !sh(ip_tool + " netns add " + cluster_)) {
      why_not_ = "ip netns is unavailable";
      return;
    }
    created_ = true;
    const std::string a = ip_tool + " -n " + cluster_, b = ip_tool + " -n " + victim_;
    const bool ok = sh(ip_tool + " netns add " + victim_) && sh(a + " link set lo up") &&
                    sh(b + " link set lo up") &&
                    sh(a + " link add va type veth peer name vb netns " + victim_) &&
                    sh(a + " addr add " + cluster_addr + "/30 dev va") &&
                    sh(b + " addr add " + victim_addr + "/30 dev vb") &&
                    sh(a + " link set va up") && sh(b + " link set vb up");
    if (!ok) {
      why_not_ = "could not set up the namespaces / veth pair";
      return;
    }
    home_fd_ = ::open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    const int fd = ::open(("/var/run/netns/" + cluster_).c_str(), O_RDONLY | O_CLOEXEC);
    if (home_fd_ < 0 || fd < 0 || ::setns(fd, CLONE_NEWNET) != 0) {
      why_not_ = "setns into the cluster namespace failed";
      if (fd >= 0) ::close(fd);
      return;
    }
    ::close(fd);
    entered_ = true;
  }
  ~partition_lab() {
    if (entered_) (void)::setns(home_fd_, CLONE_NEWNET);
    if (home_fd_ >= 0) ::close(home_fd_);
    // Deleting a namespace removes its veth end, which removes the pair.
    if (created_) {
      sh(ip_tool + " netns del " + victim_);
      sh(ip_tool + " netns del " + cluster_);
    }
  }
  bool ready() const { return entered_; }
  const std::string& why_not() const { return why_not_; }
  const std::string& victim_ns() const { return victim_; }
  bool cut() { return sh(ip_tool + " -n " + cluster_ + " link set va down"); }
  bool restore() { return sh(ip_tool + " -n " + cluster_ + " link set va up"); }

 private:
  std::string cluster_, victim_, why_not_;
  bool created_ = false, entered_ = false;
  int home_fd_ = -1;
};

std::string train_body(int seed) {
  std::string f = "[", l = "[";
  for (int i = 0; i < 40; ++i) {
    const int a = (i * 7 + seed) % 11, b = (i * 3) % 5;
    f += (i ? ",[" : "[") + std::to_string(a) + "," + std::to_string(b) + "]";
    l += (i ? "," : "") + std::to_string(2 * a + b + seed);
  }
  return R"({"algorithm":"linear_regression","data":{"features":)" + f + "],\"labels\":" + l +
         R"(]},"activate":"never"})";
}

// An mlp classification job on 2,000 rows (2×64 hidden units) with `epochs` epochs; its
// length is calibrated on the machine at hand (calibrated_long_epochs), because CPUs differ by
// 10× between the machines this test runs on: 2,400 epochs took ~10 s on one, over 3 minutes
// of a shared core on another, where the re-run then missed its deadline.
std::string long_train_body(int epochs) {
  std::string f = "[", l = "[";
  for (int i = 0; i < 2000; ++i) {
    const int a = i % 13, b = (i * 7) % 5, c = (i * 3) % 11, d = i % 2;
    f += (i ? ",[" : "[") + std::to_string(a) + "," + std::to_string(b) + "," + std::to_string(c) +
         "," + std::to_string(d) + "]";
    l += (i ? "," : "") + std::to_string(a + b > 8 ? 1 : 0);
  }
  return R"({"algorithm":"mlp","params":{"hidden":64,"epochs":)" + std::to_string(epochs) +
         R"(},"data":{"features":)" + f + "],\"labels\":" + l + R"(]},"activate":"never"})";
}

// One read of the job record (straight from Redis: the REST view hides `attempts`).
struct job_sample {
  double at_ms = 0;
  std::string status, node;
  std::int64_t attempts = 0;
  double progress = 0;
};

// Polls one job record every 20 ms on its own thread and Redis connection until stopped.
class job_watch {
 public:
  job_watch(const std::string& redis_url, std::string job) : job_(std::move(job)) {
    thread_ = std::thread([this, redis_url] {
      auto registry = mf::cluster::redis_registry::connect(redis_url, "mf:");
      if (!registry) return;
      while (!stop_) {
        if (auto j = registry->get_job(job_)) {
          job_sample sample{now_ms(), std::string(mf::cluster::to_string(j->status)), j->node,
                            j->attempts, j->progress};
          std::lock_guard lock(mutex_);
          samples_.push_back(std::move(sample));
        }
        std::this_thread::sleep_for(20ms);
      }
    });
  }
  ~job_watch() { stop(); }
  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  std::vector<job_sample> samples() {
    std::lock_guard lock(mutex_);
    return samples_;
  }

 private:
  std::string job_;
  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  std::vector<job_sample> samples_;
  std::thread thread_;
};

std::size_t count_of(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

nlohmann::json get_job(chaos_cluster& c, const std::string& job) {
  const auto r = http_request("GET", c.base() + "/v1/jobs/" + job, "", c.admin_headers());
  auto doc = r.status == 200 ? nlohmann::json::parse(r.body, nullptr, false) : nlohmann::json{};
  return doc.is_object() ? doc : nlohmann::json::object();
}

// Epochs for a long job of about 10 s on one free core here: a short job of the same shape is
// timed first, through the cluster. Clamped to [100, 2400] (2,400 was the fixed count before).
int calibrated_long_epochs(chaos_cluster& c, const std::string& tenant,
                           const std::vector<std::string>& headers) {
  constexpr int probe_epochs = 100;
  const auto started = std::chrono::steady_clock::now();
  const auto r = http_request("POST", c.base() + "/v1/tenants/" + tenant + "/models/calib/train",
                              long_train_body(probe_epochs), headers);
  REQUIRE_MESSAGE(r.status == 202, r.body);
  const auto id = nlohmann::json::parse(r.body).at("job_id").get<std::string>();
  REQUIRE_MESSAGE(
      mf::test::wait_until([&] { return get_job(c, id).value("status", "") == "succeeded"; },
                           scaled(120s), 50ms),
      get_job(c, id).dump() << c.logs());
  const double took_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  const int epochs =
      std::clamp(static_cast<int>(probe_epochs * 10.0 / std::max(took_s, 0.01)), 100, 2400);
  MESSAGE("long job: " << probe_epochs << " epochs took " << took_s << " s -> " << epochs
                       << " epochs");
  return epochs;
}

std::string node_state(chaos_cluster& c, const std::string& node) {
  const auto r = http_request("GET", c.base() + "/v1/cluster/nodes", "", c.admin_headers());
  if (r.status != 200) return "?";
  const auto doc = nlohmann::json::parse(r.body, nullptr, false);
  if (!doc.is_object() || !doc.contains("nodes")) return "?";
  for (const auto& n : doc["nodes"])
    if (n.value("node", "") == node) return n.value("state", "?");
  return "absent";
}

}  // namespace

TEST_CASE("fault 5 (netns): a worker partitioned by a cut veth link is declared dead, rejoins") {
  partition_lab lab;
  if (!lab.ready()) {
    MESSAGE("SKIPPED fault 5 netns partition: " << lab.why_not());
    return;
  }
  cluster_options opt;
  opt.name = "f5n";
  opt.workers = 2;  // w1, w2 in the cluster namespace
  opt.replicas = 2;
  opt.train_slots = 1;
  // Redis also listens on the cluster end of the veth, for the partitioned worker.
  opt.redis.extra_args = {"--bind", "127.0.0.1", cluster_addr, "--protected-mode", "no"};
  chaos_cluster c(opt);
  const std::string redis_url =
      "redis://" + cluster_addr + ":" + std::to_string(c.redis().port()) + "/0";
  mf::test::child_process victim(ip_tool,
                                 {"netns",
                                  "exec",
                                  lab.victim_ns(),
                                  binary,
                                  "worker",
                                  "--id",
                                  "v1",
                                  "--redis",
                                  redis_url,
                                  "--bind",
                                  "tcp://" + victim_addr + ":0",
                                  "--store",
                                  c.store(),
                                  "--admin-http",
                                  "127.0.0.1:0",
                                  "--heartbeat-ms",
                                  "200",
                                  "--heartbeat-ttl-ms",
                                  "1000",
                                  "--train-slots",
                                  "1",
                                  "--memory-budget",
                                  "256MiB",
                                  "--threads",
                                  "2"},
                                 c.dir() + "/v1.log");
  REQUIRE_MESSAGE(mf::test::wait_until([&] { return !ready_value(victim, "zmq").empty(); }, 20s),
                  victim.log());

  // Tenants until the victim owns one (placement spreads 2 replicas over 3 workers).
  const std::string artifact = small_artifact();
  std::string tenant;
  for (int i = 1; i <= 6 && tenant.empty(); ++i) {
    const std::string t = "t" + std::to_string(i);
    c.create_tenant(t);
    c.upload_model(t, "m", artifact);
    std::vector<std::string> owners;
    REQUIRE(mf::test::wait_until([&] { return (owners = c.placement(t)).size() == 2; }, 15s));
    if (std::find(owners.begin(), owners.end(), "v1") != owners.end()) tenant = t;
  }
  REQUIRE_MESSAGE(!tenant.empty(), "the victim owns no tenant\n" << c.logs() << victim.log());
  REQUIRE(c.wait_predict_ok(tenant, "m", 15s));
  const auto url = c.predict_url(tenant, "m");
  const auto headers = c.admin_headers();

  // A long job running ON the victim at the cut. Each worker has one slot and the scheduler
  // fills the most free worker first, so at most three submissions put one on the victim; the
  // others are cancelled to free their slots for the re-run.
  std::string long_job;
  std::vector<std::string> decoys;
  const std::string long_body = long_train_body(calibrated_long_epochs(c, tenant, headers));
  for (int i = 0; i < 3 && long_job.empty(); ++i) {
    const auto r = http_request("POST", c.base() + "/v1/tenants/" + tenant + "/models/long/train",
                                long_body, headers);
    REQUIRE_MESSAGE(r.status == 202, r.body);
    const auto id = nlohmann::json::parse(r.body).at("job_id").get<std::string>();
    nlohmann::json j;
    REQUIRE_MESSAGE(mf::test::wait_until(
                        [&] {
                          j = get_job(c, id);
                          return j.value("status", "") == "running" && !j.value("node", "").empty();
                        },
                        scaled(20s), 50ms),
                    j.dump() << c.logs());
    if (j.value("node", "") == "v1")
      long_job = id;
    else
      decoys.push_back(id);
  }
  REQUIRE_MESSAGE(!long_job.empty(), "no long job landed on the victim\n" << c.logs());
  for (const auto& d : decoys)
    CHECK(http_request("DELETE", c.base() + "/v1/jobs/" + d, "", headers).status == 202);
  for (const auto& d : decoys)
    CHECK(mf::test::wait_until([&] { return get_job(c, d).value("status", "") == "cancelled"; },
                               scaled(15s), 50ms));
  // Training for real on the victim (its progress mirrored into the record) before the cut.
  REQUIRE_MESSAGE(mf::test::wait_until(
                      [&] {
                        const auto j = get_job(c, long_job);
                        return j.value("node", "") == "v1" && j.value("progress", 0.0) > 0.0;
                      },
                      scaled(20s), 50ms),
                  get_job(c, long_job).dump() << victim.log());
  const std::string attempt1_done_line = "train " + long_job + " attempt 1 ";
  job_watch watch(c.redis().url(), long_job);

  // Jobs queued right before the cut: they run on the two live workers.
  std::vector<std::string> jobs;
  for (int i = 0; i < 6; ++i) {
    const auto r = http_request("POST", c.base() + "/v1/tenants/" + tenant + "/models/j/train",
                                train_body(i), headers);
    REQUIRE_MESSAGE(r.status == 202, r.body);
    jobs.push_back(nlohmann::json::parse(r.body).at("job_id").get<std::string>());
  }

  const double cut = now_ms();
  REQUIRE(lab.cut());
  const bool declared_dead =
      mf::test::wait_until([&] { return node_state(c, "v1") == "down"; }, 10s, 50ms) ||
      node_state(c, "v1") == "absent";
  const double dead_ms = now_ms() - cut;
  const bool moved = mf::test::wait_until(
      [&] {
        const auto p = c.placement(tenant);
        return p.size() == 2 && std::find(p.begin(), p.end(), "v1") == p.end();
      },
      10s, 50ms);
  const double moved_ms = now_ms() - cut;
  // While it is away a new version becomes active and is served by the live owners.
  const long v2 = c.upload_model(tenant, "m", artifact);
  http_client probe;
  REQUIRE(mf::test::wait_until(
      [&] {
        const auto r = probe.request("POST", url, R"({"instances":[[1,1]]})", headers);
        return r.status == 200 && nlohmann::json::parse(r.body).value("version", -1L) == v2;
      },
      10s));

  // The long job is re-run elsewhere as attempt 2 (the victim still trains attempt 1).
  const bool rerun = mf::test::wait_until(
      [&] {
        const auto v = watch.samples();
        return !v.empty() && v.back().attempts == 2 && v.back().status == "running" &&
               !v.back().node.empty() && v.back().node != "v1";
      },
      scaled(20s), 20ms);
  const double rerun_ms = now_ms() - cut;
  const bool victim_still_training = count_of(victim.log(), attempt1_done_line) == 0;

  const double back = now_ms();
  REQUIRE(lab.restore());
  const bool rejoined =
      mf::test::wait_until([&] { return node_state(c, "v1") == "up"; }, 30s, 100ms);
  const double rejoin_ms = now_ms() - back;
  // The victim may own the tenant again: no stale version served (300 checked one by one).
  const auto served = check_served_version(probe, url, headers, v2, 300);
  const std::size_t stale = served.stale, failed_after = served.failed;

  // Every job finished once: distinct versions, and the model has exactly those.
  std::map<std::string, nlohmann::json> records;
  const bool jobs_done = mf::test::wait_until(
      [&] {
        for (const auto& j : jobs) {
          const auto r = http_request("GET", c.base() + "/v1/jobs/" + j, "", headers);
          if (r.status == 200) records[j] = nlohmann::json::parse(r.body);
        }
        return std::all_of(jobs.begin(), jobs.end(), [&](const std::string& j) {
          const auto s = records[j].value("status", "");
          return s == "succeeded" || s == "failed" || s == "cancelled";
        });
      },
      90s, 200ms);
  // The long job: succeeded once, by attempt 2, not on the victim.
  nlohmann::json long_record;
  const bool long_done = mf::test::wait_until(
      [&] {
        long_record = get_job(c, long_job);
        const auto s = long_record.value("status", "");
        return s == "succeeded" || s == "failed" || s == "cancelled";
      },
      scaled(120s), 200ms);
  // The victim finishes its attempt 1 late (after the link came back); its result reaches the
  // coordinator, which drops it as stale, and its record writes were refused (fenced).
  const bool victim_finished_attempt1 = mf::test::wait_until(
      [&] { return count_of(victim.log(), attempt1_done_line) > 0; }, scaled(120s), 100ms);
  const std::string stale_line =
      "event=stale_attempt kind=result job=" + long_job + " attempt=1 node=v1";
  const bool stale_result_dropped = mf::test::wait_until(
      [&] { return count_of(c.coordinator("c1").log(), stale_line) > 0; }, scaled(30s), 100ms);
  // A last few samples after the stale result, then stop polling.
  const double settle_until = now_ms() + 500;
  mf::test::wait_until([&] { return now_ms() >= settle_until; }, 1s, 50ms);
  watch.stop();
  const auto samples = watch.samples();
  const auto long_after = get_job(c, long_job);
  // Record invariants over every sample: attempts never go back, one node per attempt, the
  // victim never shows as the owner of attempt 2, exactly one transition to succeeded.
  std::int64_t max_attempt = 0;
  bool attempts_monotonic = true, victim_owns_attempt2 = false;
  std::map<std::int64_t, std::set<std::string>> owners;
  std::size_t succeeded_transitions = 0;
  std::string previous_status;
  for (const auto& smp : samples) {
    if (smp.attempts < max_attempt) attempts_monotonic = false;
    max_attempt = std::max(max_attempt, smp.attempts);
    if (smp.status == "running" && !smp.node.empty()) owners[smp.attempts].insert(smp.node);
    if (smp.attempts >= 2 && smp.node == "v1") victim_owns_attempt2 = true;
    if (smp.status == "succeeded" && previous_status != "succeeded") ++succeeded_transitions;
    previous_status = smp.status;
  }
  bool one_owner_per_attempt = true;
  for (const auto& [attempt, nodes] : owners) one_owner_per_attempt &= nodes.size() == 1;
  const auto long_model = nlohmann::json::parse(
      http_request("GET", c.base() + "/v1/tenants/" + tenant + "/models/long", "", headers).body,
      nullptr, false);
  std::vector<long> long_versions;
  if (long_model.is_object() && long_model.contains("versions"))
    for (const auto& v : long_model["versions"]) long_versions.push_back(v.value("version", -1L));
  std::string attempt2_node = owners.count(2) ? *owners[2].begin() : "";
  // When the record first showed attempt 2 running elsewhere (the wait above may end later).
  double rerun_at_ms = -1;
  for (const auto& smp : samples)
    if (smp.attempts == 2 && smp.status == "running" && !smp.node.empty() && smp.node != "v1") {
      rerun_at_ms = smp.at_ms - cut;
      break;
    }
  // Progress + results of superseded attempts the coordinator dropped.
  long stale_reports = -1;
  {
    const auto m = http_request("GET", c.coordinator_admin("c1") + "/metrics", "", {}, 2000ms);
    const std::string key = "\nmodelfleet_jobs_stale_reports_total ";
    if (const auto at = m.body.find(key); m.status == 200 && at != std::string::npos)
      stale_reports = std::atol(m.body.c_str() + at + key.size());
  }

  std::set<long> job_versions;
  std::size_t succeeded = 0, on_victim = 0;
  std::string job_report;
  for (const auto& j : jobs) {
    const auto& r = records[j];
    job_report += r.dump() + "\n";
    if (r.value("status", "") != "succeeded") continue;
    ++succeeded;
    on_victim += r.value("node", "") == "v1";
    if (r.contains("version") && r["version"].is_number())
      job_versions.insert(r["version"].get<long>());
  }
  const auto model = nlohmann::json::parse(
      http_request("GET", c.base() + "/v1/tenants/" + tenant + "/models/j", "", headers).body,
      nullptr, false);
  std::set<long> model_versions;
  std::size_t version_count = 0;
  if (model.is_object() && model.contains("versions"))
    for (const auto& v : model["versions"])
      model_versions.insert(v.value("version", -1L)), ++version_count;

  const auto fig = nlohmann::json{{"fault", 5},
                                  {"method", "ip netns + veth, link set down/up"},
                                  {"declared_dead", declared_dead},
                                  {"dead_ms", dead_ms},
                                  {"tenants_moved", moved},
                                  {"moved_ms", moved_ms},
                                  {"rejoined", rejoined},
                                  {"rejoin_ms", rejoin_ms},
                                  {"stale_after_rejoin", stale},
                                  {"failed_after_rejoin", failed_after},
                                  {"jobs", jobs.size()},
                                  {"jobs_succeeded", succeeded},
                                  {"jobs_finished_on_victim", on_victim},
                                  {"model_versions", version_count},
                                  {"long_job_rerun", rerun},
                                  {"long_job_rerun_ms", rerun_at_ms},
                                  {"long_job_rerun_seen_ms", rerun_ms},
                                  {"coordinator_stale_reports", stale_reports},
                                  {"long_job_attempt2_node", attempt2_node},
                                  {"long_job_max_attempt", max_attempt},
                                  {"long_job_status", long_record.value("status", "")},
                                  {"long_job_versions", long_versions.size()},
                                  {"victim_training_at_restore", victim_still_training},
                                  {"victim_finished_attempt1_late", victim_finished_attempt1},
                                  {"stale_result_dropped", stale_result_dropped},
                                  {"record_samples", samples.size()},
                                  {"one_owner_per_attempt", one_owner_per_attempt},
                                  {"time_scale", time_scale()}};
  MESSAGE("fault 5 netns: " << fig.dump() << " -> " << write_figures("fault5_netns", fig));
  CHECK_MESSAGE(declared_dead, c.logs() << victim.log());
  CHECK_MESSAGE(moved, c.logs());
  CHECK(moved_ms < 5000 * time_scale());
  CHECK_MESSAGE(rejoined, c.logs() << victim.log());
  CHECK(stale == 0);
  CHECK(failed_after == 0);
  CHECK_MESSAGE(jobs_done, job_report);
  CHECK_MESSAGE(succeeded == jobs.size(), job_report);
  CHECK(job_versions.size() == succeeded);
  CHECK_MESSAGE(model_versions == job_versions, job_report << model.dump());
  CHECK(version_count == succeeded);

  // The long job across the partition.
  CHECK_MESSAGE(rerun, c.logs());
  CHECK(victim_still_training);  // the victim's attempt 1 outlived the partition
  CHECK_MESSAGE(long_done, long_record.dump());
  CHECK_MESSAGE(long_record.value("status", "") == "succeeded", long_record.dump());
  CHECK(long_record.value("node", "") != "v1");
  CHECK(max_attempt == 2);
  CHECK(attempts_monotonic);
  CHECK(one_owner_per_attempt);
  CHECK_FALSE(victim_owns_attempt2);
  CHECK(succeeded_transitions == 1);
  CHECK(samples.size() > 100);
  CHECK_MESSAGE(victim_finished_attempt1, victim.log());
  CHECK_MESSAGE(stale_result_dropped, c.coordinator("c1").log());
  CHECK(stale_reports >= 1);
  CHECK(rerun_at_ms > 0);
  // Exactly one version, the job's, and the late attempt changed nothing afterwards.
  REQUIRE(long_versions.size() == 1);
  CHECK(long_versions[0] == long_record.value("version", -2L));
  CHECK(long_after.value("status", "") == "succeeded");
  CHECK(long_after.value("node", "") == long_record.value("node", ""));
  CHECK(long_after.value("version", -1L) == long_record.value("version", -2L));
  victim.stop(1000ms);
}
