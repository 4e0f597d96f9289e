// System tests with real processes: `modelfleet coordinator` (x2) and `modelfleet worker` (x2)
// against a real redis-server: leader election + takeover after SIGKILL, training end to end,
// a worker SIGKILLed mid-training.
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <regex>
#include <set>
#include <thread>

#include "cluster/redis_registry.hpp"
#include "protocol/predict_client.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/redis_server_fixture.hpp"
#include "tests/support/wait_until.hpp"

using namespace std::chrono_literals;

namespace {

const std::string binary = MF_BINARY_DIR "/nodes/modelfleet";

// GET http://127.0.0.1:port/path -> body (empty on any failure).
std::string http_get(const std::string& base, const std::string& path) {
  std::smatch m;
  const std::regex re("http://([0-9.]+):([0-9]+)");
  if (!std::regex_search(base, m, re)) return {};
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return {};
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(std::stoi(m[2])));
  ::inet_pton(AF_INET, m[1].str().c_str(), &addr.sin_addr);
  timeval tv{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::string out;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    const std::string req = "GET " + path + " HTTP/1.0\r\nHost: x\r\n\r\n";
    (void)::send(fd, req.data(), req.size(), MSG_NOSIGNAL);
    char buf[4096];
    for (;;) {
      const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) break;
      out.append(buf, static_cast<std::size_t>(n));
    }
  }
  ::close(fd);
  const auto body = out.find("\r\n\r\n");
  return body == std::string::npos ? std::string() : out.substr(body + 4);
}

// The value of key=... on the process's ready line, once it is printed.
std::optional<std::string> ready_value(const mf::test::child_process& p, const std::string& key) {
  const std::string log = p.log();
  const auto ready = log.find(" ready ");
  if (ready == std::string::npos) return std::nullopt;
  const auto line_end = log.find('\n', ready);
  const std::string line = log.substr(ready, line_end - ready);
  const auto k = line.find(key + "=");
  if (k == std::string::npos) return std::nullopt;
  const auto end = line.find(' ', k);
  return line.substr(k + key.size() + 1,
                     end == std::string::npos ? std::string::npos : end - k - key.size() - 1);
}

std::string wait_ready(const mf::test::child_process& p, const std::string& key) {
  std::optional<std::string> v;
  const bool ok =
      mf::test::wait_until([&] { return (v = ready_value(p, key)).has_value(); }, 15s, 20ms);
  REQUIRE_MESSAGE(ok, "no ready line; log:\n" << p.log());
  return *v;
}

bool is_leader(const std::string& admin) {
  // The sample line, not the HELP text (which also mentions "leader 1 if ...").
  return http_get(admin, "/metrics").find("\nmodelfleet_coordinator_leader 1\n") !=
         std::string::npos;
}

std::string temp_dir(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() /
             ("mf_coord_" + name + "_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir.string();
}

std::unique_ptr<mf::test::child_process> start_coordinator(const std::string& id,
                                                           const std::string& redis,
                                                           const std::string& store,
                                                           const std::string& dir) {
  return std::make_unique<mf::test::child_process>(
      binary,
      std::vector<std::string>{"coordinator", "--id", id, "--redis", redis, "--store", store,
                               "--replicas", "2", "--lease-ttl-ms", "2000", "--renew-interval-ms",
                               "500", "--admin-http", "127.0.0.1:0"},
      dir + "/" + id + ".log");
}

std::unique_ptr<mf::test::child_process> start_worker(const std::string& id,
                                                      const std::string& redis,
                                                      const std::string& store,
                                                      const std::string& dir) {
  return std::make_unique<mf::test::child_process>(
      binary,
      std::vector<std::string>{"worker", "--id", id, "--redis", redis, "--store", store, "--bind",
                               "tcp://127.0.0.1:0", "--train-slots", "1", "--memory-budget",
                               "256MiB", "--admin-http", "127.0.0.1:0"},
      dir + "/" + id + ".log");
}

// A classification request of `rows` rows (two noisy blobs), inline in the job record.
std::string request(const std::string& algorithm, int rows, int seed) {
  std::mt19937 rng(static_cast<unsigned>(seed));
  std::normal_distribution<double> noise(0.0, 0.6);
  std::string features = "[", labels = "[";
  for (int i = 0; i < rows; ++i) {
    const int label = i % 2;
    const double cx = label ? 1.5 : -1.5;
    features += (i ? "," : "") + std::string("[") + std::to_string(cx + noise(rng)) + "," +
                std::to_string(-cx + noise(rng)) + "," + std::to_string(noise(rng)) + "]";
    labels += (i ? "," : "") + std::to_string(label);
  }
  return R"({"algorithm":")" + algorithm + R"(","params":{},"data":{"features":)" + features +
         "]," + R"("labels":)" + labels + "]}}";
}

std::string submit(mf::cluster::registry& reg, const std::string& tenant, const std::string& model,
                   const std::string& algorithm, int rows, int seed) {
  if (!reg.get_tenant(tenant)) (void)reg.create_tenant(tenant);
  mf::cluster::job_record job;
  job.tenant = tenant;
  job.model = model;
  job.algorithm = algorithm;
  job.request_ref = request(algorithm, rows, seed);
  auto created = reg.create_job(job);
  REQUIRE(created);
  return created->id;
}

}  // namespace

