// node_verifier: with CURVE on, a worker becomes eligible for placement and training only once it
// answered a ping over the coordinator's CURVE link (proof it holds the cluster secret key). Not
// thread-safe: owned and driven by the coordinator's control loop.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "actors/coordinator/coordinator_metrics.hpp"
#include "actors/coordinator/worker_links.hpp"
#include "cluster/records.hpp"

namespace mf::coordinator {

struct verifier_timing {
  // A worker not verified this long after it was first seen is logged and counted as
  // unverified (it stays ineligible either way; probing goes on).
  std::chrono::milliseconds grace{2000};
  // Verified workers are pinged again this often; one silent for `revoke_after` is
  // unverified again (e.g. restarted on the same endpoint without the key).
  std::chrono::milliseconds reprobe_every{2000};
  std::chrono::milliseconds revoke_after{15000};
};

class node_verifier {
 public:
  using clock = std::chrono::steady_clock;

  // `enabled` false (no CURVE): every worker is eligible and nothing is sent.
  node_verifier(worker_links& links, bool enabled, coordinator_metrics& metrics,
                verifier_timing timing = {});

  // Pings the workers of `nodes` (a fresh list_nodes) that still need it; forgets workers that
  // left. Never blocks: a ping that cannot go out yet (handshake not done) is retried next step.
  void step(const std::vector<cluster::node_record>& nodes, clock::time_point now);
  enum class reply { not_a_pong, pong, newly_verified };
  // Consumes a pong; anything else (not_a_pong) is left to the caller.
  reply on_message(const inbound_message& message, clock::time_point now);

  bool enabled() const noexcept { return enabled_; }
  bool verified(const cluster::node_record& node) const;
  // `nodes` without the workers not verified (coordinators, routers are kept).
  std::vector<cluster::node_record> eligible(const std::vector<cluster::node_record>& nodes) const;
  // True while some live worker is new (seen < grace ago) and has not answered yet: placement
  // waits for it instead of recomputing without it (a new leader knows no worker at first and
  // would otherwise drop every owner at once).
  bool settling(const std::vector<cluster::node_record>& nodes, clock::time_point now) const;
  // Leadership changed: verify everyone again over this leader's links.
  void reset();

 private:
  struct peer {
    std::string address;  // the endpoint verified (or being verified)
    clock::time_point first_seen{}, last_ping{}, last_pong{};
    bool verified = false;
    bool reported = false;  // node_unverified logged for this address
  };
  void update_gauge();

  worker_links& links_;
  bool enabled_;
  coordinator_metrics& metrics_;
  verifier_timing timing_;
  std::uint64_t next_request_id_ = 1;
  std::map<std::string, peer> peers_;  // by node id
};

}  // namespace mf::coordinator
