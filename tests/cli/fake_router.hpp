// fake_router: a tiny blocking HTTP/1.1 server on 127.0.0.1 (free port) that answers each
// request with a handler's response and records what it got. For CLI tests only.
// Thread-safe: the handler runs on the server thread; requests() copies under a mutex.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace mf::test {

struct fake_request {
  std::string method;
  std::string target;                          // path + query as sent
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  std::string path() const { return target.substr(0, target.find('?')); }
  std::string query() const {
    const auto q = target.find('?');
    return q == std::string::npos ? std::string() : target.substr(q + 1);
  }
};

struct fake_response {
  fake_response(int s = 200, std::string b = {}, std::string type = "application/json")
      : status(s), body(std::move(b)), content_type(std::move(type)) {}
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
  std::map<std::string, std::string> headers;
};

class fake_router {
 public:
  using handler = std::function<fake_response(const fake_request&)>;
  explicit fake_router(handler h);
  ~fake_router();
  fake_router(const fake_router&) = delete;
  fake_router& operator=(const fake_router&) = delete;

  std::string url() const;
  std::vector<fake_request> requests() const;

 private:
  void serve();
  void serve_one(int fd);

  handler handler_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  mutable std::mutex mutex_;
  std::vector<fake_request> requests_;
  std::thread thread_;
};

}  // namespace mf::test
