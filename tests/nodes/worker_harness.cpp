#include "tests/nodes/worker_harness.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <random>
#include <regex>

#include "tests/support/wait_until.hpp"

namespace mf::test {

using namespace std::chrono_literals;

mf::ml::dataset blobs_dataset(std::size_t rows, bool flip, std::uint64_t seed) {
  mf::ml::dataset d;
  d.n_features = 2;
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> noise(0, 0.4);
  for (std::size_t i = 0; i < rows; ++i) {
    double cls = static_cast<double>(i % 2);
    d.features.push_back(cls * 3 + noise(rng));
    d.features.push_back(cls * 3 + noise(rng));
    d.labels.push_back(flip ? 1 - cls : cls);
  }
  return d;
}

std::shared_ptr<const mf::ml::model> train_model(const std::string& algorithm,
                                                 const mf::ml::dataset& data,
                                                 mf::ml::params params) {
  auto t = mf::ml::train(algorithm, params, data, {});
  REQUIRE_MESSAGE(t, "training failed: " << t.error().message);
  return t->model;
}

std::pair<int, std::string> http_get(const std::string& base_url, const std::string& path) {
  auto colon = base_url.rfind(':');
  int port = std::atoi(base_url.c_str() + colon + 1);
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  ::inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return {0, ""};
  }
  std::string req = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  (void)::send(fd, req.data(), req.size(), MSG_NOSIGNAL);
  std::string resp;
  char buf[4096];
  for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;)
    resp.append(buf, static_cast<std::size_t>(n));
  ::close(fd);
  if (resp.size() < 12) return {0, ""};
  auto body = resp.find("\r\n\r\n");
  return {std::atoi(resp.c_str() + 9), body == std::string::npos ? "" : resp.substr(body + 4)};
}

std::optional<double> metric_value(const std::string& text, const std::string& name) {
  std::size_t pos = 0;
  while ((pos = text.find(name, pos)) != std::string::npos) {
    bool line_start = pos == 0 || text[pos - 1] == '\n';
    auto after = pos + name.size();
    if (line_start && after < text.size() && (text[after] == '{' || text[after] == ' ')) {
      auto eol = text.find('\n', after);
      auto sp = text.rfind(' ', eol);
      return std::stod(text.substr(sp + 1, eol - sp - 1));
    }
    pos = after;
  }
  return std::nullopt;
}

worker_harness::worker_harness(std::string node) : node_(std::move(node)) {
  redis_ = std::make_unique<redis_server_fixture>();
  blob_root_ = redis_->data_dir() + "/blobs";
  std::filesystem::create_directories(blob_root_);
  auto reg = mf::cluster::redis_registry::connect(redis_->url());
  REQUIRE(reg);
  registry_ = std::make_unique<mf::cluster::redis_registry>(std::move(*reg));
  auto blobs = mf::cluster::make_blob_store("fs:" + blob_root_);
  REQUIRE(blobs);
  blobs_ = std::move(*blobs);
}

worker_harness::~worker_harness() {
  if (worker_) worker_->stop(std::chrono::milliseconds(5000));
}

std::int64_t worker_harness::publish(const std::string& tenant, const std::string& model,
                                     const mf::ml::model& m, bool activate) {
  if (!registry_->get_tenant(tenant)) REQUIRE(registry_->create_tenant(tenant));
  auto v = registry_->reserve_version_id(tenant, model);
  REQUIRE(v);
  std::string bytes = mf::ml::serialize_artifact(m);
  REQUIRE(blobs_->put({tenant, model, *v}, bytes));
  mf::cluster::version_record rec;
  rec.version = *v;
  rec.algorithm = std::string(m.algorithm());
  rec.n_features = static_cast<std::int64_t>(m.n_features());
  rec.size_bytes = static_cast<std::int64_t>(bytes.size());
  rec.sha256 = mf::ml::sha256_hex(bytes);
  rec.source = "upload";
  REQUIRE(registry_->publish_version(tenant, model, rec, activate, "upload", "admin"));
  return *v;
}

void worker_harness::place(const std::vector<std::string>& tenants) {
  mf::cluster::placement p;
  p.epoch = ++epoch_;
  p.replicas = 1;
  for (const auto& t : tenants) p.tenants[t] = {node_};
  REQUIRE(registry_->put_placement(p));
}

void worker_harness::start(std::vector<std::string> extra) {
  std::vector<std::string> args{"worker",
                                "--id",
                                node_,
                                "--redis",
                                redis_->url(),
                                "--bind",
                                "tcp://127.0.0.1:0",
                                "--store",
                                "fs:" + blob_root_,
                                "--admin-http",
                                "127.0.0.1:0",
                                "--heartbeat-ms",
                                "200"};
  if (std::find(extra.begin(), extra.end(), "--memory-budget") == extra.end())
    extra.insert(extra.end(), {"--memory-budget", "256MiB"});
  for (auto& e : extra) args.push_back(std::move(e));
  worker_ = std::make_unique<child_process>(MF_BINARY_DIR "/nodes/modelfleet", args,
                                            redis_->data_dir() + "/worker-" + node_ + ".log");
  std::smatch m;
  std::regex ready("ready zmq=(\\S+) admin=(\\S+)");
  std::string log;
  REQUIRE_MESSAGE(wait_until(
                      [&] {
                        log = worker_->log();
                        return std::regex_search(log, m, ready);
                      },
                      15s),
                  "worker did not start: " << worker_->log());
  zmq_ = m[1];
  admin_ = m[2];
}

mf::protocol::predict_client worker_harness::client() {
  auto c = mf::protocol::predict_client::create();
  REQUIRE(c);
  REQUIRE(c->connect(zmq_));
  return std::move(*c);
}

}  // namespace mf::test
