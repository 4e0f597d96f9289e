// socket: the standard options of every ModelFleet ZeroMQ socket, and multipart send/receive
// of Envelope frames on ROUTER and DEALER sockets. Functions never throw; a zmq socket is
// not thread-safe, so each socket is used by one thread (actor) at a time.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <zmq.hpp>

#include "common/expected.hpp"
#include "protocol/codec.hpp"
#include "protocol/frame.hpp"
#include "protocol/messages.hpp"

namespace mf::protocol {

// Options applied by apply_socket_policy(). The presets below are the policy of each socket
// in the cluster; docs/protocol.md explains the choices.
struct socket_policy {
  // ZMQ_MAXMSGSIZE (bytes, per frame; -1 = none). Set on every socket that faces a network so
  // that libzmq drops an oversized frame (and its connection) before allocating it.
  std::int64_t max_message_bytes = (std::int64_t{64} << 20) + 4096;
  int send_hwm = 1000;  // ZMQ_SNDHWM, messages
  int recv_hwm = 1000;  // ZMQ_RCVHWM, messages
  int linger_ms = 0;    // ZMQ_LINGER: never block close/exit on unsent messages
  // ZMQ_ROUTER_MANDATORY (ROUTER only): a reply to a peer that is gone, or a full queue,
  // fails with an error instead of being dropped silently.
  bool router_mandatory = true;
  // ZMQ_IMMEDIATE (DEALER only): queue only to completed connections, so a send to a worker
  // that is not connected fails at once (errc::unavailable) and the caller can try a replica.
  bool immediate = false;
  // ZMTP heartbeats (ms; 0 = off): detect a dead peer on an idle TCP connection.
  int heartbeat_interval_ms = 0;
  int heartbeat_timeout_ms = 0;
  // ZMQ_ROUTING_ID (DEALER only; empty = let the ROUTER pick one). Node-to-node DEALERs use
  // the node id so logs on the other side name the peer; clients leave it empty.
  std::string routing_id;

  // ROUTER bound by a router process for external clients (the front door).
  static socket_policy front_door();
  // ROUTER bound by a worker (routers and the coordinator connect DEALERs to it), and the
  // ROUTER bound by the coordinator (workers connect DEALERs to it).
  static socket_policy node_router();
  // DEALER a node connects to another node's ROUTER.
  static socket_policy node_dealer(std::string node_id);
  // DEALER of predict_client and other external clients.
  static socket_policy client_dealer();
};

mf::expected<void> apply_socket_policy(zmq::socket_t& socket, const socket_policy& policy) noexcept;

// Sends one frame. On a ROUTER `identity` names the peer and the frames are
// [identity][empty][payload]; on a DEALER `identity` must be empty and the frames are
// [empty][payload]. Never blocks: a full queue or unroutable peer is errc::unavailable.
mf::expected<void> send_frame(zmq::socket_t& socket, std::string_view identity,
                              zmq::message_t payload) noexcept;
// Encodes then sends an envelope.
mf::expected<void> send_envelope(zmq::socket_t& socket, std::string_view identity,
                                 const envelope& message) noexcept;

struct received_frame {
  std::string identity;  // the peer's routing id on a ROUTER; empty on a DEALER
  zmq::message_t payload;
};

// Receives one multipart message, waiting at most `timeout` (negative = forever, 0 = poll).
// Nothing arriving in time is errc::deadline_exceeded; a message whose frame layout is wrong
// is consumed whole and reported as errc::invalid_input.
mf::expected<received_frame> recv_frame(zmq::socket_t& socket,
                                        std::chrono::milliseconds timeout) noexcept;

struct received_envelope {
  std::string identity;
  // The frame's request id whenever its header could be read, even if the body was invalid,
  // so a server can address its error reply; 0 otherwise.
  std::uint64_t request_id = 0;
  // The decoded frame, or why it could not be decoded (the caller may still answer the peer).
  mf::expected<envelope> message;
};

// recv_frame + decode. The outer error is a transport error (timeout, closed context).
mf::expected<received_envelope> recv_envelope(zmq::socket_t& socket,
                                              std::chrono::milliseconds timeout,
                                              const decode_limits& limits = {}) noexcept;

// The endpoint a socket bound to, e.g. "tcp://127.0.0.1:41233" after binding "tcp://127.0.0.1:*".
mf::expected<std::string> last_endpoint(zmq::socket_t& socket) noexcept;

}  // namespace mf::protocol
