// zmq_socket_watch: runs a callback on an asio io_context whenever a ZeroMQ socket may have
// messages to read, by waiting on its ZMQ_FD. This is what lets the router's predict path live
// on the HTTP thread's event loop instead of a thread of its own (why: every hand-off between
// the HTTP thread and a forwarder thread was a wake-up, twice per request; docs/benchmarks.md).
//
// ZMQ_FD is edge-like: it signals that ZMQ_EVENTS may have changed, not that a message is
// there, and a send (or reading ZMQ_EVENTS) can consume the signal while messages wait. So the
// rules, all kept here: drain until ZMQ_EVENTS has no POLLIN before waiting again, and after
// sending on the socket call `sent()` so a message that arrived meanwhile is not left behind.
// asio's epoll reactor is edge-triggered and does not remember an edge that came while no wait
// was pending; that is safe only because the io_context is run by exactly one thread (the check
// and the re-arm happen in one handler, before the next epoll_wait). Owners guarantee that.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>

#include <zmq.hpp>

namespace asio {
class io_context;
}

namespace mf::router {

class zmq_socket_watch {
 public:
  // `on_readable` reads at most a bounded batch of messages (it must not block); the watch
  // calls it again, after other handlers had a turn, while POLLIN stays set.
  zmq_socket_watch(asio::io_context& io, zmq::socket_t& socket, std::function<void()> on_readable);
  // Stops watching; the socket itself is the owner's and may be closed afterwards.
  ~zmq_socket_watch();
  zmq_socket_watch(const zmq_socket_watch&) = delete;
  zmq_socket_watch& operator=(const zmq_socket_watch&) = delete;

  // Call on the loop thread after each send on the socket (cheap: the check itself runs once
  // per loop turn, however many sends there were).
  void sent();
  // Drains now if POLLIN is set (a safety net run by the owner's periodic tick).
  void poke();

  struct state;

 private:
  std::shared_ptr<state> state_;  // shared with pending handlers, which see `closed`
};

}  // namespace mf::router
