// fake_worker: an in-test stand-in for a worker process: a ZeroMQ ROUTER that answers
// trainAssign with progress + a real mf_ml artifact written to the blob store, and a heartbeat
// thread keeping its node record alive. Thread-safe: controls are atomics.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "cluster/blob_store.hpp"

namespace mf::test {

class fake_worker {
 public:
  // redis_url/store_spec: where to heartbeat and write artifacts. train_time: how long a job
  // "runs" (progress messages in between) before the real training and result.
  fake_worker(std::string id, std::string redis_url, std::string store_spec, int slots,
              std::chrono::milliseconds train_time);
  ~fake_worker();

  // Simulates SIGKILL: heartbeats stop and nothing more is answered or written.
  void kill();
  bool killed() const { return killed_; }
  const std::string& id() const { return id_; }
  const std::string& endpoint() const { return endpoint_; }
  // Jobs this worker finished successfully / was told to cancel / was assigned.
  int completed() const { return completed_; }
  int cancels() const { return cancels_; }
  int assigned() const { return assigned_; }
  // Assignments whose rows came as a dataset blob key rather than inline.
  int dataset_reads() const { return dataset_reads_; }
  // Job ids seen in trainAssign, in order.
  std::vector<std::string> assigned_jobs() const;

 private:
  void serve();
  void heartbeat();

  std::string id_, redis_url_, store_spec_;
  int slots_;
  std::chrono::milliseconds train_time_;
  std::string endpoint_;
  std::atomic<bool> stop_{false}, killed_{false};
  std::atomic<int> completed_{0}, cancels_{0}, assigned_{0}, dataset_reads_{0};
  mutable std::mutex mutex_;
  std::vector<std::string> jobs_;
  std::thread server_, beater_;
  std::atomic<bool> ready_{false};
};

}  // namespace mf::test
