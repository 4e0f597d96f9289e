// state_watcher: keeps the predict forwarder's placement cache fresh: loads placement + nodes
// at start, reloads on Redis events (placement, drain, node changes) and every resync period,
// and heartbeats this router's own node record. Owns one thread with its own Redis
// connections; start/stop from the controlling thread.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "actors/router/predict_forwarder.hpp"
#include "cluster/records.hpp"

namespace mf::router {

struct watcher_options {
  std::string redis_url;
  std::string key_prefix = "mf:";
  std::chrono::milliseconds resync_every{1000};
  mf::cluster::node_record self;  // heartbeated with role "router"
  std::int64_t heartbeat_ttl_ms = 3000;
};

class state_watcher {
 public:
  state_watcher(watcher_options options, predict_forwarder& forwarder);
  ~state_watcher();
  // Loads the state once (so the router is useful as soon as it says ready); an error means
  // Redis was not reachable, but the watcher keeps trying in the background.
  mf::expected<void> start();

 private:
  void run();
  mf::expected<void> refresh();

  watcher_options options_;
  predict_forwarder& forwarder_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
  struct conn;
  std::unique_ptr<conn> conn_;
};

}  // namespace mf::router
