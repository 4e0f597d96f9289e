#include "nodes/admin_http.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>

namespace mf::nodes {

namespace {

const char* reason(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 400:
      return "Bad Request";
    case 503:
      return "Service Unavailable";
    default:
      return "Error";
  }
}

void write_all(int fd, const std::string& data) {
  std::size_t off = 0;
  while (off < data.size()) {
    auto n = ::send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return;
    off += static_cast<std::size_t>(n);
  }
}

}  // namespace

mf::expected<std::unique_ptr<admin_http>> admin_http::start(const std::string& listen, handler h) {
  auto colon = listen.rfind(':');
  if (colon == std::string::npos)
    return mf::make_error(mf::errc::invalid_field, "admin listen address must be host:port");
  std::string host = listen.substr(0, colon);
  int port = std::atoi(listen.c_str() + colon + 1);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  if (::inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1)
    return mf::make_error(mf::errc::invalid_field, "admin host must be an IPv4 address: " + host);
  std::unique_ptr<admin_http> s(new admin_http());
  s->handler_ = std::move(h);
  s->listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  ::setsockopt(s->listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (::bind(s->listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(s->listen_fd_, 64) != 0)
    return mf::make_error(mf::errc::unavailable,
                          "cannot listen on " + listen + ": " + std::strerror(errno));
  socklen_t len = sizeof addr;
  ::getsockname(s->listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  s->url_ = "http://" + host + ":" + std::to_string(ntohs(addr.sin_port));
  s->wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  s->thread_ = std::thread([p = s.get()] { p->loop(); });
  return s;
}

admin_http::~admin_http() {
  stop();
  if (listen_fd_ >= 0) ::close(listen_fd_);
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

void admin_http::stop() {
  if (stop_.exchange(true)) return;
  std::uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(wake_fd_, &one, sizeof one);
  if (thread_.joinable()) thread_.join();
}

void admin_http::loop() {
  pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
  while (!stop_.load()) {
    if (::poll(fds, 2, 1000) <= 0) continue;
    if (fds[1].revents) break;
    if (!(fds[0].revents & POLLIN)) continue;
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    serve(fd);
    ::close(fd);
  }
}

void admin_http::serve(int fd) {
  // Read the request head with a deadline and a cap: a slow or huge client cannot wedge us.
  std::string req;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  char buf[2048];
  while (req.find("\r\n\r\n") == std::string::npos && req.size() < 8192) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    deadline - std::chrono::steady_clock::now())
                    .count();
    if (left <= 0) return;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left)) <= 0) return;
    auto n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return;
    req.append(buf, static_cast<std::size_t>(n));
  }
  http_answer a;
  auto sp1 = req.find(' ');
  auto sp2 = sp1 == std::string::npos ? sp1 : req.find(' ', sp1 + 1);
  if (sp2 == std::string::npos) {
    a = {400, "application/json",
         R"({"error":{"code":"malformed_request","message":"bad request line"}})"};
  } else if (req.compare(0, sp1, "GET") != 0) {
    a = {405, "application/json",
         R"({"error":{"code":"method_not_allowed","message":"GET only"}})"};
  } else {
    std::string path = req.substr(sp1 + 1, sp2 - sp1 - 1);
    if (auto q = path.find('?'); q != std::string::npos) path.resize(q);
    try {
      a = handler_(path);
    } catch (...) {
      a = {500, "application/json", R"({"error":{"code":"internal","message":"handler failed"}})"};
    }
  }
  write_all(fd, "HTTP/1.1 " + std::to_string(a.status) + " " + reason(a.status) +
                    "\r\nContent-Type: " + a.content_type + "\r\nContent-Length: " +
                    std::to_string(a.body.size()) + "\r\nConnection: close\r\n\r\n" + a.body);
}

}  // namespace mf::nodes
