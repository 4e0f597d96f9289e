// One redis-server per test executable (started on first use, stopped at exit) and a fresh key
// prefix per fixture so test cases do not see each other's keys. Not thread-safe.
#pragma once

#include <memory>
#include <string>

#include "tests/support/redis_server_fixture.hpp"

namespace mf::cluster::test {

inline mf::test::redis_server_fixture& shared_redis() {
  static auto server = std::make_unique<mf::test::redis_server_fixture>();
  return *server;
}

inline std::string fresh_prefix() {
  static int n = 0;
  return "t" + std::to_string(++n) + ":";
}

}  // namespace mf::cluster::test
