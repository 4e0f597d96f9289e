// The logistic models' probabilities take one exponential per class (a speed change on the
// predict path): they must be the very same doubles the textbook softmax gives, for binary and
// multi-class models, at ties, at large score gaps (exp underflow) and at ordinary values.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <random>

#include "ml/internal.hpp"
#include "ml/ml.hpp"
#include "synthetic.hpp"

using namespace mf::ml;

namespace {

bool same_bits(double a, double b) {
  return std::memcmp(&a, &b, sizeof a) == 0;
}

// A logistic model over k features whose class scores are the features themselves (W = I,
// b = 0, identity scaler), so a row sets the scores directly. Built through the artifact loader, as
// a worker would.
std::shared_ptr<const model> identity_logistic(std::size_t k) {
  std::vector<double> labels;
  for (std::size_t c = 0; c < k; ++c) labels.push_back(static_cast<double>(c));
  auto trained = train("logistic_regression", {}, test::blobs(20, labels), {});
  REQUIRE(trained);
  model_meta meta = trained->model->meta();
  meta.n_features = k;
  meta.scale_mean.assign(k, 0.0);  // an identity scaler: (x - 0) * 1 is exactly x
  meta.scale_inv_std.assign(k, 1.0);
  std::string payload;
  detail::payload_writer w(payload);
  w.tag("mf.linear");
  w.u64(2);  // softmax
  w.u64(k);
  std::vector<double> weights(k * k, 0.0), bias(k, 0.0);
  for (std::size_t c = 0; c < k; ++c) weights[c * k + c] = 1.0;
  w.f64s(weights);
  w.f64s(bias);
  auto loaded = load_artifact(detail::encode_artifact(meta, payload));
  REQUIRE_MESSAGE(loaded, (loaded ? "" : loaded.error().message));
  return std::move(loaded).value();
}

// The softmax as written before the change: every term exponentiated where it is used.
std::vector<double> textbook_softmax(const double* s, std::size_t k) {
  std::size_t best = 0;
  for (std::size_t c = 1; c < k; ++c)
    if (s[c] > s[best]) best = c;
  double sum = 0;
  for (std::size_t c = 0; c < k; ++c) sum += std::exp(s[c] - s[best]);
  std::vector<double> p;
  if (k == 2) return {std::exp(s[1] - s[best]) / sum};
  for (std::size_t c = 0; c < k; ++c) p.push_back(std::exp(s[c] - s[best]) / sum);
  return p;
}

void check_rows(std::size_t k, const std::vector<double>& rows) {
  auto m = identity_logistic(k);
  const std::size_t n = rows.size() / k;
  prediction out;
  REQUIRE(m->predict(rows, n, out));
  const std::size_t cols = k == 2 ? 1 : k;
  REQUIRE(out.probabilities.size() == n * cols);
  std::size_t differing = 0;
  for (std::size_t r = 0; r < n; ++r) {
    const auto want = textbook_softmax(rows.data() + r * k, k);
    for (std::size_t c = 0; c < cols; ++c)
      if (!same_bits(out.probabilities[r * cols + c], want[c])) ++differing;
  }
  CHECK(differing == 0);
}

std::vector<double> score_rows(std::size_t k) {
  std::vector<double> rows;
  // Ties, a zero gap, gaps past exp's underflow, and tiny gaps.
  const double fixed[] = {0.0, 0.0, 1.0, 1.0, -3.0, 750.0, 750.0, -3.0, 1e-300, 0.0, -0.0, 0.0};
  for (std::size_t i = 0; i + k <= std::size(fixed); i += k)
    rows.insert(rows.end(), fixed + i, fixed + i + k);
  std::mt19937_64 rng(7);
  std::normal_distribution<double> score(0.0, 6.0);
  for (int i = 0; i < 20000; ++i)
    for (std::size_t c = 0; c < k; ++c) rows.push_back(score(rng));
  return rows;
}

}  // namespace

TEST_CASE("binary logistic probabilities are bit-identical to the textbook softmax") {
  check_rows(2, score_rows(2));
}

TEST_CASE("multi-class logistic probabilities are bit-identical to the textbook softmax") {
  check_rows(3, score_rows(3));
  check_rows(4, score_rows(4));
}
