// http_client: one blocking HTTP request over libcurl (the CLI's only transport to a router).
// Thread-safe: each call uses its own curl handle; curl's global init runs once.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/expected.hpp"

namespace mf::cli {

struct http_request {
  std::string method = "GET";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;  // sent as is when non-empty or when the method is POST/PUT/PATCH
  std::chrono::milliseconds timeout{30000};
};

struct http_response {
  long status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // names lower-cased; last value wins

  // The header's value or "" (name compared case-insensitively).
  std::string header(std::string_view name) const;
};

// Performs the request. A transport failure (refused, timeout, bad URL) is errc::unavailable
// (or deadline_exceeded on timeout) with curl's message; any HTTP status is a response.
mf::expected<http_response> http_perform(const http_request& request);

// Percent-encodes a path segment or query value (RFC 3986 unreserved characters kept).
std::string url_encode(std::string_view text);

}  // namespace mf::cli
