// admin_http: a tiny HTTP/1.1 server for a node's admin port (/healthz, /readyz, /metrics).
// Thread-safe: start() spawns one server thread; handlers are called on it; stop() joins.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "common/expected.hpp"

namespace mf::nodes {

struct http_answer {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
};

// Why not RESTinio here: the admin port serves three GET routes with tiny bodies to scrapers
// and probes; one poll() thread with a bounded request size is enough and keeps the worker
// build light. Requests are read with a deadline and a 8 KiB cap; one request per connection.
class admin_http {
 public:
  using handler = std::function<http_answer(const std::string& path)>;

  // listen: "127.0.0.1:0" (port 0 = pick a free one). Errors: unavailable (bind failed).
  static mf::expected<std::unique_ptr<admin_http>> start(const std::string& listen, handler h);
  ~admin_http();
  void stop();
  const std::string& url() const { return url_; }  // http://127.0.0.1:PORT

 private:
  admin_http() = default;
  void loop();
  void serve(int fd);

  int listen_fd_ = -1;
  int wake_fd_ = -1;
  std::string url_;
  handler handler_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace mf::nodes
