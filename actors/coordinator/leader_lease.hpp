// leader_lease: leadership of one coordinator through a Redis lease (SET NX PX, renewed) with a
// fencing epoch. Not thread-safe: driven by the coordinator's control loop via step().
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "cluster/registry.hpp"

namespace mf::coordinator {

// The lease name every coordinator competes for.
inline constexpr std::string_view leader_lease_name = "coordinator";

enum class lease_change { none, acquired, lost };

class leader_lease {
 public:
  // `renew_interval` must be well under `ttl` so one slow Redis round trip does not lose it.
  leader_lease(cluster::registry& registry, std::string owner, std::chrono::milliseconds ttl,
               std::chrono::milliseconds renew_interval);

  // Acquires, renews or notices the loss of the lease; cheap to call often (it only talks to
  // Redis when a renewal or a retry is due). Returns what changed.
  lease_change step(std::chrono::steady_clock::time_point now);
  // Forces the next step() to talk to Redis (e.g. after a write was fenced off).
  void check_now() { next_attempt_ = {}; }
  // Deliberately gives the lease up (clean shutdown: a standby takes over at once).
  void release();

  // True while the lease is held and was renewed less than ttl ago by our own clock: a leader
  // that cannot reach Redis stops acting before another one can have taken over.
  bool is_leader(std::chrono::steady_clock::time_point now) const;
  // Fencing epoch of the current (or last) tenure; grows with every new acquisition.
  std::int64_t epoch() const noexcept { return epoch_; }
  const std::string& owner() const noexcept { return owner_; }

 private:
  cluster::registry& registry_;
  std::string owner_;
  std::chrono::milliseconds ttl_;
  std::chrono::milliseconds renew_interval_;
  bool held_ = false;
  std::int64_t epoch_ = 0;
  // Start of the last successful acquire/renew round trip: validity is counted from the moment
  // the request was sent, so our view never outlives the lease in Redis.
  std::chrono::steady_clock::time_point valid_from_{};
  std::chrono::steady_clock::time_point next_attempt_{};
};

}  // namespace mf::coordinator
