// Tests of the open-loop send grid: a wake never comes before a request is due, and never more
// than one step after it.
#include "nodes/bench/send_grid.hpp"

#include <doctest/doctest.h>

#include <chrono>

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;
using mf::bench::send_wake;

TEST_CASE("send_wake: no step wakes exactly at the due time") {
  const clock_type::time_point start{1s};
  CHECK(send_wake<clock_type>(start, start + 37us, 0us) == start + 37us);
  CHECK(send_wake<clock_type>(start, start + 37ns, std::chrono::microseconds(0)) == start + 37ns);
}

TEST_CASE("send_wake: a step rounds the wake up to the grid from the start") {
  const clock_type::time_point start{5s};
  const auto step = 250us;
  CHECK(send_wake<clock_type>(start, start, step) == start);
  CHECK(send_wake<clock_type>(start, start + 1ns, step) == start + 250us);
  CHECK(send_wake<clock_type>(start, start + 250us, step) == start + 250us);
  CHECK(send_wake<clock_type>(start, start + 250us + 1ns, step) == start + 500us);
  CHECK(send_wake<clock_type>(start, start + 1s + 3us, step) == start + 1s + 250us);
  // Every due time: woken at or after it, less than one step later.
  for (auto due = start; due < start + 3ms; due += 7919ns) {
    const auto wake = send_wake<clock_type>(start, due, step);
    CHECK(wake >= due);
    CHECK(wake - due < step);
    CHECK((wake - start) % step == clock_type::duration::zero());
  }
}

TEST_CASE("send_wake: a due time before the start is not moved") {
  const clock_type::time_point start{5s};
  CHECK(send_wake<clock_type>(start, start - 3us, 250us) == start - 3us);
}
