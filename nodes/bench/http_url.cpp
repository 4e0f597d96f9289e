// http_url: the --url split; see the header for the accepted forms.
#include "nodes/bench/http_url.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>

namespace mf::bench {

mf::expected<http_url> parse_http_url(std::string_view url) {
  auto invalid = [&](std::string_view why) {
    return mf::make_error(mf::errc::invalid_field,
                          "--url " + std::string(url) + ": " + std::string(why));
  };
  std::string_view rest = url;
  if (const auto sep = rest.find("://"); sep != std::string_view::npos) {
    std::string scheme(rest.substr(0, sep));
    std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                   [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
    if (scheme != "http") return invalid("only http:// is supported");
    rest.remove_prefix(sep + 3);
  }
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  const auto slash = rest.find('/');
  http_url out;
  out.authority = std::string(rest.substr(0, slash));
  out.prefix = slash == std::string_view::npos ? std::string() : std::string(rest.substr(slash));
  std::string_view authority = out.authority;
  if (authority.find('@') != std::string_view::npos) return invalid("user info is not supported");
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return invalid("unterminated IPv6 address");
    out.host = std::string(authority.substr(1, close - 1));
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return invalid("junk after the IPv6 address");
      port = after.substr(1);
    }
  } else {
    const auto colon = authority.find(':');
    out.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  }
  if (out.host.empty()) return invalid("no host");
  if (port.empty()) {
    out.port = "80";
  } else {
    const bool digits = port.size() <= 5 && std::all_of(port.begin(), port.end(), [](char ch) {
                          return ch >= '0' && ch <= '9';
                        });
    const long number = digits ? std::strtol(std::string(port).c_str(), nullptr, 10) : 0;
    if (number < 1 || number > 65535) return invalid("port must be in 1..65535");
    out.port = std::string(port);
  }
  return out;
}

}  // namespace mf::bench
