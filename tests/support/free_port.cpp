#include "tests/support/free_port.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>

namespace mf::test {
namespace {

constexpr int kSpan = 12000;  // ports tried, just below the ephemeral range

int ephemeral_low() {
  std::ifstream range("/proc/sys/net/ipv4/ip_local_port_range");
  int low = 0;
  if (!(range >> low) || low <= 1024) return 32768;
  return low;
}

bool bindable(std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    std::perror("free_tcp_port: socket");
    std::abort();
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  ::close(fd);
  return ok;
}

}  // namespace

std::uint16_t free_tcp_port() {
  // Per thread, seeded from the OS, so parallel test processes do not walk the same sequence.
  thread_local std::mt19937 rng{std::random_device{}()};
  int high = ephemeral_low();
  int low = high - kSpan < 1024 ? 1024 : high - kSpan;
  std::uniform_int_distribution<int> pick(low, high - 1);
  for (int attempt = 0; attempt < 200; ++attempt) {
    auto port = static_cast<std::uint16_t>(pick(rng));
    if (bindable(port)) return port;
  }
  std::fprintf(stderr, "free_tcp_port: no free port in %d-%d\n", low, high - 1);
  std::abort();
}

}  // namespace mf::test
