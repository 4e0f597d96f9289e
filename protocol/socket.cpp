// socket: see socket.hpp. Every zmq call sits inside a try: cppzmq throws zmq::error_t, and
// nothing may throw out of this module.
#include "protocol/socket.hpp"

#include <array>
#include <cerrno>
#include <exception>

namespace mf::protocol {
namespace {

using clock = std::chrono::steady_clock;

mf::error zmq_failure(const char* what, int errnum) {
  std::string message = std::string(what) + ": " + zmq_strerror(errnum);
  switch (errnum) {
    case EAGAIN:        // send queue at its high-water mark (or no peer for a DEALER)
    case EHOSTUNREACH:  // ROUTER_MANDATORY: the peer is not connected (any more)
    case ETERM:         // the context is shutting down
    case ENOTSOCK:
      return mf::make_error(mf::errc::unavailable, std::move(message));
    default:
      return mf::make_error(mf::errc::internal, std::move(message));
  }
}

mf::expected<void> set_int(zmq::socket_t& socket, int option, int value) {
  if (zmq_setsockopt(socket.handle(), option, &value, sizeof value) != 0) {
    return zmq_failure("setsockopt", zmq_errno());
  }
  return {};
}

mf::expected<int> socket_type(zmq::socket_t& socket) {
  int type = 0;
  std::size_t len = sizeof type;
  if (zmq_getsockopt(socket.handle(), ZMQ_TYPE, &type, &len) != 0) {
    return zmq_failure("getsockopt(ZMQ_TYPE)", zmq_errno());
  }
  return type;
}

std::string to_string(const zmq::message_t& m) {
  return std::string(static_cast<const char*>(m.data()), m.size());
}

// Sends one part without blocking; EAGAIN surfaces as an empty send_result.
mf::expected<void> send_part(zmq::socket_t& socket, zmq::message_t& part, bool more) {
  auto flags = zmq::send_flags::dontwait;
  if (more) flags = flags | zmq::send_flags::sndmore;
  auto sent = socket.send(part, flags);
  if (!sent) return zmq_failure("send", EAGAIN);
  return {};
}

}  // namespace

socket_policy socket_policy::front_door() {
  socket_policy p;
  // Many clients, bursty pipelined batches: deep queues; replies to vanished clients fail.
  p.send_hwm = 10'000;
  p.recv_hwm = 10'000;
  p.router_mandatory = true;
  return p;
}

socket_policy socket_policy::node_router() {
  socket_policy p;
  p.send_hwm = 10'000;
  p.recv_hwm = 10'000;
  p.router_mandatory = true;
  p.heartbeat_interval_ms = 1000;
  p.heartbeat_timeout_ms = 3000;
  return p;
}

socket_policy socket_policy::node_dealer(std::string node_id) {
  socket_policy p;
  p.send_hwm = 10'000;
  p.recv_hwm = 10'000;
  p.immediate = true;
  p.heartbeat_interval_ms = 1000;
  p.heartbeat_timeout_ms = 3000;
  p.routing_id = std::move(node_id);
  return p;
}

socket_policy socket_policy::client_dealer() {
  socket_policy p;
  p.send_hwm = 10'000;
  p.recv_hwm = 10'000;
  return p;
}

mf::expected<void> apply_socket_policy(zmq::socket_t& socket,
                                       const socket_policy& policy) noexcept {
  try {
    auto type = socket_type(socket);
    if (!type) return std::move(type).error();
    const std::int64_t max_size = policy.max_message_bytes;
    if (zmq_setsockopt(socket.handle(), ZMQ_MAXMSGSIZE, &max_size, sizeof max_size) != 0) {
      return zmq_failure("setsockopt(ZMQ_MAXMSGSIZE)", zmq_errno());
    }
    for (auto [option, value] :
         {std::pair{ZMQ_SNDHWM, policy.send_hwm}, std::pair{ZMQ_RCVHWM, policy.recv_hwm},
          std::pair{ZMQ_LINGER, policy.linger_ms}}) {
      if (auto r = set_int(socket, option, value); !r) return r;
    }
    if (policy.heartbeat_interval_ms > 0) {
      if (auto r = set_int(socket, ZMQ_HEARTBEAT_IVL, policy.heartbeat_interval_ms); !r) return r;
      if (auto r = set_int(socket, ZMQ_HEARTBEAT_TIMEOUT, policy.heartbeat_timeout_ms); !r)
        return r;
    }
    if (*type == ZMQ_ROUTER) {
      if (auto r = set_int(socket, ZMQ_ROUTER_MANDATORY, policy.router_mandatory ? 1 : 0); !r) {
        return r;
      }
    }
    if (*type == ZMQ_DEALER) {
      if (auto r = set_int(socket, ZMQ_IMMEDIATE, policy.immediate ? 1 : 0); !r) return r;
      if (!policy.routing_id.empty()) {
        if (zmq_setsockopt(socket.handle(), ZMQ_ROUTING_ID, policy.routing_id.data(),
                           policy.routing_id.size()) != 0) {
          return zmq_failure("setsockopt(ZMQ_ROUTING_ID)", zmq_errno());
        }
      }
    }
    return {};
  } catch (const std::exception& e) {
    return mf::make_error(mf::errc::internal, std::string("apply_socket_policy: ") + e.what());
  }
}

mf::expected<void> send_frame(zmq::socket_t& socket, std::string_view identity,
                              zmq::message_t payload) noexcept {
  try {
    auto type = socket_type(socket);
    if (!type) return std::move(type).error();
    if (*type == ZMQ_ROUTER) {
      if (identity.empty()) {
        return mf::make_error(mf::errc::internal, "send on a ROUTER needs a peer identity");
      }
      zmq::message_t id(identity.data(), identity.size());
      if (auto r = send_part(socket, id, true); !r) return r;
    } else if (*type == ZMQ_DEALER) {
      if (!identity.empty()) {
        return mf::make_error(mf::errc::internal, "a DEALER cannot address a peer identity");
      }
    } else {
      return mf::make_error(mf::errc::internal, "send_frame supports ROUTER and DEALER sockets");
    }
    // Once the first part is queued libzmq accepts the rest of the message (the high-water
    // mark counts whole messages), so a multipart message never goes out half-sent.
    zmq::message_t delimiter;
    if (auto r = send_part(socket, delimiter, true); !r) return r;
    return send_part(socket, payload, false);
  } catch (const zmq::error_t& e) {
    return zmq_failure("send", e.num());
  } catch (const std::exception& e) {
    return mf::make_error(mf::errc::internal, std::string("send: ") + e.what());
  }
}

mf::expected<void> send_envelope(zmq::socket_t& socket, std::string_view identity,
                                 const envelope& message) noexcept {
  auto frame = encode(message);
  if (!frame) return std::move(frame).error();
  return send_frame(socket, identity, std::move(*frame));
}

mf::expected<received_frame> recv_frame(zmq::socket_t& socket,
                                        std::chrono::milliseconds timeout) noexcept {
  try {
    auto type = socket_type(socket);
    if (!type) return std::move(type).error();
    if (*type != ZMQ_ROUTER && *type != ZMQ_DEALER) {
      return mf::make_error(mf::errc::internal, "recv_frame supports ROUTER and DEALER sockets");
    }
    const bool forever = timeout.count() < 0;
    const auto deadline = clock::now() + (forever ? std::chrono::milliseconds(0) : timeout);

    // At most [identity][empty][payload]: a fixed array, not a vector (one allocation per part
    // and per growth, on every frame of the hot path). Extra parts are drained and reported.
    std::array<zmq::message_t, 3> parts;
    std::size_t n_parts = 0, extra_parts = 0;
    // A zero timeout is a plain non-blocking receive (why: zmq_poll costs a poll(2) per call,
    // and event loops drain their sockets with timeout 0, once per message and once more).
    const bool just_try = timeout.count() == 0;
    while (n_parts == 0 && extra_parts == 0) {
      if (!just_try) {
        long wait_ms = -1;
        if (!forever) {
          auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - clock::now());
          wait_ms = std::max<long>(0, static_cast<long>(left.count()));
        }
        zmq_pollitem_t item{socket.handle(), 0, ZMQ_POLLIN, 0};
        const int ready = zmq_poll(&item, 1, wait_ms);
        if (ready < 0) {
          if (zmq_errno() == EINTR) continue;
          return zmq_failure("poll", zmq_errno());
        }
        if (ready == 0) {
          if (!forever && clock::now() >= deadline) {
            return mf::make_error(mf::errc::deadline_exceeded, "no message before the deadline");
          }
          continue;
        }
      }
      // A readable socket holds a whole multipart message: ZeroMQ delivers them atomically.
      for (bool more = true; more;) {
        zmq::message_t part;
        auto got = socket.recv(part, zmq::recv_flags::dontwait);
        if (!got) break;  // spurious wake-up: poll again
        more = part.more();
        if (n_parts < parts.size())
          parts[n_parts++] = std::move(part);
        else
          ++extra_parts;
      }
      if (just_try && n_parts == 0 && extra_parts == 0)
        return mf::make_error(mf::errc::deadline_exceeded, "no message waiting");
    }

    received_frame out;
    const std::size_t total = n_parts + extra_parts;
    std::size_t next = 0;
    if (*type == ZMQ_ROUTER && n_parts > 0) out.identity = to_string(parts[next++]);
    // [empty][payload] from DEALER/REQ peers; a bare [payload] is accepted too.
    if (extra_parts == 0 && n_parts - next == 2 && parts[next].size() == 0) ++next;
    if (extra_parts > 0 || n_parts - next != 1) {
      return mf::make_error(mf::errc::invalid_input,
                            "unexpected frame layout: " + std::to_string(total) + " parts");
    }
    out.payload = std::move(parts[next]);
    return out;
  } catch (const zmq::error_t& e) {
    return zmq_failure("recv", e.num());
  } catch (const std::exception& e) {
    return mf::make_error(mf::errc::internal, std::string("recv: ") + e.what());
  }
}

mf::expected<received_envelope> recv_envelope(zmq::socket_t& socket,
                                              std::chrono::milliseconds timeout,
                                              const decode_limits& limits) noexcept {
  auto frame = recv_frame(socket, timeout);
  if (!frame) return std::move(frame).error();
  auto reader = frame_reader::open(std::move(frame->payload), limits);
  if (!reader) return received_envelope{std::move(frame->identity), 0, std::move(reader).error()};
  std::uint64_t request_id = 0;
  try {
    request_id = reader->root().getRequestId();
  } catch (...) {
    // A header we cannot read leaves the id unknown; decode() below reports why.
  }
  return received_envelope{std::move(frame->identity), request_id, decode(*reader)};
}

mf::expected<std::string> last_endpoint(zmq::socket_t& socket) noexcept {
  try {
    return socket.get(zmq::sockopt::last_endpoint);
  } catch (const zmq::error_t& e) {
    return zmq_failure("getsockopt(ZMQ_LAST_ENDPOINT)", e.num());
  } catch (const std::exception& e) {
    return mf::make_error(mf::errc::internal, std::string("last_endpoint: ") + e.what());
  }
}

}  // namespace mf::protocol
