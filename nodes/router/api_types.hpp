// api_types: the router's transport-neutral request/response values and the error envelope.
// Value types; not thread-safe (move them between threads).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/error.hpp"

namespace mf::router {

// Body size limits (API.md: upload 256 MiB, other bodies 64 MiB; 413 above).
inline constexpr std::size_t max_upload_bytes = 256u << 20;
inline constexpr std::size_t max_body_bytes = 64u << 20;

struct api_request {
  std::string method;                        // "GET", "POST", ...
  std::string path;                          // without the query string, still percent-encoded
  std::map<std::string, std::string> query;  // decoded
  std::string content_type;                  // media type only, lower-case, no parameters
  std::string authorization;                 // raw header value
  std::string deadline_ms;                   // raw X-Request-Deadline-Ms value, empty if absent
  std::string body;
};

struct api_response {
  int status = 200;
  std::string content_type = "application/json";
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
