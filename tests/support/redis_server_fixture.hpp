// redis_server_fixture: a real /usr/bin/redis-server on 127.0.0.1 and a free port, in its own
// temp data dir, ready (PING answered) when constructed, stopped on destruction. Not thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tests/support/child_process.hpp"

namespace mf::test {

struct redis_server_options {
  // Off by default (--save "" --appendonly no): tests that are not about persistence stay fast.
  bool appendonly = false;
  // Only with appendonly. "always" makes "acknowledged => on disk" hold even for power loss;
  // a kill -9 alone loses nothing with "everysec" either (the AOF write precedes the reply).
  std::string appendfsync = "always";
  std::string requirepass;  // empty: no AUTH
  // Empty: a fresh temp dir, removed on destruction. Set: used as is and kept (e.g. to start a
  // second server on the data of a first one).
  std::string data_dir;
  std::vector<std::string> extra_args;  // appended to the command line
  std::chrono::milliseconds start_timeout{10000};
};

class redis_server_fixture {
 public:
  explicit redis_server_fixture(redis_server_options options = {});
  ~redis_server_fixture();
  redis_server_fixture(const redis_server_fixture&) = delete;
  redis_server_fixture& operator=(const redis_server_fixture&) = delete;

  std::uint16_t port() const noexcept { return port_; }
  // redis://[:pass@]127.0.0.1:port/db
  std::string url(int db = 0) const;
  const std::string& data_dir() const noexcept { return dir_; }
  bool running() const;
  // True if PING (after AUTH when set) answers PONG right now.
  bool ping() const;

  // SIGKILL, no shutdown save: simulates a crash.
  void kill9();
  // Clean SIGTERM shutdown.
  void stop();
  // Starts again on the same port and data dir (after kill9/stop); waits for PONG.
  void restart();
  std::string log() const;

 private:
  void start();

  redis_server_options options_;
  std::uint16_t port_ = 0;
  std::string dir_;
  bool own_dir_ = true;
  std::unique_ptr<child_process> process_;
};

}  // namespace mf::test
