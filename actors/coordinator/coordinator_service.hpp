// coordinator_service: runs the coordinator role: a control thread (lease, placement manager,
// job scheduler, retention, heartbeat) and an event thread (Redis pub/sub wake-ups).
// Thread-safe: start()/stop() from the owner thread; accessors are atomics.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "actors/coordinator/coordinator_config.hpp"
#include "actors/coordinator/coordinator_metrics.hpp"
#include "common/expected.hpp"

namespace mf::coordinator {

class coordinator_service {
 public:
  coordinator_service(coordinator_config config, coordinator_metrics& metrics);
  ~coordinator_service();
  coordinator_service(const coordinator_service&) = delete;
  coordinator_service& operator=(const coordinator_service&) = delete;

  // Connects to Redis and the blob store, then starts the threads. Errors: the store spec or
  // the Redis URL is invalid (a Redis that is merely down is retried in the background).
  mf::expected<void> start();
  // Stops the threads and releases the lease (a standby takes over at once).
  void stop();

  // Published in the coordinator's node record.
  void set_admin_address(std::string address);
  bool is_leader() const noexcept { return metrics_.leader.load(); }
  bool redis_ok() const noexcept { return redis_ok_.load(); }

 private:
  void control_loop();
  void event_loop();

  coordinator_config config_;
  coordinator_metrics& metrics_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> redis_ok_{false};
  std::atomic<bool> wake_jobs_{false};
  std::atomic<bool> wake_placement_{false};
  std::mutex admin_mutex_;
  std::mutex cancels_mutex_;
  std::vector<std::string> cancels_;  // job ids from job_cancel events, for the control loop
  std::string admin_address_;
  std::thread control_;
  std::thread events_;
};

}  // namespace mf::coordinator
