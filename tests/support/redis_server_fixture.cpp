#include "tests/support/redis_server_fixture.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>

#include "tests/support/free_port.hpp"
#include "tests/support/wait_until.hpp"

namespace mf::test {
namespace {

std::string bulk(const std::string& s) {
  return "$" + std::to_string(s.size()) + "\r\n" + s + "\r\n";
}

// One short-lived loopback connection: sends `request`, reads until `expect` shows up or the
// deadline passes. Raw socket on purpose: the fixture must not depend on the code under test.
bool exchange(std::uint16_t port, const std::string& request, const std::string& expect) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  bool ok = false;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      ::send(fd, request.data(), request.size(), MSG_NOSIGNAL) ==
          static_cast<ssize_t>(request.size())) {
    std::string got;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(500);
    while (std::chrono::steady_clock::now() < deadline && got.find(expect) == std::string::npos) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      char buf[256];
      ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
      if (n <= 0) break;
      got.append(buf, static_cast<std::size_t>(n));
    }
    ok = got.find(expect) != std::string::npos;
  }
  ::close(fd);
  return ok;
}

}  // namespace

redis_server_fixture::redis_server_fixture(redis_server_options options)
    : options_(std::move(options)) {
  if (!options_.data_dir.empty()) {
    dir_ = options_.data_dir;
    own_dir_ = false;
    std::error_code ec;
    std::filesystem::create_directories(dir_, ec);
  } else {
    char tmpl[] = "/tmp/mf-redis-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) {
      std::perror("redis_server_fixture: mkdtemp");
      std::abort();
    }
    dir_ = tmpl;
  }
  port_ = free_tcp_port();
  start();
}

redis_server_fixture::~redis_server_fixture() {
  process_.reset();
  if (own_dir_) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
}

std::string redis_server_fixture::url(int db) const {
  std::string auth = options_.requirepass.empty() ? "" : ":" + options_.requirepass + "@";
  return "redis://" + auth + "127.0.0.1:" + std::to_string(port_) + "/" + std::to_string(db);
}

bool redis_server_fixture::running() const {
  return process_ && process_->running();
}

bool redis_server_fixture::ping() const {
  std::string req;
  if (!options_.requirepass.empty()) req += "*2\r\n" + bulk("AUTH") + bulk(options_.requirepass);
  req += "*1\r\n" + bulk("PING");
  return exchange(port_, req, "+PONG");
}

void redis_server_fixture::start() {
  std::vector<std::string> args = {
      "--port", std::to_string(port_), "--bind", "127.0.0.1",        "--dir", dir_, "--save",
      "",       "--daemonize",         "no",     "--protected-mode", "no"};
  if (options_.appendonly) {
    args.insert(args.end(), {"--appendonly", "yes", "--appendfsync", options_.appendfsync});
  } else {
    args.insert(args.end(), {"--appendonly", "no"});
  }
  if (!options_.requirepass.empty())
    args.insert(args.end(), {"--requirepass", options_.requirepass});
  args.insert(args.end(), options_.extra_args.begin(), options_.extra_args.end());
  process_ = std::make_unique<child_process>("/usr/bin/redis-server", std::move(args),
                                             dir_ + "/redis.log");
  bool up = wait_until([&] { return ping() || !process_->running(); }, options_.start_timeout) &&
            process_->running();
  if (!up) {
    std::fprintf(stderr, "redis-server did not start on port %u:\n%s\n", port_,
                 process_->log().c_str());
    std::abort();
  }
}

void redis_server_fixture::kill9() {
  if (!process_) return;
  process_->signal(SIGKILL);
  process_->wait_for(std::chrono::milliseconds(5000));
  process_.reset();
}

void redis_server_fixture::stop() {
  if (!process_) return;
  process_->stop();
  process_.reset();
}

void redis_server_fixture::restart() {
  stop();
  start();
}

std::string redis_server_fixture::log() const {
  return process_ ? process_->log() : std::string();
}

}  // namespace mf::test
