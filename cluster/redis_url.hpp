// redis_url: parsed form of redis://[user:pass@]host:port/db (percent-decoding user and pass).
// Value type; parsing is a pure function, thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/expected.hpp"

namespace mf::cluster {

struct redis_url {
  std::string host = "127.0.0.1";
  std::uint16_t port = 6379;
  std::string user;      // empty: no ACL user (AUTH pass only, if a password is set)
  std::string password;  // empty: no AUTH
  int db = 0;
};

// Accepts redis://host, redis://host:port, redis://host:port/db, with optional userinfo
// "user:pass@", ":pass@" or "pass@"... Errors: errc::invalid_input with a reason.
expected<redis_url> parse_redis_url(std::string_view url);

// The URL without the password (for logs).
std::string redacted(const redis_url& url);

}  // namespace mf::cluster
