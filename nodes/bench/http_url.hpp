// http_url: splits the bench's --url (e.g. http://127.0.0.1:8080 or http://host/prefix/) into
// what a plain-HTTP client needs: where to connect, the Host header, and the path prefix every
// request target starts with. Pure function; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "common/expected.hpp"

namespace mf::bench {

struct http_url {
  std::string host;       // name or address to resolve (IPv6 without its brackets)
  std::string port;       // "80" when the URL has none
  std::string authority;  // the Host header: host[:port] as written in the URL
  std::string prefix;     // "" or "/prefix": prepended to every request path
};

// Only http:// (or no scheme, which means http, as for curl). One trailing '/' is dropped so
// that prefix + "/v1/..." never doubles the slash (the libcurl client concatenated the same way).
mf::expected<http_url> parse_http_url(std::string_view url);

}  // namespace mf::bench
