// JSON and CSV dataset parsing, and errors that name the row and column.
#include <doctest/doctest.h>

#include "ml/ml.hpp"

using namespace mf::ml;

namespace {

std::string error_of(const mf::expected<dataset>& r) {
  REQUIRE_FALSE(r);
  return r.error().message;
}

}  // namespace

TEST_CASE("JSON datasets parse features and labels") {
  auto d = parse_json_dataset(R"({"features":[[0.1,2.3,1.0],[0.7,0.2,3.1]],"labels":[1,0]})");
  REQUIRE(d);
  CHECK(d->n_features == 3);
  CHECK(d->rows() == 2);
  CHECK(d->features == std::vector<double>{0.1, 2.3, 1.0, 0.7, 0.2, 3.1});
  CHECK(d->labels == std::vector<double>{1, 0});
  auto unlabelled = parse_json_dataset(R"({"features":[[1],[2],[3]]})");
  REQUIRE(unlabelled);
  CHECK(unlabelled->labels.empty());
}

TEST_CASE("JSON dataset errors name the row and column") {
  CHECK(error_of(parse_json_dataset(R"({"features":[[1,2],[3,"x"]],"labels":[1,0]})"))
            .find("row 1, column 1") != std::string::npos);
  CHECK(error_of(parse_json_dataset(R"({"features":[[1,2],[3]],"labels":[1,0]})")).find("row 1") !=
        std::string::npos);
  CHECK(error_of(parse_json_dataset(R"({"features":[[1,2],[3,4]],"labels":[1]})")).find("labels") !=
        std::string::npos);
  CHECK(error_of(parse_json_dataset(R"({"features":[[1,2],[3,4]],"labels":[1,null]})"))
            .find("row 1") != std::string::npos);
  CHECK(error_of(parse_json_dataset(R"({"features":[]})")).find("features") != std::string::npos);
  CHECK(error_of(parse_json_dataset(R"({"features":[[[1]]]})")).find("row 0, column 0") !=
        std::string::npos);
  auto malformed = parse_json_dataset("{\"features\":");
  REQUIRE_FALSE(malformed);
  CHECK(malformed.error().code == mf::errc::malformed_json);
  CHECK_FALSE(
      parse_json_dataset(std::string(100000, '[')));  // deep nesting is refused, not recursed into
  CHECK_FALSE(parse_json_dataset("[1,2]"));
}

TEST_CASE("CSV datasets: header row, label column by name, quoting, CRLF") {
  auto d = parse_csv_dataset("a,label,b\r\n1,0,2.5\r\n3,1,-4e1\r\n\r\n", "label");
  REQUIRE(d);
  CHECK(d->n_features == 2);
  CHECK(d->features == std::vector<double>{1, 2.5, 3, -40});
  CHECK(d->labels == std::vector<double>{0, 1});
  auto quoted = parse_csv_dataset("\"x, the first\",\"y\"\"\"\n\"1\",2\n", "y\"");
  REQUIRE(quoted);
  CHECK(quoted->features == std::vector<double>{1});
  CHECK(quoted->labels == std::vector<double>{2});
  auto unlabelled = parse_csv_dataset("a,b\n1,2\n3,4", "");
  REQUIRE(unlabelled);
  CHECK(unlabelled->n_features == 2);
  CHECK(unlabelled->rows() == 2);
  CHECK(unlabelled->labels.empty());
}

TEST_CASE("CSV dataset errors name the row and column") {
  CHECK(error_of(parse_csv_dataset("a,b,y\n1,2,0\n3,oops,1\n", "y"))
            .find("row 2 (line 3), column 'b'") != std::string::npos);
  CHECK(error_of(parse_csv_dataset("a,b,y\n1,2,0\n3,1\n", "y")).find("row 2") != std::string::npos);
  CHECK(error_of(parse_csv_dataset("a,b\n1,2\n", "label")).find("'label'") != std::string::npos);
  CHECK(error_of(parse_csv_dataset("a,b\n1,nan\n", "")).find("column 'b'") != std::string::npos);
  CHECK(error_of(parse_csv_dataset("a,b\n", "")).find("no rows") != std::string::npos);
  CHECK(error_of(parse_csv_dataset("", "")).find("header") != std::string::npos);
  CHECK(error_of(parse_csv_dataset("a,\"b\n1,2\n", "")).find("unterminated") != std::string::npos);
  CHECK(error_of(parse_csv_dataset("y\n1\n", "y")).find("no feature") != std::string::npos);
}

TEST_CASE("a parsed dataset trains") {
  std::string csv = "x,y,label\n";
  for (int i = 0; i < 40; ++i)
    csv +=
        std::to_string(i % 2 ? 1 + i * 0.01 : -1 - i * 0.01) + ",0.5," + (i % 2 ? "1" : "0") + "\n";
  auto d = parse_csv_dataset(csv, "label");
  REQUIRE(d);
  auto t = train("logistic_regression", {}, *d, {});
  REQUIRE(t);
  CHECK(t->metrics.values.at("accuracy") == 1.0);
}
