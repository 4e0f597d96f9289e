// System test: redis-server, two `modelfleet worker` processes and a `modelfleet router` as
// real processes on free loopback ports. Placement is written by the test (the coordinator
// role is exercised by tests/coordinator). Covers predict over HTTP and the front door, the
// state routes end to end, and failover when a worker is SIGKILLed (time recorded).
#include <doctest/doctest.h>

#include <cmath>
#include <map>

#include <signal.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <set>
#include <thread>

#include "cluster/fs_blob_store.hpp"
#include "cluster/redis_registry.hpp"
#include "ml/ml.hpp"
#include "protocol/predict_client.hpp"
#include "tests/router/http_client.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/redis_server_fixture.hpp"
#include "tests/support/wait_until.hpp"

using namespace mf::test;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

const std::string binary = MF_BINARY_DIR "/nodes/modelfleet";

std::string ready_value(child_process& p, const std::string& key) {
  std::smatch m;
  std::string log = p.log();
  std::regex re(key + "=(\\S+)");
  if (std::regex_search(log, m, re)) return m[1];
  return "";
}

std::string train_artifact() {
  mf::ml::dataset d;
  d.n_features = 2;
  for (int i = 0; i < 80; ++i) {
    double a = i % 9, b = (i * 5) % 7;
    d.features.insert(d.features.end(), {a, b});
    d.labels.push_back(2 * a + b);
  }
  auto t = mf::ml::train("linear_regression", {}, d, {});
  REQUIRE(t.has_value());
  return mf::ml::serialize_artifact(*t->model);
}

}  // namespace

