// chaos_cluster: a whole ModelFleet cluster of real processes for fault tests — redis-server,
// coordinator(s), one router and N workers on free loopback ports in a temp dir — plus REST
// helpers to seed tenants and models. Not thread-safe (drive it from the test thread).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tests/chaos/http.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/redis_server_fixture.hpp"

namespace mf::chaos {

struct cluster_options {
  std::string name = "cluster";  // temp dir and log names
  int workers = 2;
  int replicas = 2;
  std::string memory_budget = "256MiB";
  int train_slots = 0;
  int coordinators = 1;
  bool start_router = true;
  mf::test::redis_server_options redis;
  std::vector<std::string> router_args;  // extra flags
  std::vector<std::string> worker_args;  // extra flags
};

// The value of key=... on the first " ready " line of a process log, or "".
std::string ready_value(const mf::test::child_process& p, const std::string& key);

// MODELFLEET_TIME_SCALE (default 1, at least 1): ops/test sets it for the ASan+UBSan run, where
// everything is several times slower. Tests multiply their time bounds by it (and may shrink
// their work by it) rather than weakening what they assert.
double time_scale();
std::chrono::milliseconds scaled(std::chrono::milliseconds bound);

// Sends `n` predictions of one row [1,1] to `url` one by one and counts the answers that are not
// 200 (failed) and the 200s served by another version than `expected` (stale).
struct served_versions {
  std::size_t stale = 0, failed = 0;
};
served_versions check_served_version(http_client& client, const std::string& url,
                                     const std::vector<std::string>& headers, std::int64_t expected,
                                     int n);

// A tiny linear-regression artifact (2 features, y = 2a + b) made with mf_ml.
std::string small_artifact();

class chaos_cluster {
 public:
  explicit chaos_cluster(cluster_options options);
  ~chaos_cluster();
  chaos_cluster(const chaos_cluster&) = delete;
  chaos_cluster& operator=(const chaos_cluster&) = delete;

  mf::test::redis_server_fixture& redis() { return *redis_; }
  const std::string& dir() const { return dir_; }
  const std::string& store() const { return store_; }
  const std::string& base() const { return base_; }    // router http://host:port
  const std::string& front() const { return front_; }  // router front door endpoint
  const std::string& admin_token() const { return token_; }
  std::vector<std::string> admin_headers(
      const std::string& content_type = "application/json") const;

  // Workers are "w1".."wN" at start; more can be added. start_worker waits for its ready line.
  mf::test::child_process& start_worker(const std::string& id,
                                        const std::vector<std::string>& extra = {});
  mf::test::child_process& worker(const std::string& id) { return *workers_.at(id); }
  void kill_worker(const std::string& id, int sig = 9);
  std::string worker_admin(const std::string& id) const;
  mf::test::child_process& start_coordinator(const std::string& id);
  mf::test::child_process& coordinator(const std::string& id) { return *coordinators_.at(id); }
  std::string coordinator_admin(const std::string& id) const;
  mf::test::child_process& router() { return *router_; }

  // REST (admin token). Each REQUIREs success.
  std::string create_tenant(const std::string& tenant);  // returns the tenant's API key
  long upload_model(const std::string& tenant, const std::string& model,
                    const std::string& artifact);  // activate=always; returns the version
  // Workers the current placement lists for `tenant` (GET /v1/cluster/placement?tenant=).
  std::vector<std::string> placement(const std::string& tenant);
  long placement_epoch();
  // Waits until a predict for tenant/model answers 200.
  bool wait_predict_ok(const std::string& tenant, const std::string& model,
                       std::chrono::milliseconds timeout,
                       const std::string& body = R"({"instances":[[1,1]]})");
  std::string predict_url(const std::string& tenant, const std::string& model) const;
  // Dumps the tail of every process log (for failure messages).
  std::string logs() const;

 private:
  cluster_options options_;
  std::string dir_, store_, token_, base_, front_;
  std::unique_ptr<mf::test::redis_server_fixture> redis_;
  std::map<std::string, std::unique_ptr<mf::test::child_process>> coordinators_;
  std::map<std::string, std::unique_ptr<mf::test::child_process>> workers_;
  std::unique_ptr<mf::test::child_process> router_;
};

}  // namespace mf::chaos
