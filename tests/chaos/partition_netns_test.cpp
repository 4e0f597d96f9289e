// Fault 5 as a real network partition: the test makes two network namespaces of its own
// ("cluster" and "victim") joined by a veth pair, runs the cluster in the first and one worker
// in the second, cuts the link (ip link set down), checks the worker is declared dead and its
// tenants move, restores the link and checks it rejoins with no stale version served and every
// training job run exactly once. Only addresses inside the two test namespaces are used; the
// root namespace is never touched. Skipped (with a message) when not root or without ip netns.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <set>

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

  // Jobs queued right before the cut: some run on the victim when the link goes down.
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

  const double back = now_ms();
  REQUIRE(lab.restore());
  const bool rejoined =
      mf::test::wait_until([&] { return node_state(c, "v1") == "up"; }, 30s, 100ms);
  const double rejoin_ms = now_ms() - back;
  // The victim may own the tenant again: no stale version served (300 checked one by one).
  std::size_t stale = 0, failed_after = 0;
  for (int i = 0; i < 300; ++i) {
    const auto r = probe.request("POST", url, R"({"instances":[[1,1]]})", headers);
    if (r.status != 200) {
      ++failed_after;
      continue;
    }
    if (nlohmann::json::parse(r.body).value("version", -1L) != v2) ++stale;
  }

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
                                  {"model_versions", version_count}};
  MESSAGE("fault 5 netns: " << fig.dump() << " -> " << write_figures("fault5_netns", fig));
  CHECK_MESSAGE(declared_dead, c.logs() << victim.log());
  CHECK_MESSAGE(moved, c.logs());
  CHECK(moved_ms < 5000);
  CHECK_MESSAGE(rejoined, c.logs() << victim.log());
  CHECK(stale == 0);
  CHECK(failed_after == 0);
  CHECK_MESSAGE(jobs_done, job_report);
  CHECK_MESSAGE(succeeded == jobs.size(), job_report);
  CHECK(job_versions.size() == succeeded);
  CHECK_MESSAGE(model_versions == job_versions, job_report << model.dump());
  CHECK(version_count == succeeded);
  victim.stop(1000ms);
}