TEST_CASE("router with two real workers: predict, state routes, front door, failover") {
  redis_server_fixture redis;
  const auto dir =
      std::filesystem::temp_directory_path() / ("mf_router_sys_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string store = "fs:" + (dir / "blobs").string();
  auto reg = mf::cluster::redis_registry::connect(redis.url());
  REQUIRE(reg.has_value());
  auto blobs = mf::cluster::fs_blob_store::open((dir / "blobs").string());
  REQUIRE(blobs.has_value());

  // Seed: tenant t1 with an active model, placed on both workers.
  const std::string artifact = train_artifact();
  REQUIRE(reg->create_tenant("t1").has_value());
  auto id = reg->reserve_version_id("t1", "m");
  REQUIRE(id.has_value());
  REQUIRE((*blobs)->put({"t1", "m", *id}, artifact).has_value());
  mf::cluster::version_record v;
  v.version = *id;
  auto info = mf::ml::inspect_artifact(artifact);
  REQUIRE(info.has_value());
  v.algorithm = info->algorithm;
  v.n_features = 2;
  v.size_bytes = static_cast<std::int64_t>(artifact.size());
  v.sha256 = mf::ml::sha256_hex(artifact);
  v.created_at = mf::cluster::now_unix_ms();
  v.source = "upload";
  REQUIRE(reg->publish_version("t1", "m", v, true, "upload", "admin").has_value());
  mf::cluster::placement p;
  p.epoch = 1;
  p.replicas = 2;
  p.tenants = {{"t1", {"w1", "w2"}}};
  REQUIRE(reg->put_placement(p).has_value());

  const std::string token_file = (dir / "admin.token").string();
  std::ofstream(token_file) << "sys-admin-token\n";
  const std::vector<std::string> auth = {"Authorization: Bearer sys-admin-token",
                                         "Content-Type: application/json"};

  auto start_worker = [&](const std::string& wid) {
    return std::make_unique<child_process>(
        binary,
        std::vector<std::string>{"worker", "--id", wid, "--redis", redis.url(), "--bind",
                                 "tcp://127.0.0.1:0", "--store", store, "--admin-http",
                                 "127.0.0.1:0", "--heartbeat-ms", "200", "--heartbeat-ttl-ms",
                                 "1000", "--train-slots", "0"},
        (dir / (wid + ".log")).string());
  };
  auto w1 = start_worker("w1");
  auto w2 = start_worker("w2");
  child_process router(
      binary,
      {"router", "--id", "r1", "--redis", redis.url(), "--http", "127.0.0.1:0", "--front",
       "tcp://127.0.0.1:*", "--admin-token-file", token_file, "--store", store},
      (dir / "router.log").string());
  REQUIRE_MESSAGE(wait_until([&] { return !ready_value(router, "http").empty(); }, 20s),
                  router.log());
  REQUIRE_MESSAGE(wait_until([&] { return w1->log().find(" ready ") != std::string::npos; }, 20s),
                  w1->log());
  REQUIRE_MESSAGE(wait_until([&] { return w2->log().find(" ready ") != std::string::npos; }, 20s),
                  w2->log());
  const std::string base = ready_value(router, "http");
  const std::string front = ready_value(router, "front");

  // Ready once the router sees the workers: both of them, or killing w1 below could race the
  // router's first sight of w2 (it learns new nodes on its periodic resync).
  REQUIRE(wait_until([&] { return http_request("GET", base + "/readyz").status == 200; }, 20s));
  REQUIRE(wait_until(
      [&] {
        return http_request("GET", base + "/metrics")
                   .body.find("modelfleet_router_workers_up 2\n") != std::string::npos;
      },
      20s));
  const std::string body = R"({"instances":[[1,1],[2,0],[0,3]]})";
  http_result first;
  REQUIRE_MESSAGE(wait_until(
                      [&] {
                        first = http_request("POST", base + "/v1/tenants/t1/models/m/predict", body,
                                             auth);
                        return first.status == 200;
                      },
                      20s),
                  first.body);
  auto fj = json::parse(first.body);
  CHECK(fj["version"] == *id);
  REQUIRE(fj["predictions"].size() == 3);
  CHECK(fj["predictions"][0].get<double>() == doctest::Approx(3.0).epsilon(0.05));
  CHECK(fj["predictions"][2].get<double>() == doctest::Approx(3.0).epsilon(0.05));
  // Wrong feature count comes back from the worker as 422.
  CHECK(http_request("POST", base + "/v1/tenants/t1/models/m/predict", R"({"instances":[[1,2,3]]})",
                     auth)
            .status == 422);
  CHECK(http_request("POST", base + "/v1/tenants/t1/models/nope/predict", body, auth).status ==
        404);

  // State routes through the real process.
  auto created = http_request("PUT", base + "/v1/tenants/t2", "", auth);
  CHECK(created.status == 201);
  auto nodes = json::parse(http_request("GET", base + "/v1/cluster/nodes", "", auth).body);
  std::set<std::string> names;
  for (auto& n : nodes["nodes"]) names.insert(n["node"].get<std::string>());
  CHECK(names.count("w1") == 1);
  CHECK(names.count("w2") == 1);
  CHECK(names.count("r1") == 1);
  auto art = http_request("GET", base + "/v1/tenants/t1/models/m/versions/1/artifact", "", auth);
  CHECK(art.status == 200);
  CHECK(art.body == artifact);

  // Front door: same Cap'n Proto request a worker takes.
  auto client = mf::protocol::predict_client::create();
  REQUIRE(client.has_value());
  REQUIRE(client->connect(front).has_value());
  mf::protocol::predict_request req;
  req.tenant = "t1";
  req.model = "m";
  req.n_features = 2;
  req.features = {1, 1};
  auto fr = client->predict(req, 2000ms);
  REQUIRE_MESSAGE(fr.has_value(), fr.error().message);
  REQUIRE(fr->predictions.size() == 1);
  CHECK(fr->predictions[0] == doctest::Approx(3.0).epsilon(0.05));

  // Under load the router sends what is ready for one worker in the same loop turn as one
  // batch frame (both workers announce protocol level 2). `modelfleet bench` keeps 32
  // keep-alive connections busy for 2 s while 4 checking clients send requests of their own:
  // theirs travel in the same frames, and each answer must still be its own.
  {
    child_process load(
        binary,
        {"bench", "--url", base, "--token", "sys-admin-token", "--predict-path",
         "/v1/tenants/t1/models/m/predict", "--features", "2", "-c", "32", "--duration", "2",
         "--warmup", "0", "--json", (dir / "bench.json").string()},
        (dir / "bench.log").string());
    std::atomic<int> wrong{0}, sent{0};
    // The checking clients run as long as the load (its 2 s), by the clock: child_process is
    // driven by this thread only.
    const auto load_ends = std::chrono::steady_clock::now() + 2s;
    std::vector<std::thread> clients;
    for (int c = 0; c < 4; ++c) {
      clients.emplace_back([&, c] {
        for (int i = 0; std::chrono::steady_clock::now() < load_ends || i < 5; ++i) {
          const int a = (c * 7 + i) % 9, b = (c + i) % 7;  // inside the training grid
          auto r = http_request(
              "POST", base + "/v1/tenants/t1/models/m/predict",
              "{\"instances\":[[" + std::to_string(a) + "," + std::to_string(b) + "]]}", auth);
          ++sent;
          auto j = json::parse(r.body, nullptr, false);
          const bool right =
              r.status == 200 && j.contains("predictions") && j["predictions"].is_array() &&
              !j["predictions"].empty() && j["predictions"][0].is_number() &&
              std::abs(j["predictions"][0].get<double>() - (2.0 * a + b)) <= 0.1 * (2 * a + b + 1);
          if (!right) ++wrong;
        }
      });
    }
    for (auto& t : clients) t.join();
    REQUIRE_MESSAGE(load.wait_for(10s) == 0, load.log());
    auto report = json::parse(std::ifstream(dir / "bench.json"), nullptr, false);
    REQUIRE_FALSE(report.is_discarded());
    const auto& results = report["results"];
    MESSAGE("bench beside the checks: " << results["ok"] << " ok of " << results["requests"] << ", "
                                        << results["throughput_rps"] << " req/s");
    CHECK(results["errors"] == 0);
    CHECK(results["ok"].get<double>() > 0);
    CHECK(wrong.load() == 0);
    CHECK(sent.load() > 0);
    auto m = http_request("GET", base + "/metrics").body;
    std::smatch batched;
    REQUIRE(std::regex_search(m, batched,
                              std::regex("modelfleet_router_predict_batched_total (\\d+)")));
    MESSAGE(sent.load() << " checked predicts beside the load; " << batched[1]
                        << " predicts travelled in batch frames");
    CHECK(std::stoll(batched[1]) > 0);
  }

  // Failover: SIGKILL w1 under steady traffic; every request must still succeed.
  int failures = 0, total = 0;
  std::map<int, int> failures_by_status;  // reported when the check below fails
  auto worst = std::chrono::milliseconds(0);
  auto w1_dropped = [&] {
    auto m = http_request("GET", base + "/metrics").body;
    return m.find("modelfleet_router_workers_up 1\n") != std::string::npos;
  };
  w1->signal(SIGKILL);
  const auto killed = std::chrono::steady_clock::now();
  std::optional<std::chrono::milliseconds> detected;
  while (std::chrono::steady_clock::now() - killed < 3s) {
    if (!detected && total % 20 == 0 && w1_dropped()) {
      detected = std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::steady_clock::now() - killed);
    }
    auto s = std::chrono::steady_clock::now();
    auto r = http_request("POST", base + "/v1/tenants/t1/models/m/predict", body, auth);
    auto took =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - s);
    worst = std::max(worst, took);
    ++total;
    if (r.status != 200) {
      ++failures;
      ++failures_by_status[r.status];
    }
  }
  // Time until the router no longer counts w1 (heartbeat TTL expiry + resync).
  const bool dropped = wait_until(
      [&] {
        auto m = http_request("GET", base + "/metrics").body;
        return m.find("modelfleet_router_workers_up 1\n") != std::string::npos;
      },
      10s);
  const auto detect_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::steady_clock::now() - killed)
                             .count();
  MESSAGE("failover: " << total << " requests in 3 s after SIGKILL of w1, " << failures
                       << " failed, slowest " << worst.count()
                       << " ms; w1 dropped from the router after " << detect_ms << " ms");
  for (const auto& [status, n] : failures_by_status) MESSAGE("  status " << status << ": " << n);
  CHECK(failures == 0);
  CHECK(dropped);
  CHECK(worst < 1500ms);

  CHECK(router.stop() == 0);  // clean SIGTERM shutdown
  w2->stop();
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

