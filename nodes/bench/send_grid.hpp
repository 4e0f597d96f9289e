// send_grid: when an open-loop load thread wakes to send a request that is due at `due`.
// With a step, wakes fall on a grid from the start of the run, so one wake sends every request
// that fell due since the last one (fewer timer wakes and system calls per request for a load
// generator that shares the cores with the server). Latency is still counted from each
// request's own due time, so the lateness is charged to the server, never hidden.
#pragma once

#include <chrono>

namespace mf::bench {

template <class Clock, class Duration>
typename Clock::time_point send_wake(typename Clock::time_point start,
                                     typename Clock::time_point due, Duration step) {
  const auto tick = std::chrono::duration_cast<typename Clock::duration>(step);
  if (tick <= Clock::duration::zero() || due <= start) return due;
  const auto steps = (due - start + tick - typename Clock::duration(1)) / tick;
  return start + steps * tick;
}

}  // namespace mf::bench
