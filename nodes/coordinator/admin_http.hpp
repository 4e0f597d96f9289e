// admin_http: a tiny blocking HTTP/1.0 server for the coordinator's /healthz and /metrics.
// Thread-safe: start()/stop() from one owner thread; the handler is called from its own thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <thread>

#include "common/expected.hpp"

namespace mf::coordinator {

struct http_answer {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
};

// Called with the request path (without query); runs on the server thread.
using http_handler = std::function<http_answer(const std::string& path)>;

// Serves GET requests one connection at a time: admin traffic is a few probes per second,
// so a single thread with short socket timeouts is enough and cannot stall the coordinator.
class admin_http_server {
 public:
  admin_http_server() = default;
  ~admin_http_server();
  admin_http_server(const admin_http_server&) = delete;
  admin_http_server& operator=(const admin_http_server&) = delete;

  // host:port (port 0 = pick a free one). Returns the bound "http://host:port".
  mf::expected<std::string> start(const std::string& host_port, http_handler handler);
  void stop();

 private:
  void serve();

  int listen_fd_ = -1;
  http_handler handler_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace mf::coordinator
