// worker_harness: starts a real redis-server and a real `modelfleet worker` process, seeds the
// registry + fs blob store with trained models, and talks to the worker (ZeroMQ, admin HTTP).
// Not thread-safe: one test thread drives a harness.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cluster/blob_store.hpp"
#include "cluster/redis_registry.hpp"
#include "ml/ml.hpp"
#include "protocol/predict_client.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/redis_server_fixture.hpp"

namespace mf::test {

// A tiny 2-feature classifier dataset; `flip` swaps the labels (so two versions differ).
mf::ml::dataset blobs_dataset(std::size_t rows, bool flip, std::uint64_t seed = 1);
std::shared_ptr<const mf::ml::model> train_model(const std::string& algorithm,
                                                 const mf::ml::dataset& data,
                                                 mf::ml::params params = {});

// Minimal HTTP GET on 127.0.0.1 (status code, body); status 0 if the connection failed.
std::pair<int, std::string> http_get(const std::string& base_url, const std::string& path);
// A sample value from Prometheus text ("name{...} value"); nullopt if absent.
std::optional<double> metric_value(const std::string& text, const std::string& name);

class worker_harness {
 public:
  explicit worker_harness(std::string node = "w1");
  ~worker_harness();

  mf::cluster::redis_registry& registry() { return *registry_; }
  mf::cluster::blob_store& blobs() { return *blobs_; }
  const std::string& blob_root() const { return blob_root_; }
  redis_server_fixture& redis() { return *redis_; }

  // Stores the artifact, publishes it (optionally active) and returns the version.
  std::int64_t publish(const std::string& tenant, const std::string& model, const mf::ml::model& m,
                       bool activate);
  void place(const std::vector<std::string>& tenants);  // placement: tenants -> [this node]

  // Starts the worker and waits for its ready line. Extra flags appended.
  void start(std::vector<std::string> extra_flags = {});
  child_process& process() { return *worker_; }
  const std::string& zmq_endpoint() const { return zmq_; }
  const std::string& admin_url() const { return admin_; }
  std::string metrics() { return http_get(admin_, "/metrics").second; }
  mf::protocol::predict_client client();

 private:
  std::string node_;
  std::unique_ptr<redis_server_fixture> redis_;
  std::string blob_root_;
  std::unique_ptr<mf::cluster::redis_registry> registry_;
  std::unique_ptr<mf::cluster::blob_store> blobs_;
  std::unique_ptr<child_process> worker_;
  std::string zmq_, admin_;
  std::int64_t epoch_ = 0;
};

}  // namespace mf::test
