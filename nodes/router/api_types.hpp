// api_types: the router's transport-neutral request/response values and the error envelope.
// Value types; not thread-safe (move them between threads).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/error.hpp"

namespace mf::router {

// Body size limits (API.md: upload 256 MiB, other bodies 64 MiB; 413 above).
inline constexpr std::size_t max_upload_bytes = 256u << 20;
inline constexpr std::size_t max_body_bytes = 64u << 20;

// The views point into the transport's own request (RESTinio's parsed headers and body), which
// `keep_request` holds alive for as long as the api_request lives (moves and copies included):
// copying them cost a handful of allocations per request and a second copy of every upload.
struct api_request {
  // What the request needs to be destroyed safely (the HTTP server's state: its timers live
  // in that io_context). Declared first, so it is released after keep_request.
  std::shared_ptr<const void> keep_transport;
  std::shared_ptr<const void> keep_request;  // owner of the bytes the views point into
  std::string_view method;                   // "GET", "POST", ...
  std::string_view path;                     // without the query string, still percent-encoded
  std::map<std::string, std::string> query;  // decoded
  std::string content_type;                  // media type only, lower-case, no parameters
  std::string_view authorization;            // raw header value
  std::string_view deadline_ms;              // raw X-Request-Deadline-Ms value, empty if absent
  std::string_view body;
};

// A string literal, and nothing else: constructible only from one at compile time, so a view of
// a std::string that could dangle does not compile. Response media types are a few fixed ones;
// a std::string would allocate for "application/json" (16 characters, one past the short-string
// buffer) on every response.
class literal_text {
 public:
  template <std::size_t N>
  consteval literal_text(const char (&text)[N]) : view_(text, N - 1) {}  // NOLINT: implicit
  std::string_view view() const { return view_; }
  friend bool operator==(literal_text a, std::string_view b) { return a.view_ == b; }

 private:
  std::string_view view_;
};

struct api_response {
  int status = 200;
  literal_text content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

// {"error":{"code":"<to_string(code)>","message":"..."}} with status http_status(code).
api_response error_response(const mf::error& e);
api_response json_response(int status, std::string body);
// 204 and 202 answers with no interesting body.
api_response empty_response(int status);

// The media type of a Content-Type header: lower-cased, parameters (";charset=...") dropped.
std::string media_type(std::string_view content_type);

}  // namespace mf::router
