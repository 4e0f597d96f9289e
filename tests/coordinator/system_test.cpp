// System tests with real processes: `modelfleet coordinator` (x2) and `modelfleet worker` (x2)
// against a real redis-server: leader election + takeover after SIGKILL, training end to end,
// a worker SIGKILLed mid-training.
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <random>
#include <regex>

#include "cluster/redis_registry.hpp"
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
  return http_get(admin, "/metrics").find("modelfleet_coordinator_leader 1") != std::string::npos;
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
