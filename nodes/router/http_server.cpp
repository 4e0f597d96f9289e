// http_server: RESTinio 0.6 with default_traits_t (strand-protected connections), so a
// response may be completed from the forwarder thread or a blocking-work thread.
#include "nodes/router/http_server.hpp"

#include <atomic>
#include <restinio/all.hpp>
#include <thread>
#include <vector>

namespace mf::router {
namespace {

using traits = restinio::default_traits_t;
using server_t = restinio::http_server_t<traits>;

std::string reason_of(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 409:
      return "Conflict";
    case 413:
      return "Payload Too Large";
    case 415:
      return "Unsupported Media Type";
    case 422:
      return "Unprocessable Entity";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return "Status";
  }
}

// HEAD (RFC 9110 9.3.2): the GET answer's status and headers, Content-Length included, no body.
void send_head(const restinio::request_handle_t& req, api_response r) {
  try {
    auto resp =
        req->create_response<restinio::user_controlled_output_t>(restinio::http_status_line_t{
            restinio::http_status_code_t{static_cast<std::uint16_t>(r.status)},
            reason_of(r.status)});
    if (r.status != 204)
      resp.append_header(restinio::http_field::content_type, std::string(r.content_type.view()));
    for (auto& [k, v] : r.headers) resp.append_header(k, v);
    resp.set_content_length(r.status != 204 ? r.body.size() : 0);
    resp.done();
  } catch (...) {
  }
}

void send(const restinio::request_handle_t& req, api_response r) {
  try {
    auto resp = req->create_response(restinio::http_status_line_t{
        restinio::http_status_code_t{static_cast<std::uint16_t>(r.status)}, reason_of(r.status)});
    if (r.status != 204)
      resp.append_header(restinio::http_field::content_type, std::string(r.content_type.view()));
    for (auto& [k, v] : r.headers) resp.append_header(k, v);
    if (r.status != 204) resp.set_body(std::move(r.body));
    resp.done();
  } catch (...) {
    // The connection may be gone already; nothing to answer to.
  }
}

}  // namespace

namespace {
// The reply callback of one request. It keeps the io_context alive until the request handle is
// gone (why: a reply may come after the server stopped, from a blocking-work thread, and the
// connection's timers live in the io_context; ASan saw a use after free). Members are destroyed
// in reverse order: the request first, then the server state.
struct pending_reply {
  std::shared_ptr<http_server::impl> keep;
  restinio::request_handle_t req;
  bool head = false;
  void operator()(api_response resp) const {
    head ? send_head(req, std::move(resp)) : send(req, std::move(resp));
  }
};
}  // namespace

struct http_server::impl {
  explicit impl(std::shared_ptr<asio::io_context> loop)
      : io_owner(loop ? std::move(loop) : std::make_shared<asio::io_context>()), io(*io_owner) {}
  std::shared_ptr<asio::io_context> io_owner;  // may be shared with the predict forwarder
  asio::io_context& io;
  // Keeps io.run() alive before the server is open and between connections.
  asio::executor_work_guard<asio::io_context::executor_type> guard = asio::make_work_guard(io);
  std::unique_ptr<server_t> server;
  std::vector<std::thread> threads;
  std::atomic<std::uint16_t> bound_port{0};
};

mf::expected<std::unique_ptr<http_server>> http_server::start(
    router_service& service, const std::string& address, std::uint16_t port, std::size_t threads,
    std::chrono::milliseconds header_timeout, std::shared_ptr<asio::io_context> loop) {
  auto p = std::make_shared<impl>(std::move(loop));
  auto* raw = p.get();
  std::weak_ptr<impl> weak = p;  // the handler lives in impl->server: no owning cycle
  try {
    p->server =
        std::make_unique<server_t>(restinio::external_io_context(p->io), [&](auto& settings) {
          settings.port(port)
              .address(address)
              // Uploads may be 256 MiB; the 64 MiB limit of other routes is checked per route
              // so the client gets a 413 envelope instead of a dropped connection.
              .incoming_http_msg_limits(
                  restinio::incoming_http_msg_limits_t{}.max_body_size(max_upload_bytes + 1))
              .read_next_http_message_timelimit(header_timeout)
              .handle_request_timeout(std::chrono::seconds(120))
              .write_http_response_timelimit(std::chrono::seconds(60))
              .acceptor_post_bind_hook([raw](asio::ip::tcp::acceptor& acceptor) {
                raw->bound_port.store(acceptor.local_endpoint().port());
              })
              .request_handler([&service, weak](restinio::request_handle_t req) {
                api_request r;
                auto server_state = weak.lock();
                r.keep_transport = server_state;
                r.keep_request = req;
                const auto& h = req->header();
                r.method = h.method().c_str();
                // HEAD is GET without the body: same route, status and headers.
                const bool head = r.method == "HEAD";
                if (head) r.method = "GET";
                r.path = h.path();
                try {
                  auto q =
                      restinio::parse_query<restinio::parse_query_traits::javascript_compatible>(
                          h.query());
                  for (const auto& [k, v] : q) r.query.emplace(std::string(k), std::string(v));
                } catch (const std::exception&) {
                  send(req, error_response(
                                mf::make_error(errc::invalid_field, "malformed query string")));
                  return restinio::request_accepted();
                }
                // Views of the parsed headers (get_field_or would copy each value first).
                const auto field = [&h](auto name) {
                  return h.opt_value_of(name).value_or(restinio::string_view_t{});
                };
                r.content_type = media_type(field(restinio::http_field::content_type));
                r.authorization = field(restinio::http_field::authorization);
                r.deadline_ms = field("X-Request-Deadline-Ms");
                r.body = req->body();
                // A reply may come after the server stopped (a blocking-work thread finishing):
                // it keeps the io_context alive until its request handle is gone (why: the
                // connection's timers live in the io_context; ASan saw a use after free).
                service.handle(std::move(r), pending_reply{std::move(server_state), req, head});
                return restinio::request_accepted();
              });
        });
  } catch (const std::exception& e) {
    return mf::make_error(errc::unavailable,
                          "cannot configure HTTP server: " + std::string(e.what()));
  }
  for (std::size_t i = 0; i < std::max<std::size_t>(1, threads); ++i) {
    p->threads.emplace_back([raw] {
      for (;;) {
        try {
          raw->io.run();
          return;
        } catch (...) {
          // a handler threw: keep serving
        }
      }
    });
  }
  std::unique_ptr<http_server> server(new http_server(std::move(p)));
  try {
    // open_sync posts the bind to the I/O threads and waits for it.
    server->impl_->server->open_sync();
  } catch (const std::exception& e) {
    return mf::make_error(errc::unavailable, "cannot start HTTP server on " + address + ":" +
                                                 std::to_string(port) + ": " + e.what());
  }
  return server;
}

http_server::http_server(std::shared_ptr<impl> p) : impl_(std::move(p)) {}

http_server::~http_server() {
  try {
    impl_->server->close_sync();
  } catch (...) {
  }
  impl_->guard.reset();
  impl_->io.stop();
  for (auto& t : impl_->threads) t.join();
  impl_->server.reset();
}

std::uint16_t http_server::port() const {
  return impl_->bound_port.load();
}

}  // namespace mf::router
