// chaos_cluster: starts real processes with short heartbeats (200 ms beat, 1 s TTL) so that
// faults are detected within the figures the issue targets.
#include "tests/chaos/chaos_cluster.hpp"

#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "ml/ml.hpp"
#include "tests/support/wait_until.hpp"

namespace mf::chaos {
namespace {

using namespace std::chrono_literals;
const std::string binary = MF_BINARY_DIR "/nodes/modelfleet";

std::string tail(const std::string& s, std::size_t n = 3000) {
  return s.size() <= n ? s : s.substr(s.size() - n);
}

}  // namespace

double time_scale() {
  const char* v = std::getenv("MODELFLEET_TIME_SCALE");
  if (!v || !*v) return 1.0;
  const double x = std::atof(v);
  return x >= 1.0 ? x : 1.0;
}

std::chrono::milliseconds scaled(std::chrono::milliseconds bound) {
  return std::chrono::milliseconds(
      static_cast<std::int64_t>(static_cast<double>(bound.count()) * time_scale()));
}

std::string ready_value(const mf::test::child_process& p, const std::string& key) {
  const std::string log = p.log();
  const auto ready = log.find(" ready ");
  if (ready == std::string::npos) return "";
  const auto line_end = log.find('\n', ready);
  const std::string line = log.substr(ready, line_end - ready);
  const auto k = line.find(" " + key + "=");
  if (k == std::string::npos) return "";
  const auto start = k + key.size() + 2;
  const auto end = line.find(' ', start);
  return line.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

served_versions check_served_version(http_client& client, const std::string& url,
                                     const std::vector<std::string>& headers, std::int64_t expected,
                                     int n) {
  served_versions out;
  for (int i = 0; i < n; ++i) {
    const auto r = client.request("POST", url, R"({"instances":[[1,1]]})", headers);
    if (r.status != 200) {
      ++out.failed;
      continue;
    }
    if (nlohmann::json::parse(r.body).value("version", std::int64_t{-1}) != expected) ++out.stale;
  }
  return out;
}

std::string small_artifact() {
  mf::ml::dataset d;
  d.n_features = 2;
  for (int i = 0; i < 80; ++i) {
    const double a = i % 9, b = (i * 5) % 7;
    d.features.insert(d.features.end(), {a, b});
    d.labels.push_back(2 * a + b);
  }
  auto t = mf::ml::train("linear_regression", {}, d, {});
  REQUIRE(t.has_value());
  return mf::ml::serialize_artifact(*t->model);
}

chaos_cluster::chaos_cluster(cluster_options options) : options_(std::move(options)) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("mf_chaos_" + options_.name + "_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir / "blobs");
  dir_ = dir.string();
  store_ = "fs:" + (dir / "blobs").string();
  token_ = "chaos-admin-token-" + std::to_string(::getpid());
  std::ofstream(dir / "admin.token") << token_ << "\n";
  redis_ = std::make_unique<mf::test::redis_server_fixture>(options_.redis);
  for (int i = 1; i <= options_.coordinators; ++i) start_coordinator("c" + std::to_string(i));
  for (int i = 1; i <= options_.workers; ++i) start_worker("w" + std::to_string(i));
  if (options_.start_router) {
    std::vector<std::string> args = {"router",
                                     "--id",
                                     "r1",
                                     "--redis",
                                     redis_->url(),
                                     "--http",
                                     "127.0.0.1:0",
                                     "--front",
                                     "tcp://127.0.0.1:*",
                                     "--admin-token-file",
                                     dir_ + "/admin.token",
                                     "--store",
                                     store_};
    args.insert(args.end(), options_.router_args.begin(), options_.router_args.end());
    router_ = std::make_unique<mf::test::child_process>(binary, args, dir_ + "/router.log");
    REQUIRE_MESSAGE(
        mf::test::wait_until([&] { return !ready_value(*router_, "http").empty(); }, 20s),
        router_->log());
    base_ = ready_value(*router_, "http");
    front_ = ready_value(*router_, "front");
    REQUIRE_MESSAGE(mf::test::wait_until(
                        [&] { return http_request("GET", base_ + "/readyz").status == 200; }, 20s),
                    logs());
  }
}

chaos_cluster::~chaos_cluster() {
  if (router_) router_->stop(1000ms);
  for (auto& [id, w] : workers_) w->stop(1000ms);
  for (auto& [id, c] : coordinators_) c->stop(1000ms);
  redis_.reset();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

std::vector<std::string> chaos_cluster::admin_headers(const std::string& content_type) const {
  return {"Authorization: Bearer " + token_, "Content-Type: " + content_type};
}

mf::test::child_process& chaos_cluster::start_worker(const std::string& id,
                                                     const std::vector<std::string>& extra) {
  std::vector<std::string> args = {"worker",
                                   "--id",
                                   id,
                                   "--redis",
                                   redis_->url(),
                                   "--bind",
                                   "tcp://127.0.0.1:0",
                                   "--store",
                                   store_,
                                   "--admin-http",
                                   "127.0.0.1:0",
                                   "--heartbeat-ms",
                                   "200",
                                   "--heartbeat-ttl-ms",
                                   "1000",
                                   "--train-slots",
                                   std::to_string(options_.train_slots),
                                   "--memory-budget",
                                   options_.memory_budget,
                                   "--threads",
                                   "2"};
  args.insert(args.end(), options_.worker_args.begin(), options_.worker_args.end());
  args.insert(args.end(), extra.begin(), extra.end());
  auto& slot = workers_[id];
  slot.reset();  // a restarted id: the old process object is gone first
  slot = std::make_unique<mf::test::child_process>(binary, args, dir_ + "/" + id + ".log");
  REQUIRE_MESSAGE(mf::test::wait_until([&] { return !ready_value(*slot, "zmq").empty(); }, 20s),
                  slot->log());
  return *slot;
}

void chaos_cluster::kill_worker(const std::string& id, int sig) {
  workers_.at(id)->signal(sig);
}

std::string chaos_cluster::worker_admin(const std::string& id) const {
  return ready_value(*workers_.at(id), "admin");
}

mf::test::child_process& chaos_cluster::start_coordinator(const std::string& id) {
  std::vector<std::string> args = {"coordinator",
                                   "--id",
                                   id,
                                   "--redis",
                                   redis_->url(),
                                   "--store",
                                   store_,
                                   "--replicas",
                                   std::to_string(options_.replicas),
                                   "--lease-ttl-ms",
                                   "1500",
                                   "--renew-interval-ms",
                                   "300",
                                   "--placement-interval-ms",
                                   "200",
                                   "--move-grace-ms",
                                   "1000",
                                   "--admin-http",
                                   "127.0.0.1:0"};
  auto& slot = coordinators_[id];
  slot.reset();
  slot = std::make_unique<mf::test::child_process>(binary, args, dir_ + "/" + id + ".log");
  REQUIRE_MESSAGE(mf::test::wait_until([&] { return !ready_value(*slot, "admin").empty(); }, 20s),
                  slot->log());
  return *slot;
}

std::string chaos_cluster::coordinator_admin(const std::string& id) const {
  return ready_value(*coordinators_.at(id), "admin");
}

std::string chaos_cluster::create_tenant(const std::string& tenant) {
  const auto r = http_request("PUT", base_ + "/v1/tenants/" + tenant, "", admin_headers());
  REQUIRE_MESSAGE(r.status == 201, r.status << " " << r.body);
  return nlohmann::json::parse(r.body).at("api_key").get<std::string>();
}

long chaos_cluster::upload_model(const std::string& tenant, const std::string& model,
                                 const std::string& artifact) {
  const auto r = http_request(
      "POST", base_ + "/v1/tenants/" + tenant + "/models/" + model + "/versions?activate=always",
      artifact, admin_headers("application/octet-stream"));
  REQUIRE_MESSAGE(r.status == 201, r.status << " " << r.body);
  return nlohmann::json::parse(r.body).at("version").get<long>();
}

std::vector<std::string> chaos_cluster::placement(const std::string& tenant) {
  const auto r =
      http_request("GET", base_ + "/v1/cluster/placement?tenant=" + tenant, "", admin_headers());
  std::vector<std::string> out;
  if (r.status != 200) return out;
  try {
    const auto j = nlohmann::json::parse(r.body);
    if (j.contains("tenants") && j["tenants"].contains(tenant))
      for (const auto& w : j["tenants"][tenant]) out.push_back(w.get<std::string>());
  } catch (...) {
  }
  return out;
}

long chaos_cluster::placement_epoch() {
  const auto r = http_request("GET", base_ + "/v1/cluster/placement", "", admin_headers());
  if (r.status != 200) return -1;
  try {
    return nlohmann::json::parse(r.body).value("epoch", -1L);
  } catch (...) {
    return -1;
  }
}

std::string chaos_cluster::predict_url(const std::string& tenant, const std::string& model) const {
  return base_ + "/v1/tenants/" + tenant + "/models/" + model + "/predict";
}

bool chaos_cluster::wait_predict_ok(const std::string& tenant, const std::string& model,
                                    std::chrono::milliseconds timeout, const std::string& body) {
  http_client c;
  return mf::test::wait_until(
      [&] {
        return c.request("POST", predict_url(tenant, model), body, admin_headers()).status == 200;
      },
      timeout, 50ms);
}

std::string chaos_cluster::logs() const {
  std::ostringstream out;
  if (router_) out << "--- router\n" << tail(router_->log()) << "\n";
  for (const auto& [id, c] : coordinators_) out << "--- " << id << "\n" << tail(c->log()) << "\n";
  for (const auto& [id, w] : workers_) out << "--- " << id << "\n" << tail(w->log()) << "\n";
  return out.str();
}

}  // namespace mf::chaos
