// worker_socket: the worker's ZeroMQ ROUTER and the one thread that owns it.
// Thread-safe: send() may be called from any thread; run()/stop() drive the socket thread.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <zmq.hpp>

#include "actors/reply_sink.hpp"
#include "actors/worker_metrics.hpp"
#include "common/expected.hpp"
#include "protocol/curve.hpp"
#include "protocol/messages.hpp"

namespace mf::nodes {

// The socket thread never waits on model work: requests are handed to actors by `dispatch`
// (which must not block), and replies come back through a mutex-protected queue plus an
// eventfd that wakes zmq_poll. Encoding happens on the replying (actor) thread.
class worker_socket final : public mf::actors::reply_sink {
 public:
  // Called on the socket thread for every decoded envelope; must hand work off, not do it.
  using dispatch_fn = std::function<void(const std::string& identity, mf::protocol::envelope&&)>;

  // Binds a ROUTER at `endpoint` ("tcp://127.0.0.1:0" picks a free port). With `curve`, the
  // ROUTER is a CURVE server and a ZAP handler admits only holders of that cluster key.
  static mf::expected<std::shared_ptr<worker_socket>> bind(
      const std::string& endpoint, std::shared_ptr<mf::actors::worker_metrics> metrics,
      std::string node_id, const mf::protocol::curve_keys* curve = nullptr);
  ~worker_socket() override;

  // The real endpoint (ZMQ_LAST_ENDPOINT), e.g. tcp://127.0.0.1:41234.
  const std::string& endpoint() const { return endpoint_; }

  // The socket loop; returns after stop(). Call from exactly one thread.
  void run(dispatch_fn dispatch);
  void stop();

  void send(const std::string& route, mf::protocol::envelope message) override;
  // Sends at once on the socket. Socket thread only (e.g. from `dispatch`): the fast path for
  // replies computed there, without the reply queue and its eventfd wake.
  void send_now(const std::string& route, mf::protocol::envelope message);

 private:
  worker_socket() = default;
  void wake();
  void flush_replies();
  void handle_incoming(const dispatch_fn& dispatch);

  zmq::context_t context_{1};
  // Declared after context_: stopped (its ZAP socket closed) before the context terminates.
  std::unique_ptr<mf::protocol::curve_authenticator> zap_;
  zmq::socket_t socket_;
  std::string endpoint_;
  std::string node_id_;
  int wake_fd_ = -1;
  std::atomic<bool> stop_{false};
  std::shared_ptr<mf::actors::worker_metrics> metrics_;
  std::mutex mutex_;
  std::vector<std::pair<std::string, zmq::message_t>> replies_;
  std::vector<std::pair<std::string, zmq::message_t>> flushing_;  // socket thread only
};

}  // namespace mf::nodes
