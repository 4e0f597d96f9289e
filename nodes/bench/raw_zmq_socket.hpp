// raw_zmq_socket: the socket options every socket of the raw round-trip ceilings shares (load
// threads, relay, echo server), so the one-hop and two-hop loops queue the same way.
#pragma once

#include <cstdint>

#include <zmq.hpp>

namespace mf::bench {

// Queues far above what a run keeps in flight: a ROUTER at its send HWM drops silently, which
// would count as lost requests rather than as the ceiling. No linger: a run ends at once.
inline void set_raw_ceiling_options(zmq::socket_t& s) {
  s.set(zmq::sockopt::linger, 0);
  s.set(zmq::sockopt::sndhwm, 100'000);
  s.set(zmq::sockopt::rcvhwm, 100'000);
  s.set(zmq::sockopt::maxmsgsize, std::int64_t{64} << 20);
}

}  // namespace mf::bench