TEST_CASE("two coordinator processes: exactly one leads; SIGKILL it and the other leads in < 5 s") {
  REQUIRE_MESSAGE(std::filesystem::exists(binary), binary << " is not built");
  mf::test::redis_server_fixture redis;
  const auto dir = temp_dir("lead");
  const std::string store = "fs:" + dir + "/blobs";
  auto a = start_coordinator("ca", redis.url(), store, dir);
  auto b = start_coordinator("cb", redis.url(), store, dir);
  const auto admin_a = wait_ready(*a, "admin");
  const auto admin_b = wait_ready(*b, "admin");
  REQUIRE(
      mf::test::wait_until([&] { return is_leader(admin_a) || is_leader(admin_b); }, 10s, 50ms));
  // Watch for a while: never two leaders, and no flapping.
  const bool a_leads = is_leader(admin_a);
  for (int i = 0; i < 20; ++i) {
    const bool la = is_leader(admin_a), lb = is_leader(admin_b);
    CHECK(la != lb);
    CHECK(la == a_leads);
    std::this_thread::sleep_for(50ms);  // sampling interval of an observation, not a sync
  }
  auto& leader = a_leads ? a : b;
  const auto& standby_admin = a_leads ? admin_b : admin_a;
  const auto killed = std::chrono::steady_clock::now();
  leader->signal(SIGKILL);
  REQUIRE(mf::test::wait_until([&] { return is_leader(standby_admin); }, 5s, 20ms));
  const auto took = std::chrono::steady_clock::now() - killed;
  MESSAGE("standby leads " << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
                           << " ms after SIGKILL of the leader (lease ttl 2000 ms)");
  CHECK(took < 5s);
  CHECK(http_get(standby_admin, "/healthz").find("ok") != std::string::npos);
}

