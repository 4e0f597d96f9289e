#include "actors/coordinator/node_verifier.hpp"

#include <set>

#include <spdlog/spdlog.h>

namespace mf::coordinator {
namespace {

bool is_worker(const cluster::node_record& n) {
  return n.role == "worker" && n.state != cluster::node_state::down && !n.address.empty();
}

}  // namespace

node_verifier::node_verifier(worker_links& links, bool enabled, coordinator_metrics& metrics,
                             verifier_timing timing)
    : links_(links), enabled_(enabled), metrics_(metrics), timing_(timing) {}

void node_verifier::reset() {
  peers_.clear();
  update_gauge();
}

void node_verifier::step(const std::vector<cluster::node_record>& nodes, clock::time_point now) {
  if (!enabled_) return;
  std::set<std::string> present;
  for (const auto& n : nodes) {
    if (!is_worker(n)) continue;
    present.insert(n.node);
    auto [it, fresh] = peers_.try_emplace(n.node);
    peer& p = it->second;
    if (fresh || p.address != n.address) {
      // New worker, or the same id at a new endpoint: what we verified is not this process.
      p = peer{};
      p.address = n.address;
      p.first_seen = now;
    }
    if (p.verified && now - p.last_pong > timing_.revoke_after) {
      p.verified = false;
      p.reported = false;
      p.first_seen = now;
      spdlog::warn("coordinator: event=node_unverified node={} address={} reason=no_pong_for_{}ms",
                   n.node, n.address, timing_.revoke_after.count());
      ++metrics_.nodes_unverified_events;
    }
    if (!p.verified && !p.reported && now - p.first_seen >= timing_.grace) {
      // Logged once per endpoint: a keyless worker would otherwise flood the log.
      p.reported = true;
      spdlog::warn(
          "coordinator: event=node_unverified node={} address={} reason=no_curve_handshake "
          "(not placed, no training until it answers over CURVE)",
          n.node, n.address);
      ++metrics_.nodes_unverified_events;
    }
    // Unverified: ping every step (a dontwait send fails until the handshake is done, so this
    // costs nothing for a keyless peer). Verified: a keep-alive every reprobe_every.
    const bool due = !p.verified || now - p.last_ping >= timing_.reprobe_every;
    if (!due) continue;
    protocol::envelope ping;
    ping.head.request_id = next_request_id_++;
    ping.head.sender = links_.sender_id();
    ping.body = protocol::ping{};
    if (links_.send(n.node, n.address, ping, std::chrono::milliseconds(0))) p.last_ping = now;
  }
  for (auto it = peers_.begin(); it != peers_.end();)
    it = present.count(it->first) ? std::next(it) : peers_.erase(it);
  update_gauge();
}

node_verifier::reply node_verifier::on_message(const inbound_message& message,
                                               clock::time_point now) {
  if (!std::holds_alternative<protocol::pong>(message.message.body)) return reply::not_a_pong;
  auto it = peers_.find(message.node);
  if (it == peers_.end()) return reply::pong;  // a worker that left meanwhile
  peer& p = it->second;
  p.last_pong = now;
  if (!p.verified) {
    p.verified = true;
    spdlog::info("coordinator: event=node_verified node={} address={} after={}ms", message.node,
                 p.address,
                 std::chrono::duration_cast<std::chrono::milliseconds>(now - p.first_seen).count());
    update_gauge();
    return reply::newly_verified;
  }
  return reply::pong;
}

bool node_verifier::verified(const cluster::node_record& node) const {
  if (!enabled_ || node.role != "worker") return true;
  auto it = peers_.find(node.node);
  return it != peers_.end() && it->second.verified && it->second.address == node.address;
}

std::vector<cluster::node_record> node_verifier::eligible(
    const std::vector<cluster::node_record>& nodes) const {
  if (!enabled_) return nodes;
  std::vector<cluster::node_record> out;
  out.reserve(nodes.size());
  for (const auto& n : nodes)
    if (verified(n)) out.push_back(n);
  return out;
}

bool node_verifier::settling(const std::vector<cluster::node_record>& nodes,
                             clock::time_point now) const {
  if (!enabled_) return false;
  for (const auto& n : nodes) {
    if (!is_worker(n) || verified(n)) continue;
    auto it = peers_.find(n.node);
    if (it == peers_.end() || it->second.address != n.address) return true;  // not probed yet
    if (now - it->second.first_seen < timing_.grace) return true;
  }
  return false;
}

void node_verifier::update_gauge() {
  std::uint64_t unverified = 0;
  for (const auto& [id, p] : peers_) unverified += p.verified ? 0 : 1;
  metrics_.nodes_unverified = unverified;
}

}  // namespace mf::coordinator
