// http: a small blocking libcurl client for the chaos and security tests (keep-alive per
// client object). Not thread-safe: one http_client per thread.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace mf::chaos {

struct http_result {
  long status = 0;  // 0: transport error (refused, reset, timed out)
  std::string body;
  std::map<std::string, std::string> headers;  // lower-case names
};

class http_client {
 public:
  http_client();
  ~http_client();
  http_client(const http_client&) = delete;
  http_client& operator=(const http_client&) = delete;

  // One request on the reused connection. `timeout` bounds the whole exchange.
  http_result request(const std::string& method, const std::string& url,
                      const std::string& body = {}, const std::vector<std::string>& headers = {},
                      std::chrono::milliseconds timeout = std::chrono::milliseconds(10000));

 private:
  void* curl_;
};

// One-shot convenience (a fresh connection).
http_result http_request(const std::string& method, const std::string& url,
                         const std::string& body = {}, const std::vector<std::string>& headers = {},
                         std::chrono::milliseconds timeout = std::chrono::milliseconds(10000));

}  // namespace mf::chaos