TEST_CASE(
    "real workers: jobs of 3 tenants succeed; a worker SIGKILLed mid-training loses nothing") {
  REQUIRE_MESSAGE(std::filesystem::exists(binary), binary << " is not built");
  mf::test::redis_server_fixture redis;
  const auto dir = temp_dir("jobs");
  const std::string store = "fs:" + dir + "/blobs";
  auto reg = std::move(*mf::cluster::redis_registry::connect(redis.url()));
  auto w1 = start_worker("w1", redis.url(), store, dir);
  auto w2 = start_worker("w2", redis.url(), store, dir);
  wait_ready(*w1, "zmq");
  wait_ready(*w2, "zmq");
  auto c = start_coordinator("c1", redis.url(), store, dir);
  wait_ready(*c, "admin");

  std::vector<std::string> ids;
  for (int i = 0; i < 12; ++i)
    ids.push_back(submit(reg, "ta", "m" + std::to_string(i % 2), "logistic_regression", 60, i));
  for (int i = 0; i < 4; ++i)
    ids.push_back(submit(reg, "tb", "m", "logistic_regression", 60, 100 + i));
  for (int i = 0; i < 4; ++i)
    ids.push_back(submit(reg, "tc", "m", "logistic_regression", 60, 200 + i));
  auto finished = [&](const std::vector<std::string>& list) {
    for (const auto& id : list) {
      auto j = reg.get_job(id);
      if (!j || !mf::cluster::is_finished(j->status)) return false;
    }
    return true;
  };
  // SIGKILL the coordinator mid-queue and restart it: every job still ends exactly once.
  auto succeeded = [&] {
    int n = 0;
    for (const auto& id : ids) {
      auto j = reg.get_job(id);
      n += j && j->status == mf::cluster::job_status::succeeded;
    }
    return n;
  };
  REQUIRE(mf::test::wait_until([&] { return succeeded() >= 4; }, 60s, 20ms));
  c->signal(SIGKILL);
  (void)c->wait_for(5s);
  MESSAGE(succeeded() << " of " << ids.size() << " jobs done when the coordinator was killed");
  c = start_coordinator("c1", redis.url(), store, dir);
  wait_ready(*c, "admin");
  REQUIRE_MESSAGE(mf::test::wait_until([&] { return finished(ids); }, 120s, 100ms),
                  "coordinator log:\n"
                      << c->log());
  std::map<std::string, std::set<std::int64_t>> versions;
  std::set<std::string> nodes;
  for (const auto& id : ids) {
    auto j = reg.get_job(id);
    REQUIRE(j);
    CHECK_MESSAGE(j->status == mf::cluster::job_status::succeeded,
                  id << ": " << j->error.value_or(""));
    REQUIRE(j->version);
    CHECK(versions[j->tenant + "/" + j->model].insert(*j->version).second);
    nodes.insert(j->node);
  }
  CHECK(nodes.size() == 2);  // both workers trained
  for (const auto& [model, vs] : versions) {
    CHECK(*vs.begin() == 1);
    CHECK(*vs.rbegin() == static_cast<std::int64_t>(vs.size()));  // no gaps
    const auto slash = model.find('/');
    auto stored = reg.list_versions(model.substr(0, slash), model.substr(slash + 1));
    REQUIRE(stored);
    CHECK(stored->size() == vs.size());  // no duplicates: one version per job
  }

  // A long job; SIGKILL its worker as soon as it runs there.
  const auto long_job = submit(reg, "td", "big", "mlp", 3000, 7);
  std::string victim;
  REQUIRE(mf::test::wait_until(
      [&] {
        auto j = reg.get_job(long_job);
        if (j && j->status == mf::cluster::job_status::running && !j->node.empty())
          victim = j->node;
        return !victim.empty();
      },
      30s, 10ms));
  auto j0 = reg.get_job(long_job);
  REQUIRE(j0);
  REQUIRE(j0->status == mf::cluster::job_status::running);
  (victim == "w1" ? w1 : w2)->signal(SIGKILL);
  REQUIRE_MESSAGE(mf::test::wait_until([&] { return finished({long_job}); }, 120s, 100ms),
                  "coordinator log:\n"
                      << c->log());
  auto j = reg.get_job(long_job);
  REQUIRE(j);
  CHECK_MESSAGE(j->status == mf::cluster::job_status::succeeded, j->error.value_or(""));
  CHECK(j->node != victim);
  CHECK(j->attempts == 2);
  CHECK(j->version == 1);
}

namespace {

// A minimal stand-in for a router: reads the placement from Redis every 100 ms and sends each
// predict to the tenant's first listed replica, retrying once on the next one (as the router
// does). Counts requests that failed on every try.
struct placement_client {
  std::string redis_url;
  std::vector<std::string> tenants;
  std::atomic<bool> stop{false};
  std::atomic<int> ok{0}, failed{0};
  std::mutex mutex;
  std::vector<std::string> failures;

  void run() {
    auto reg = std::move(*mf::cluster::redis_registry::connect(redis_url));
    std::map<std::string, std::string> endpoints;
    std::map<std::string, std::unique_ptr<mf::protocol::predict_client>> clients;
    mf::cluster::placement p;
    auto refreshed = std::chrono::steady_clock::time_point{};
    std::size_t i = 0;
    while (!stop) {
      if (std::chrono::steady_clock::now() - refreshed > 100ms) {
        if (auto got = reg.get_placement()) p = *got;
        if (auto nodes = reg.list_nodes())
          for (const auto& n : *nodes)
            if (n.role == "worker" && n.state != mf::cluster::node_state::down)
              endpoints[n.node] = n.address;
        refreshed = std::chrono::steady_clock::now();
      }
      const auto& tenant = tenants[i++ % tenants.size()];
      const auto owners =
          p.tenants.count(tenant) ? p.tenants.at(tenant) : std::vector<std::string>{};
      std::string last_error = "no owner";
      bool done = false;
      for (std::size_t k = 0; k < std::min<std::size_t>(2, owners.size()) && !done; ++k) {
        const auto& node = owners[k];
        if (!endpoints.count(node)) continue;
        auto& c = clients[node];
        if (!c) {
          auto made = mf::protocol::predict_client::create();
          if (!made) continue;
          c = std::make_unique<mf::protocol::predict_client>(std::move(*made));
          (void)c->connect(endpoints[node]);
        }
        mf::protocol::predict_request req;
        req.tenant = tenant;
        req.model = "m";
        req.n_features = 3;
        req.features = {1.0, -1.0, 0.0};
        auto reply = c->predict(req, 2000ms);
        if (reply) {
          done = true;
        } else {
          last_error = node + ": " + reply.error().message;
          clients.erase(node);  // a timed-out DEALER may hold a stale reply: start afresh
        }
      }
      if (done) {
        ++ok;
      } else {
        ++failed;
        std::lock_guard lock(mutex);
        failures.push_back(tenant + " -> " + last_error);
      }
    }
  }
};

std::map<std::string, int> tenants_per_node(const mf::cluster::placement& p) {
  std::map<std::string, int> out;
  for (const auto& [t, owners] : p.tenants)
    for (const auto& n : owners) ++out[n];
  return out;
}

}  // namespace

