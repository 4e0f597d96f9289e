#include "actors/coordinator/worker_links.hpp"

#include <thread>

#include <spdlog/spdlog.h>

#include "protocol/codec.hpp"

namespace mf::coordinator {

worker_links::worker_links(std::string sender_id, std::optional<protocol::curve_keys> curve)
    : sender_id_(std::move(sender_id)), curve_(std::move(curve)) {}

worker_links::~worker_links() {
  links_.clear();
  try {
    context_.shutdown();
  } catch (...) {
  }
}

mf::expected<void> worker_links::send(const std::string& node, const std::string& address,
                                      const protocol::envelope& message,
                                      std::chrono::milliseconds wait) {
  auto encoded = protocol::encode(message);
  if (!encoded) return encoded.error();
  try {
    auto it = links_.find(node);
    if (it != links_.end() && it->second.address != address) {
      links_.erase(it);  // the worker restarted elsewhere: its old endpoint is gone
      it = links_.end();
    }
    if (it == links_.end()) {
      auto socket = std::make_unique<zmq::socket_t>(context_, zmq::socket_type::dealer);
      socket->set(zmq::sockopt::linger, 0);
      // Training replies are small; a reply above this is garbage (or an attack).
      socket->set(zmq::sockopt::maxmsgsize, std::int64_t{64} << 20);
      socket->set(zmq::sockopt::sndhwm, 1000);
      socket->set(zmq::sockopt::rcvhwm, 1000);
      socket->set(zmq::sockopt::routing_id, sender_id_);
      // Don't queue for a peer that is not connected: an assignment must fail fast so the
      // job goes back to the queue instead of waiting for a worker that may never come.
      socket->set(zmq::sockopt::immediate, 1);
      // With immediate set, a worker without the cluster key never completes the handshake,
      // so an assignment to it fails here and the job goes back to the queue.
      if (curve_)
        if (auto ok = protocol::apply_curve_client(*socket, *curve_); !ok) return ok.error();
      socket->connect(address);
      it = links_.emplace(node, link{address, std::move(socket)}).first;
    }
    auto& socket = *it->second.socket;
    // DEALER -> ROUTER: [empty delimiter][payload]. The connection may still be in progress
    // right after connect(): retry EAGAIN for a short while.
    const auto deadline = std::chrono::steady_clock::now() + wait;
    for (;;) {
      zmq::message_t delimiter;
      if (socket.send(delimiter, zmq::send_flags::sndmore | zmq::send_flags::dontwait)) {
        if (!socket.send(*encoded, zmq::send_flags::none)) {
          return mf::make_error(errc::unavailable, "send to " + node + " failed");
        }
        return {};
      }
      if (std::chrono::steady_clock::now() >= deadline)
        return mf::make_error(errc::unavailable,
                              "worker " + node + " at " + address + " is not reachable");
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  } catch (const zmq::error_t& e) {
    links_.erase(node);
    return mf::make_error(errc::unavailable, "zmq to " + node + ": " + e.what());
  }
}

std::vector<inbound_message> worker_links::poll(std::chrono::milliseconds timeout) {
  std::vector<inbound_message> out;
  if (links_.empty()) {
    std::this_thread::sleep_for(timeout);
    return out;
  }
  std::vector<zmq::pollitem_t> items;
  std::vector<std::string> nodes;
  for (auto& [node, l] : links_) {
    items.push_back({l.socket->handle(), 0, ZMQ_POLLIN, 0});
    nodes.push_back(node);
  }
  try {
    zmq::poll(items.data(), items.size(), timeout);
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (!(items[i].revents & ZMQ_POLLIN)) continue;
      auto& socket = *links_.at(nodes[i]).socket;
      for (int budget = 0; budget < 256; ++budget) {
        std::vector<zmq::message_t> parts;
        for (;;) {
          zmq::message_t part;
          if (!socket.recv(part, zmq::recv_flags::dontwait)) break;
          const bool more = part.more();
          parts.push_back(std::move(part));
          if (!more) break;
        }
        if (parts.empty()) break;
        auto decoded = protocol::decode(parts.back());
        if (!decoded) {
          spdlog::warn("coordinator: dropped a bad frame from {}: {}", nodes[i],
                       decoded.error().message);
          continue;
        }
        out.push_back({nodes[i], std::move(*decoded)});
      }
    }
  } catch (const zmq::error_t& e) {
    spdlog::warn("coordinator: zmq poll: {}", e.what());
  }
  return out;
}

void worker_links::drop(const std::string& node) {
  links_.erase(node);
}

}  // namespace mf::coordinator
