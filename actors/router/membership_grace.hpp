// membership_grace: how the router's placement keeper rides out a Redis outage without
// dropping live workers. A worker's `alive` key has a TTL it refreshes with every heartbeat; an
// outage longer than that TTL lets the key expire although the worker is fine (it could not
// refresh it, exactly as the router could not read it). Right after Redis comes back the node
// list therefore says `down` for every worker until its next beat; trusting it made the router
// drop its links and answer 503 for those milliseconds (CI: fault 3 of chaos_redis_test).
//
// So for `window` (about one worker heartbeat TTL) after the keeper's own Redis calls recover,
// a worker the keeper last served as `up` and that Redis now reports `down` is kept `up`.
// Not kept: a worker whose record is gone (deregistered), one with the drain flag, one the
// keeper did not serve as `up` before. A worker that really died during the outage is dropped
// when the window ends (the next resync sees the difference); meanwhile the forwarder's own
// attempt deadline, retry on another replica and `suspect_for` keep requests away from it.
// Pure: no Redis, no clock of its own (tests pass the time).
#pragma once

#include <chrono>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "cluster/records.hpp"

namespace mf::router {

class membership_grace {
 public:
  using clock = std::chrono::steady_clock;

  explicit membership_grace(std::chrono::milliseconds window) : window_(window) {}

  // The outcome of one of the keeper's Redis calls (or evidence of an outage it did not see
  // itself, such as its events subscription having to resubscribe).
  void redis_failed() { failing_ = true; }
  void redis_ok(clock::time_point now) {
    if (!failing_) return;
    failing_ = false;
    recovered_ = now;  // a later outage restarts the window from its own recovery
  }

  // From a recovery until `window` after it. Never while Redis is failing: then nothing is
  // reloaded and the forwarder keeps the view it has anyway.
  bool active(clock::time_point now) const {
    return !failing_ && recovered_ && now < *recovered_ + window_;
  }

 private:
  std::chrono::milliseconds window_;
  bool failing_ = false;
  std::optional<clock::time_point> recovered_;
};

// Marks `up` again, in `fresh` (a node list read after the outage), every worker that is
// `down` there, was `up` in `served` (the nodes of the view the keeper last handed out) and is
// not in `draining`. Nodes absent from `fresh` (record gone) stay absent. Returns the names of
// the workers kept, sorted.
std::vector<std::string> keep_served_workers(std::vector<mf::cluster::node_record>& fresh,
                                             const std::vector<mf::cluster::node_record>& served,
                                             const std::set<std::string>& draining);

}  // namespace mf::router
