// predict_reply_json writes what the nlohmann tree it replaced dumped: byte for byte on common
// values, the same parsed document and exact doubles on all.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <random>

#include "nodes/router/predict_reply_json.hpp"

using mf::protocol::predict_reply;
using nlohmann::json;

namespace {

// The former implementation, kept as the reference.
std::string reference(const std::string& model, const predict_reply& r) {
  auto number = [](double v) {
    if (v == static_cast<double>(static_cast<std::int64_t>(v)) && v > -9.0e15 && v < 9.0e15)
      return json(static_cast<std::int64_t>(v));
    return json(v);
  };
  json preds = json::array();
  for (double v : r.predictions) preds.push_back(number(v));
  json j{{"model", r.model.empty() ? model : r.model},
         {"version", r.version},
         {"predictions", std::move(preds)}};
  if (!r.probabilities.empty() && r.n_prob_columns > 0) {
    json probs = json::array();
    if (r.n_prob_columns == 1) {
      for (double p : r.probabilities) probs.push_back(p);
    } else {
      for (std::size_t i = 0; i + r.n_prob_columns <= r.probabilities.size();
           i += r.n_prob_columns) {
        json row = json::array();
        for (std::size_t c = 0; c < r.n_prob_columns; ++c) row.push_back(r.probabilities[i + c]);
        probs.push_back(std::move(row));
      }
    }
    j["probabilities"] = std::move(probs);
  }
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace

TEST_CASE("predict reply JSON matches the nlohmann dump for labels, values and probabilities") {
  const double inf = std::numeric_limits<double>::infinity();
  const std::vector<double> edge = {
      0.0,   -0.0,    1.0,       -1.0,       0.5,       0.1,     1e-4, 1e-5,        0.00012,
      1e14,  1e15,    1e16,      1.5e15,     9e15,      -9.1e15, 1e21, 1e-300,      5e-324,
      1e308, 3.14159, 2.0 / 3.0, 123456.789, -0.000099, inf,     -inf, std::nan("")};
  predict_reply r;
  r.version = 42;
  r.predictions = edge;
  r.probabilities = edge;
  r.n_prob_columns = 1;
  CHECK(mf::router::predict_reply_json("m", r) == reference("m", r));

  r.n_prob_columns = 2;  // rows of two; the odd element left over is dropped, as before
  r.probabilities.push_back(0.25);
  CHECK(mf::router::predict_reply_json("m", r) == reference("m", r));

  // Random values: nlohmann's Grisu2 and std::to_chars (shortest, correctly rounded) may pick
  // a different last digit for the same double, so compare what a client reads: the parsed
  // document, and every number back to the exact double it was.
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::uniform_int_distribution<int> exponent(-20, 20);
  predict_reply random;
  random.model = "churn-v2";
  random.version = 7;
  random.n_prob_columns = 3;
  for (int i = 0; i < 30000; ++i) {
    random.predictions.push_back(std::ldexp(unit(rng) - 0.5, exponent(rng) * 3));
    random.probabilities.push_back(unit(rng));
  }
  const auto got = json::parse(mf::router::predict_reply_json("ignored", random));
  CHECK(got == json::parse(reference("ignored", random)));
  std::size_t exact = 0;
  for (std::size_t i = 0; i < random.predictions.size(); ++i)
    exact += got["predictions"][i].get<double>() == random.predictions[i];
  for (std::size_t i = 0; i < random.probabilities.size(); ++i)
    exact += got["probabilities"][i / 3][i % 3].get<double>() == random.probabilities[i];
  CHECK(exact == random.predictions.size() + random.probabilities.size());
}

TEST_CASE("predict reply JSON escapes the model name and omits empty probabilities") {
  predict_reply r;
  r.model = "we\"ird\\name\n";
  r.predictions = {1, 0};
  const auto body = mf::router::predict_reply_json("m", r);
  CHECK(body == reference("m", r));
  auto parsed = json::parse(body);
  CHECK(parsed["model"] == "we\"ird\\name\n");
  CHECK_FALSE(parsed.contains("probabilities"));
}
