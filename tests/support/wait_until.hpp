// wait_until: polls a predicate until it holds or a deadline passes (never a bare sleep).
// Thread-safe if the predicate is.
#pragma once

#include <chrono>
#include <thread>

namespace mf::test {

// Returns true as soon as pred() is true; false if `timeout` passed first. Polls every `step`.
template <class Pred>
bool wait_until(Pred&& pred, std::chrono::milliseconds timeout,
                std::chrono::milliseconds step = std::chrono::milliseconds(10)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (pred()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(step);
  }
}

}  // namespace mf::test
