#include "nodes/coordinator/admin_http.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstring>
#include <string_view>

namespace mf::coordinator {
namespace {

const char* reason_phrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 503:
      return "Service Unavailable";
    default:
      return "Error";
  }
}

void send_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n <= 0) return;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
}

}  // namespace

admin_http_server::~admin_http_server() {
  stop();
}

mf::expected<std::string> admin_http_server::start(const std::string& host_port,
                                                   http_handler handler) {
  const auto colon = host_port.rfind(':');
  if (colon == std::string::npos)
    return mf::make_error(errc::invalid_input, "admin address must be host:port: " + host_port);
  std::string host = host_port.substr(0, colon);
  int port = 0;
  try {
    port = std::stoi(host_port.substr(colon + 1));
  } catch (...) {
    return mf::make_error(errc::invalid_input, "bad admin port in " + host_port);
  }
  if (host.empty() || host == "localhost") host = "127.0.0.1";
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  if (::inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1)
    return mf::make_error(errc::invalid_input, "admin host must be an IPv4 address: " + host);
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0)
    return mf::make_error(errc::internal, "socket(): " + std::string(strerror(errno)));
  const int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listen_fd_, 16) != 0) {
    const std::string why = strerror(errno);
    ::close(listen_fd_);
    listen_fd_ = -1;
    return mf::make_error(errc::unavailable, "cannot listen on " + host_port + ": " + why);
  }
  socklen_t len = sizeof addr;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  handler_ = std::move(handler);
  stopping_ = false;
  thread_ = std::thread([this] { serve(); });
  return "http://" + host + ":" + std::to_string(ntohs(addr.sin_port));
}

void admin_http_server::stop() {
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
  if (listen_fd_ >= 0) ::close(listen_fd_);
  listen_fd_ = -1;
}

void admin_http_server::serve() {
  while (!stopping_) {
    pollfd pfd{listen_fd_, POLLIN, 0};
    if (::poll(&pfd, 1, 200) <= 0) continue;
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    // Short timeouts: a slow or silent client must not hold the only server thread.
    timeval tv{1, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    std::string request;
    char buf[2048];
    while (request.find("\r\n\r\n") == std::string::npos && request.size() < 16384) {
      const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) break;
      request.append(buf, static_cast<std::size_t>(n));
    }
    http_answer answer;
    const auto line_end = request.find("\r\n");
    const std::string line = request.substr(0, line_end);
    const auto sp1 = line.find(' ');
    const auto sp2 = line.find(' ', sp1 == std::string::npos ? 0 : sp1 + 1);
    if (sp1 == std::string::npos || sp2 == std::string::npos) {
      answer = {400, "application/json",
                R"({"error":{"code":"malformed_request","message":"bad request line"}})"};
    } else if (line.substr(0, sp1) != "GET") {
      answer = {405, "application/json",
                R"({"error":{"code":"invalid_field","message":"GET only"}})"};
    } else {
      std::string path = line.substr(sp1 + 1, sp2 - sp1 - 1);
      if (const auto q = path.find('?'); q != std::string::npos) path.resize(q);
      try {
        answer = handler_(path);
      } catch (...) {
        answer = {500, "application/json",
                  R"({"error":{"code":"internal","message":"handler failed"}})"};
      }
    }
    std::string out = "HTTP/1.0 " + std::to_string(answer.status) + " " +
                      reason_phrase(answer.status) + "\r\nContent-Type: " + answer.content_type +
                      "\r\nContent-Length: " + std::to_string(answer.body.size()) +
                      "\r\nConnection: close\r\n\r\n" + answer.body;
    send_all(fd, out);
    ::close(fd);
  }
}

}  // namespace mf::coordinator
