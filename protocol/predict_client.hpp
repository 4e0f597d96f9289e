// predict_client: a small synchronous client of the ZeroMQ front door (or of a worker), for
// tools, tests and benchmarks. Not thread-safe: one thread uses a client at a time.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include <zmq.hpp>

#include "common/expected.hpp"
#include "protocol/messages.hpp"
#include "protocol/socket.hpp"

namespace mf::protocol {

class predict_client {
 public:
  // Owns its own zmq context (one I/O thread), or shares `context`, which must outlive it.
  static mf::expected<predict_client> create(socket_policy policy = socket_policy::client_dealer());
  static mf::expected<predict_client> create(zmq::context_t& context,
                                             socket_policy policy = socket_policy::client_dealer());

  // Connects the DEALER (e.g. "tcp://127.0.0.1:7000"). May be called for several endpoints:
  // ZeroMQ then spreads requests over them round-robin.
  mf::expected<void> connect(const std::string& endpoint) noexcept;

  // One request, one reply. A request_id of 0 is replaced by the client's next id; a deadline
  // of 0 becomes now + timeout so the server can drop work nobody waits for. Replies to earlier
  // requests (that timed out) are skipped. A reply carrying an error is returned as that error.
  mf::expected<predict_reply> predict(predict_request request,
                                      std::chrono::milliseconds timeout) noexcept;

  // Pipelined mode: send many, then receive replies in any order and match them by
  // request_id. send() returns the request id used; receive() returns server-side failures as
  // a reply with `error` set (so the caller knows which request failed).
  mf::expected<std::uint64_t> send(predict_request request) noexcept;
  mf::expected<predict_reply> receive(std::chrono::milliseconds timeout) noexcept;

  predict_client(predict_client&&) noexcept = default;
  // Closes this client's socket before its context can go away (zmq_ctx_term would wait).
  predict_client& operator=(predict_client&& other) noexcept;
  ~predict_client() = default;

 private:
  predict_client() = default;

  // Declared before socket_ so the socket closes before an owned context terminates.
  std::unique_ptr<zmq::context_t> owned_context_;
  zmq::socket_t socket_;
  std::uint64_t next_request_id_ = 1;
  decode_limits limits_;
};

}  // namespace mf::protocol
