// Tests of the test support itself: child processes (exit codes, env, logs, kill on
// destruction), free ports, wait_until, and the redis-server fixture (ready, kill9, restart).
#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>

#include "tests/support/child_process.hpp"
#include "tests/support/free_port.hpp"
#include "tests/support/redis_server_fixture.hpp"
#include "tests/support/wait_until.hpp"

using namespace mf::test;
using namespace std::chrono_literals;

namespace {
// A fresh log per run: child_process appends (a restarted server keeps one log).
std::string log_file(const char* name) {
  std::string path = std::string(MF_BINARY_DIR) + "/support_test_" + name + ".log";
  std::remove(path.c_str());
  return path;
}
}  // namespace

TEST_CASE("child_process: exit code, environment and log") {
  child_process p("/bin/sh", {"-c", "echo out-$MF_X; echo err 1>&2; exit 3"}, log_file("exit"),
                  {"MF_X=42"});
  CHECK(p.pid() > 0);
  CHECK(p.wait_for(5s) == std::optional<int>(3));
  CHECK(!p.running());
  CHECK(p.log().find("out-42") != std::string::npos);
  CHECK(p.log().find("err") != std::string::npos);
  child_process missing("/nonexistent/binary", {}, log_file("missing"));
  CHECK(missing.wait_for(5s) == std::optional<int>(127));
}

TEST_CASE("child_process: a hung child is killed on destruction and by stop()") {
  pid_t pid = 0;
  {
    child_process p("/bin/sleep", {"100"}, log_file("sleep"));
    pid = p.pid();
    CHECK(p.running());
    CHECK(!p.wait_for(20ms));
  }
  CHECK(::kill(pid, 0) != 0);  // reaped: no such process any more
  child_process q("/bin/sh", {"-c", "trap '' TERM; echo ready; sleep 100"}, log_file("trap"));
  CHECK(wait_until([&] { return q.log().find("ready") != std::string::npos; }, 5s));
  const pid_t group = q.pid();
  CHECK(q.stop(200ms) == 128 + SIGKILL);  // ignored SIGTERM, then SIGKILL
  // The shell's own child (sleep) went with the group.
  CHECK(wait_until([&] { return ::kill(-group, 0) != 0; }, 2s));
}

TEST_CASE("free_tcp_port and wait_until") {
  auto a = free_tcp_port();
  CHECK(a > 1024);
  // Below the ephemeral range, where outgoing connections never take it (see free_port.hpp).
  std::ifstream range("/proc/sys/net/ipv4/ip_local_port_range");
  int ephemeral_low = 32768;
  range >> ephemeral_low;
  CHECK(a < ephemeral_low);
  // And really free: a listener can take it.
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(a);
  CHECK(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  ::close(fd);
  int calls = 0;
  CHECK(wait_until([&] { return ++calls == 3; }, 1s, 1ms));
  CHECK(calls == 3);
  CHECK(!wait_until([] { return false; }, 30ms));
}

TEST_CASE("redis_server_fixture: ready on start, kill9 and restart on the same port") {
  redis_server_fixture server;
  CHECK(server.ping());
  CHECK(server.url().find("127.0.0.1:" + std::to_string(server.port())) != std::string::npos);
  const auto port = server.port();
  server.kill9();
  CHECK(!server.running());
  CHECK(!server.ping());
  server.restart();
  CHECK(server.port() == port);
  CHECK(server.ping());
  redis_server_options opts;
  opts.requirepass = "pw";
  redis_server_fixture secured(opts);
  CHECK(secured.ping());
  CHECK(secured.url().find(":pw@") != std::string::npos);
}
