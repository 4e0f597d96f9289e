// http_server: RESTinio front end of the router: turns HTTP requests into api_request values,
// hands them to router_service and writes the answer whenever it comes (from any thread).
// start()/stop() from one controlling thread; the server runs on its own I/O threads.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "common/expected.hpp"
#include "nodes/router/router_service.hpp"

namespace asio {
class io_context;
}

namespace mf::router {

class http_server {
 public:
  // Binds address:port (port 0 = pick a free one) and starts `threads` I/O threads. A
  // connection that has not sent a whole request (headers and body) within `header_timeout`
  // of starting it is closed: slowloris clients cannot hold connections open. With `loop`, the
  // server runs on that io_context (shared with the predict forwarder when `threads` is 1, so
  // a predict is forwarded and answered on one thread); otherwise on one of its own.
  static mf::expected<std::unique_ptr<http_server>> start(
      router_service& service, const std::string& address, std::uint16_t port,
      std::size_t threads = 2,
      std::chrono::milliseconds header_timeout = std::chrono::milliseconds(10000),
      std::shared_ptr<asio::io_context> loop = nullptr);
  ~http_server();  // stops accepting, closes connections, stops the loop, joins its threads
  std::uint16_t port() const;

  struct impl;

 private:
  explicit http_server(std::shared_ptr<impl> p);
  std::shared_ptr<impl> impl_;  // shared with replies still pending at shutdown
};

}  // namespace mf::router
