#include "cluster/redis_url.hpp"

#include <charconv>

namespace mf::cluster {
namespace {

error bad(std::string why) {
  return make_error(errc::invalid_input, "redis url: " + why);
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

expected<std::string> percent_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out.push_back(s[i]);
      continue;
    }
    if (i + 2 >= s.size()) return bad("truncated %-escape");
    int hi = hex_value(s[i + 1]), lo = hex_value(s[i + 2]);
    if (hi < 0 || lo < 0) return bad("bad %-escape");
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return out;
}

template <class Int>
bool parse_int(std::string_view s, Int& out) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

}  // namespace

expected<redis_url> parse_redis_url(std::string_view url) {
  constexpr std::string_view scheme = "redis://";
  if (url.substr(0, scheme.size()) != scheme) return bad("must start with redis://");
  std::string_view rest = url.substr(scheme.size());
  redis_url out;

  // Userinfo ends at the LAST '@' so that a password may contain '@' unescaped.
  if (auto at = rest.rfind('@'); at != std::string_view::npos) {
    std::string_view userinfo = rest.substr(0, at);
    rest = rest.substr(at + 1);
    std::string_view user, pass;
    if (auto colon = userinfo.find(':'); colon != std::string_view::npos) {
      user = userinfo.substr(0, colon);
      pass = userinfo.substr(colon + 1);
    } else {
      pass = userinfo;  // redis://secret@host: a bare password, as redis-cli reads it
    }
    auto u = percent_decode(user);
    if (!u) return std::move(u).error();
    auto p = percent_decode(pass);
    if (!p) return std::move(p).error();
    out.user = std::move(*u);
    out.password = std::move(*p);
    if (!out.user.empty() && out.password.empty()) return bad("user without password");
  }

  std::string_view hostport = rest;
  if (auto slash = rest.find('/'); slash != std::string_view::npos) {
    hostport = rest.substr(0, slash);
    std::string_view db = rest.substr(slash + 1);
    if (!db.empty()) {
      if (!parse_int(db, out.db) || out.db < 0 || out.db > 1000000) return bad("bad db index");
    }
  }
  std::string_view host = hostport;
  if (auto colon = hostport.rfind(':'); colon != std::string_view::npos) {
    host = hostport.substr(0, colon);
    unsigned port = 0;
    if (!parse_int(hostport.substr(colon + 1), port) || port == 0 || port > 65535) {
      return bad("bad port");
    }
    out.port = static_cast<std::uint16_t>(port);
  }
  if (host.empty()) return bad("missing host");
  for (char c : host) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '-' || c == '_';
    if (!ok) return bad("bad host");
  }
  out.host = std::string(host);
  return out;
}

std::string redacted(const redis_url& url) {
  std::string auth;
  if (!url.user.empty())
    auth = url.user + ":***@";
  else if (!url.password.empty())
    auth = ":***@";
  return "redis://" + auth + url.host + ":" + std::to_string(url.port) + "/" +
         std::to_string(url.db);
}

}  // namespace mf::cluster
