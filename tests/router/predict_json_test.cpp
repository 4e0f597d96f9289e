// Unit tests of the predict body parser: shapes, limits and the error each bad input gets.
#include <doctest/doctest.h>

#include <string>

#include "nodes/router/predict_json.hpp"

using mf::errc;
using mf::router::parse_predict_body;

namespace {
errc code_of(std::string_view body) {
  auto r = parse_predict_body(body);
  REQUIRE_FALSE(r.has_value());
  return r.error().code;
}
std::string message_of(std::string_view body) {
  auto r = parse_predict_body(body);
  REQUIRE_FALSE(r.has_value());
  return r.error().message;
}
}  // namespace

TEST_CASE("a well-formed body becomes one flat row-major buffer") {
  auto r =
      parse_predict_body(R"({"instances": [[0.1, 2.3, 1], [0.5, -1.1e2, 0.0]], "version": 3})");
  REQUIRE(r.has_value());
  CHECK(r->n_features == 3);
  CHECK(r->rows() == 2);
  CHECK(r->features == std::vector<double>{0.1, 2.3, 1.0, 0.5, -110.0, 0.0});
  REQUIRE(r->version.has_value());
  CHECK(*r->version == 3);
}

TEST_CASE("version is optional, null allowed, unknown fields ignored") {
  auto r = parse_predict_body(R"({"extra": {"a": [1, 2]}, "instances": [[1]], "version": null})");
  REQUIRE(r.has_value());
  CHECK_FALSE(r->version.has_value());
  CHECK(r->rows() == 1);
}

TEST_CASE("malformed JSON is 400 malformed_json") {
  CHECK(code_of("") == errc::malformed_json);
  CHECK(code_of("{") == errc::malformed_json);
  CHECK(code_of(R"({"instances": [[1, 2], [3, 4])") == errc::malformed_json);
  CHECK(code_of(R"({"instances": [[1, 2]]} trailing)") == errc::malformed_json);
  CHECK(code_of("\"unterminated") == errc::malformed_json);
}

TEST_CASE("wrong field types are 400 invalid_field") {
  CHECK(code_of("[]") == errc::invalid_field);
  CHECK(code_of("{}") == errc::invalid_field);
  CHECK(code_of(R"({"instances": 5})") == errc::invalid_field);
  CHECK(code_of(R"({"instances": [[1]], "version": "3"})") == errc::invalid_field);
  CHECK(code_of(R"({"instances": [[1]], "version": 0})") == errc::invalid_field);
  CHECK(code_of(R"({"instances": [[1]], "version": 1.5})") == errc::invalid_field);
}

TEST_CASE("NaN and Inf in every spelling are 422 naming the position") {
  for (std::string bad : {"NaN", "nan", "Infinity", "-Infinity", "inf", "-inf", "\"NaN\"",
                          "\"Infinity\"", "1e999", "-1e999"}) {
    std::string body = R"({"instances": [[1, 2], [3, )" + bad + "]]}";
    CAPTURE(body);
    auto r = parse_predict_body(body);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == errc::invalid_input);
    CHECK(r.error().message.find("instances[1][1]") != std::string::npos);
  }
}

TEST_CASE("strings, booleans, nulls and nested arrays as features are 422 with the index") {
  for (std::string bad : {"\"1.0\"", "true", "null", "[1]", "{}"}) {
    std::string body = R"({"instances": [[1, 2, 3], [4, 5, )" + bad + "]]}";
    CAPTURE(body);
    auto r = parse_predict_body(body);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == errc::invalid_input);
    CHECK(r.error().message.find("instances[1][2]") != std::string::npos);
  }
}

TEST_CASE("ragged rows are 422 naming the instance") {
  CHECK(code_of(R"({"instances": [[1, 2], [3]]})") == errc::invalid_input);
  CHECK(message_of(R"({"instances": [[1, 2], [3]]})").find("instances[1]") != std::string::npos);
  CHECK(message_of(R"({"instances": [[1, 2], [3, 4], [5, 6, 7]]})").find("instances[2]") !=
        std::string::npos);
  CHECK(code_of(R"({"instances": [[1], 2]})") == errc::invalid_input);
}

TEST_CASE("empty instances or an empty first row are 422") {
  CHECK(code_of(R"({"instances": []})") == errc::invalid_input);
  CHECK(code_of(R"({"instances": [[]]})") == errc::invalid_input);
}

TEST_CASE("10,000 instances pass, 10,001 are 422") {
  auto make = [](int n) {
    std::string body = R"({"instances": [)";
    for (int i = 0; i < n; ++i) body += (i ? ",[1.5,2]" : "[1.5,2]");
    return body + "]}";
  };
  auto ok = parse_predict_body(make(10'000));
  REQUIRE(ok.has_value());
  CHECK(ok->rows() == 10'000);
  CHECK(ok->features.size() == 20'000);
  auto r = parse_predict_body(make(10'001));
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == errc::invalid_input);
  CHECK(r.error().message.find("10000") != std::string::npos);
}
