// Human output pieces: CSV parsing for predict, table layout, value cells, the progress bar.
#include <doctest/doctest.h>

#include <sstream>

#include "nodes/cli/api_client.hpp"
#include "nodes/cli/csv_rows.hpp"
#include "nodes/cli/output.hpp"

using namespace mf::cli;

TEST_CASE("parse_csv_numbers: header detection, dropped columns, errors with positions") {
  auto t = parse_csv_numbers("a,b,label\n1,2.5,0\n\n-3,4e2,1\n", {"label"});
  REQUIRE(t);
  CHECK(t->header == std::vector<std::string>{"a", "b", "label"});
  CHECK(t->rows == std::vector<std::vector<double>>{{1, 2.5}, {-3, 400}});

  auto no_header = parse_csv_numbers("1,2\r\n3,4\r\n");
  REQUIRE(no_header);
  CHECK(no_header->header.empty());
  CHECK(no_header->rows.size() == 2);

  auto ragged = parse_csv_numbers("a,b\n1,2\n3\n");
  REQUIRE(!ragged);
  CHECK(ragged.error().code == mf::errc::invalid_input);
  CHECK(ragged.error().message == "line 3 has 1 columns, expected 2");

  auto nan = parse_csv_numbers("a,b\n1,nan\n");
  REQUIRE(!nan);
  CHECK(nan.error().message == "line 2, column 2: 'nan' is not a finite number");
  CHECK(!parse_csv_numbers("a,b\n1,x\n"));
  CHECK(!parse_csv_numbers("a,b\n"));                    // no rows
  CHECK(!parse_csv_numbers("1,2\n", {"label"}));         // drop needs a header
  CHECK(!parse_csv_numbers("a,b\n1,2\n", {"missing"}));  // unknown column
  CHECK(split_csv_line(R"("x, y",2,"say ""hi""")") ==
        std::vector<std::string>{"x, y", "2", "say \"hi\""});
  CHECK(csv_header("\nname,label\n1,2") == std::vector<std::string>{"name", "label"});
}

TEST_CASE("table pads columns; cells are compact") {
  table t({"A", "LONGER"});
  t.add_row({"wide-value", "1"});
  t.add_row({"x"});
  std::ostringstream out;
  t.print(out);
  CHECK(out.str() == "A           LONGER\nwide-value  1\nx           \n");

  CHECK(cell(nlohmann::json(nullptr)) == "-");
  CHECK(cell(nlohmann::json(0.930000001)) == "0.93");
  CHECK(cell(nlohmann::json(3.0)) == "3");
  CHECK(cell(nlohmann::json(true)) == "yes");
  CHECK(cell(nlohmann::json({"w1", "w2"})) == "w1,w2");
  CHECK(cell(nlohmann::json::object(), "missing") == "-");
  CHECK(human_bytes(512) == "512 B");
  CHECK(human_bytes(1536) == "1.5 KiB");
  CHECK(human_bytes(3.0 * 1024 * 1024 * 1024) == "3.0 GiB");
  CHECK(metrics_text({{"auc", 0.97}, {"accuracy", 0.93}, {"primary", "accuracy"}}) ==
        "accuracy=0.93 auc=0.97");
  CHECK(metrics_text(nullptr) == "-");
  CHECK(progress_bar(0.0, 10) == "[----------]   0%");
  CHECK(progress_bar(0.42, 10) == "[####------]  42%");
  CHECK(progress_bar(7.0, 10) == "[##########] 100%");
}

TEST_CASE("error codes round-trip and unknown envelopes fall back to the status") {
  CHECK(errc_from_string("not_found") == mf::errc::not_found);
  CHECK(errc_from_string("nope") == mf::errc::internal);
  http_response r;
  r.status = 429;
  r.body = R"({"error":{"code":"overloaded","message":"slow down"}})";
  CHECK(error_from_response(r) == mf::make_error(mf::errc::overloaded, "slow down"));
  r.body = R"({"error":{"code":"teapot","message":"short and stout"}})";
  CHECK(error_from_response(r).code == mf::errc::overloaded);
  r.status = 404;
  r.body = "<html>";
  CHECK(error_from_response(r) == mf::make_error(mf::errc::not_found, "HTTP 404: <html>"));
  CHECK(url_encode("a b/c") == "a%20b%2Fc");
  CHECK(model_path("t 1", "m") == "/v1/tenants/t%201/models/m");
}