TEST_CASE("train through the router: real coordinator and worker, then predict the new version") {
  redis_server_fixture redis;
  const auto dir = std::filesystem::temp_directory_path() /
                   ("mf_router_sys_train_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string store = "fs:" + (dir / "blobs").string();
  const std::string token_file = (dir / "admin.token").string();
  std::ofstream(token_file) << "sys-admin-token\n";
  const std::vector<std::string> auth = {"Authorization: Bearer sys-admin-token",
                                         "Content-Type: application/json"};

  child_process worker(
      binary,
      {"worker", "--id", "w1", "--redis", redis.url(), "--bind", "tcp://127.0.0.1:0", "--store",
       store, "--admin-http", "127.0.0.1:0", "--heartbeat-ms", "200", "--heartbeat-ttl-ms", "1000",
       "--train-slots", "1"},
      (dir / "w1.log").string());
  child_process coordinator(binary,
                            {"coordinator", "--id", "c1", "--redis", redis.url(), "--store", store,
                             "--replicas", "1", "--admin-http", "127.0.0.1:0"},
                            (dir / "c1.log").string());
  child_process router(binary,
                       {"router", "--id", "r1", "--redis", redis.url(), "--http", "127.0.0.1:0",
                        "--admin-token-file", token_file, "--store", store},
                       (dir / "router.log").string());
  REQUIRE_MESSAGE(wait_until([&] { return !ready_value(router, "http").empty(); }, 20s),
                  router.log());
  const std::string base = ready_value(router, "http");

  REQUIRE(http_request("PUT", base + "/v1/tenants/t1", "", auth).status == 201);
  std::string train = R"({"algorithm":"linear_regression","data":{"features":[)";
  std::string labels;
  for (int i = 0; i < 60; ++i) {
    double a = i % 9, b = (i * 5) % 7;
    train += (i ? "," : "") + std::string("[") + std::to_string(a) + "," + std::to_string(b) + "]";
    labels += (i ? "," : "") + std::to_string(2 * a + b);
  }
  train += "],\"labels\":[" + labels + "]},\"activate\":\"always\"}";
  auto queued = http_request("POST", base + "/v1/tenants/t1/models/m/train", train, auth);
  REQUIRE_MESSAGE(queued.status == 202, queued.body);
  const std::string job = json::parse(queued.body)["job_id"];
  const auto started = std::chrono::steady_clock::now();
  json status;
  const bool finished = wait_until(
      [&] {
        status = json::parse(http_request("GET", base + "/v1/jobs/" + job, "", auth).body);
        auto s = status.value("status", "");
        return s == "succeeded" || s == "failed" || s == "cancelled";
      },
      60s, 100ms);
  MESSAGE("job " << job << " ended " << status.dump() << " after "
                 << std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::steady_clock::now() - started)
                        .count()
                 << " ms");
  REQUIRE_MESSAGE(finished, std::string(coordinator.log() + worker.log()));
  REQUIRE(status["status"] == "succeeded");
  CHECK(status["version"] == 1);
  auto model = json::parse(http_request("GET", base + "/v1/tenants/t1/models/m", "", auth).body);
  CHECK(model["active_version"] == 1);

  http_result pred;
  REQUIRE_MESSAGE(wait_until(
                      [&] {
                        pred = http_request("POST", base + "/v1/tenants/t1/models/m/predict",
                                            R"({"instances":[[1,1]]})", auth);
                        return pred.status == 200;
                      },
                      30s, 100ms),
                  pred.body);
  auto pj = json::parse(pred.body);
  CHECK(pj["version"] == 1);
  CHECK(pj["predictions"][0].get<double>() == doctest::Approx(3.0).epsilon(0.05));

  CHECK(router.stop() == 0);
  coordinator.stop();
  worker.stop();
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}
