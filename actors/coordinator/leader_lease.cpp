#include "actors/coordinator/leader_lease.hpp"

#include <spdlog/spdlog.h>

namespace mf::coordinator {

leader_lease::leader_lease(cluster::registry& registry, std::string owner,
                           std::chrono::milliseconds ttl, std::chrono::milliseconds renew_interval)
    : registry_(registry), owner_(std::move(owner)), ttl_(ttl), renew_interval_(renew_interval) {}

bool leader_lease::is_leader(std::chrono::steady_clock::time_point now) const {
  // A safety margin of 1/5 of the TTL covers clock-rate drift between us and Redis.
  return held_ && now < valid_from_ + ttl_ - ttl_ / 5;
}

lease_change leader_lease::step(std::chrono::steady_clock::time_point now) {
  if (held_ && !is_leader(now)) {
    // Could not renew in time: another coordinator may be leading now. Stop acting.
    held_ = false;
    spdlog::warn("coordinator {}: lease epoch {} expired locally", owner_, epoch_);
    next_attempt_ = now;
    return lease_change::lost;
  }
  if (now < next_attempt_) return lease_change::none;
  const auto sent = std::chrono::steady_clock::now();
  if (held_) {
    auto renewed = registry_.renew_lease(leader_lease_name, owner_, ttl_.count());
    if (renewed) {
      valid_from_ = sent;
      next_attempt_ = sent + renew_interval_;
      return lease_change::none;
    }
    if (renewed.error().code == errc::conflict) {
      held_ = false;
      spdlog::warn("coordinator {}: lost the lease (epoch {})", owner_, epoch_);
      next_attempt_ = sent + renew_interval_;
      return lease_change::lost;
    }
    // Redis unreachable: retry soon; is_leader() turns false once the TTL is used up.
    next_attempt_ = sent + std::chrono::milliseconds(100);
    return lease_change::none;
  }
  auto acquired = registry_.try_acquire_lease(leader_lease_name, owner_, ttl_.count());
  if (acquired) {
    held_ = true;
    epoch_ = *acquired;
    valid_from_ = sent;
    next_attempt_ = sent + renew_interval_;
    spdlog::info("coordinator {}: leading with epoch {}", owner_, epoch_);
    return lease_change::acquired;
  }
  // Someone else leads (conflict) or Redis is down: try again soon. Polling at a fraction of
  // the TTL bounds the takeover time after the leader's death to about ttl + ttl/5.
  next_attempt_ = sent + std::min(renew_interval_, ttl_ / 5);
  return lease_change::none;
}

void leader_lease::release() {
  if (!held_) return;
  held_ = false;
  (void)registry_.release_lease(leader_lease_name, owner_);
}

}  // namespace mf::coordinator
