// Tests of the --url split used by the HTTP load: host, port, Host header, path prefix.
#include "nodes/bench/http_url.hpp"

#include <doctest/doctest.h>

using mf::bench::parse_http_url;

TEST_CASE("parse_http_url: host, port, Host header and prefix as the old client concatenated") {
  auto u = parse_http_url("http://127.0.0.1:8080");
  REQUIRE(u);
  CHECK(u->host == "127.0.0.1");
  CHECK(u->port == "8080");
  CHECK(u->authority == "127.0.0.1:8080");
  CHECK(u->prefix == "");

  u = parse_http_url("HTTP://localhost/");
  REQUIRE(u);
  CHECK(u->host == "localhost");
  CHECK(u->port == "80");
  CHECK(u->authority == "localhost");
  CHECK(u->prefix == "");

  u = parse_http_url("http://peer:9000/api/");  // one trailing slash dropped, like before
  REQUIRE(u);
  CHECK(u->authority == "peer:9000");
  CHECK(u->prefix == "/api");

  u = parse_http_url("[::1]:8081/x");  // no scheme means http, as for curl
  REQUIRE(u);
  CHECK(u->host == "::1");
  CHECK(u->port == "8081");
  CHECK(u->authority == "[::1]:8081");
  CHECK(u->prefix == "/x");
}

TEST_CASE("parse_http_url rejects what the plain-HTTP client cannot do") {
  for (const char* bad : {"https://127.0.0.1:8443", "http://", "http://:80", "http://h:0",
                          "http://h:65536", "http://h:8x", "http://u:p@h:80", "http://[::1"}) {
    CAPTURE(bad);
    const auto u = parse_http_url(bad);
    REQUIRE_FALSE(u);
    CHECK(u.error().code == mf::errc::invalid_field);
  }
}