TEST_CASE("join a third worker, then drain one, under steady predictions: none fails") {
  REQUIRE_MESSAGE(std::filesystem::exists(binary), binary << " is not built");
  mf::test::redis_server_fixture redis;
  const auto dir = temp_dir("move");
  const std::string store = "fs:" + dir + "/blobs";
  auto reg = std::move(*mf::cluster::redis_registry::connect(redis.url()));
  auto w1 = start_worker("w1", redis.url(), store, dir);
  auto w2 = start_worker("w2", redis.url(), store, dir);
  wait_ready(*w1, "zmq");
  wait_ready(*w2, "zmq");
  auto c = std::make_unique<mf::test::child_process>(
      binary,
      std::vector<std::string>{"coordinator", "--id", "c1", "--redis", redis.url(), "--store",
                               store, "--replicas", "1", "--move-grace-ms", "1500", "--admin-http",
                               "127.0.0.1:0"},
      dir + "/c1.log");
  wait_ready(*c, "admin");
  std::vector<std::string> tenants, jobs;
  for (int i = 0; i < 12; ++i) {
    tenants.push_back("t" + std::to_string(i));
    jobs.push_back(submit(reg, tenants.back(), "m", "logistic_regression", 40, i));
  }
  REQUIRE_MESSAGE(mf::test::wait_until(
                      [&] {
                        for (const auto& id : jobs) {
                          auto j = reg.get_job(id);
                          if (!j || j->status != mf::cluster::job_status::succeeded) return false;
                        }
                        return true;
                      },
                      120s, 100ms),
                  c->log());
  REQUIRE(mf::test::wait_until(
      [&] {
        auto p = reg.get_placement();
        return p && p->tenants.size() == tenants.size();
      },
      10s, 50ms));
  placement_client client;
  client.redis_url = redis.url();
  client.tenants = tenants;
  std::thread load([&] { client.run(); });
  REQUIRE(mf::test::wait_until([&] { return client.ok > 50; }, 30s, 20ms));

  // Join w3: about a third of the tenants move to it, staged.
  const auto before = *reg.get_placement();
  auto w3 = start_worker("w3", redis.url(), store, dir);
  wait_ready(*w3, "zmq");
  REQUIRE(mf::test::wait_until(
      [&] {
        auto p = reg.get_placement();
        if (!p) return false;
        auto counts = tenants_per_node(*p);
        int total = 0;
        for (const auto& [n, k] : counts) total += k;
        return counts["w3"] > 0 && total == static_cast<int>(tenants.size());  // final, not staged
      },
      20s, 50ms));
  const auto after = *reg.get_placement();
  int moved = 0;
  for (const auto& t : tenants) moved += before.tenants.at(t) != after.tenants.at(t);
  MESSAGE(moved << " of " << tenants.size() << " tenants moved to the new worker");
  CHECK(moved >= 1);
  CHECK(moved <= 8);
  const int ok_after_join = client.ok;
  REQUIRE(mf::test::wait_until([&] { return client.ok > ok_after_join + 50; }, 20s, 20ms));

  // Drain w1: its tenants move away; it ends with none.
  REQUIRE(reg.set_draining("w1", true));
  (void)reg.publish_event(R"({"type":"drain","node":"w1","draining":true})");
  REQUIRE(mf::test::wait_until(
      [&] {
        auto p = reg.get_placement();
        return p && tenants_per_node(*p)["w1"] == 0;
      },
      20s, 50ms));
  const int ok_after_drain = client.ok;
  REQUIRE(mf::test::wait_until([&] { return client.ok > ok_after_drain + 50; }, 20s, 20ms));
  client.stop = true;
  load.join();
  MESSAGE(client.ok.load() << " predictions ok, " << client.failed.load() << " failed");
  for (const auto& f : client.failures) MESSAGE("failed: " << f);
  CHECK(client.failed == 0);
}
