// zmq_relay: a ROUTER (front) / DEALER (back) pair joined by libzmq's own zmq_proxy, on a
// loopback port of its own — the far end of the two-hop raw ceiling (`modelfleet bench
// --zmq-ceiling --zmq-relay`). It is what a router in the path costs when it does no work at all:
// every frame crosses one more pair of sockets, one more I/O thread and the kernel twice more.
// Owns one thread and its own ZeroMQ context (one I/O thread), like a router process; start()
// and the destructor are called from the same thread.
#pragma once

#include <memory>
#include <string>
#include <thread>

#include <zmq.hpp>

#include "common/expected.hpp"

namespace mf::bench {

class zmq_relay {
 public:
  // Binds tcp://127.0.0.1:<free port> and connects its DEALER to `backend`.
  static mf::expected<std::unique_ptr<zmq_relay>> start(const std::string& backend);
  ~zmq_relay();

  const std::string& endpoint() const noexcept { return endpoint_; }

 private:
  zmq_relay() = default;

  zmq::context_t context_{1};
  zmq::socket_t front_, back_;
  zmq::socket_t control_;        // the proxy's end of the inproc control pair
  zmq::socket_t control_owner_;  // ours: "TERMINATE" ends the proxy
  std::string endpoint_;
  std::thread thread_;
};

}  // namespace mf::bench
