// worker_links: the coordinator's ZeroMQ DEALER sockets, one per worker (connected to the
// worker's ROUTER endpoint from its node record). Not thread-safe: owned by the control loop.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <zmq.hpp>

#include "common/expected.hpp"
#include "protocol/curve.hpp"
#include "protocol/messages.hpp"

namespace mf::coordinator {

struct inbound_message {
  std::string node;  // worker the message came from
  protocol::envelope message;
};

class worker_links {
 public:
  // With `curve`, every DEALER is a CURVE client holding the cluster key.
  explicit worker_links(std::string sender_id,
                        std::optional<protocol::curve_keys> curve = std::nullopt);
  ~worker_links();
  worker_links(const worker_links&) = delete;
  worker_links& operator=(const worker_links&) = delete;

  // Sends to `node` at `address`, (re)connecting if the address changed. Waits at most `wait`
  // for a connection still being made (0: one try); a full or unreachable peer is
  // errc::unavailable (the caller re-queues or retries).
  mf::expected<void> send(const std::string& node, const std::string& address,
                          const protocol::envelope& message,
                          std::chrono::milliseconds wait = std::chrono::milliseconds(500));
  // Waits up to `timeout` for frames on every socket and returns all that decoded; garbage is
  // logged and dropped.
  std::vector<inbound_message> poll(std::chrono::milliseconds timeout);
  // Closes the socket of a worker that left.
  void drop(const std::string& node);
  const std::string& sender_id() const noexcept { return sender_id_; }

 private:
  struct link {
    std::string address;
    std::unique_ptr<zmq::socket_t> socket;
  };

  std::string sender_id_;
  std::optional<protocol::curve_keys> curve_;
  zmq::context_t context_{1};
  std::map<std::string, link> links_;
};

}  // namespace mf::coordinator
