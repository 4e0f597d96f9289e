// zmq_echo_server: a ROUTER on a loopback port that answers every request with a fixed reply
// frame — the far end of the raw ZeroMQ round-trip ceiling (`modelfleet bench --zmq-ceiling`).
// Owns one thread; start() and the destructor are called from the same thread.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include <zmq.hpp>

#include "common/expected.hpp"

namespace mf::bench {

class zmq_echo_server {
 public:
  // Binds tcp://127.0.0.1:<free port>; every [id][empty][request] is answered
  // [id][empty][copy of reply].
  static mf::expected<std::unique_ptr<zmq_echo_server>> start(std::string reply);
  ~zmq_echo_server();

  const std::string& endpoint() const noexcept { return endpoint_; }
  std::uint64_t served() const noexcept { return served_.load(std::memory_order_relaxed); }

 private:
  zmq_echo_server() = default;
  void serve();

  zmq::context_t context_{1};
  zmq::socket_t socket_;
  std::string endpoint_;
  std::string reply_;
  std::atomic<bool> stop_{false};
  std::atomic<std::uint64_t> served_{0};
  std::thread thread_;
};

}  // namespace mf::bench
