#include "actors/router/zmq_socket_watch.hpp"

#include <asio/io_context.hpp>
#include <asio/posix/stream_descriptor.hpp>
#include <asio/post.hpp>
#include <system_error>

namespace mf::router {

struct zmq_socket_watch::state : std::enable_shared_from_this<state> {
  state(asio::io_context& context, zmq::socket_t& s, std::function<void()> callback)
      : io(context),
        socket(s),
        on_readable(std::move(callback)),
        fd(context, s.get(zmq::sockopt::fd)) {}

  asio::io_context& io;
  zmq::socket_t& socket;
  std::function<void()> on_readable;
  asio::posix::stream_descriptor fd;
  bool closed = false;
  bool waiting = false;      // an async_wait is pending
  bool pump_posted = false;  // a pump is queued on the loop (at most one)

  bool readable() {
    try {
      return (socket.get(zmq::sockopt::events) & ZMQ_POLLIN) != 0;
    } catch (...) {
      return false;  // a closed context: nothing more will come
    }
  }

  // One bounded batch, then the loop again if more is waiting (other sockets and HTTP
  // connections get their turn); otherwise wait for the next signal. The check before the batch
  // stays even when the descriptor fired: ZMQ_FD also signals commands that bring no message
  // (connection events, pipe activation after sends), and the callback must not run for those.
  void pump() {
    if (closed) return;
    if (readable()) {
      try {
        on_readable();
      } catch (...) {
        // A callback must not take the loop down; the next signal retries.
      }
      if (closed) return;
      if (readable()) return post_pump();
    }
    arm();
  }

  void post_pump() {
    if (pump_posted || closed) return;
    pump_posted = true;
    asio::post(io, [self = shared_from_this()] {
      self->pump_posted = false;
      self->pump();
    });
  }

  void arm() {
    if (waiting || closed) return;
    waiting = true;
    fd.async_wait(asio::posix::descriptor_base::wait_read,
                  [self = shared_from_this()](const std::error_code& ec) {
                    self->waiting = false;
                    if (self->closed || ec) return;
                    self->pump();
                  });
  }
};

zmq_socket_watch::zmq_socket_watch(asio::io_context& io, zmq::socket_t& socket,
                                   std::function<void()> on_readable)
    : state_(std::make_shared<state>(io, socket, std::move(on_readable))) {
  // Not drained inline: the owner may still be wiring the socket into its tables.
  state_->post_pump();
}

zmq_socket_watch::~zmq_socket_watch() {
  state_->closed = true;
  // The descriptor is ZeroMQ's: release it (this also aborts the pending wait), never close it.
  (void)state_->fd.release();
}

void zmq_socket_watch::sent() {
  state_->post_pump();
}

void zmq_socket_watch::poke() {
  state_->pump();
}

}  // namespace mf::router
