// Each algorithm reaches a stated quality on synthetic data it must be able to learn.
#include <doctest/doctest.h>

#include <map>
#include <set>

#include "ml/ml.hpp"
#include "synthetic.hpp"

using namespace mf::ml;

namespace {

trained_model must_train(std::string_view algorithm, const dataset& data, const params& p = {}) {
  auto r = train(algorithm, p, data, {});
  if (!r) FAIL_CHECK(std::string(algorithm) << ": " << r.error().message);
  REQUIRE(r.has_value());
  REQUIRE(r->model);
  CHECK(r->model->algorithm() == algorithm);
  return std::move(r).value();
}

double metric(const trained_model& t, const std::string& name) {
  auto it = t.metrics.values.find(name);
  REQUIRE_MESSAGE(it != t.metrics.values.end(), "missing metric " << name);
  return it->second;
}

}  // namespace

TEST_CASE("logistic_regression separates linearly separable data (accuracy >= 0.95)") {
  const auto t = must_train("logistic_regression", test::separable(300, 4));
  CHECK(t.metrics.primary == "accuracy");
  CHECK(metric(t, "accuracy") >= 0.95);
  CHECK(metric(t, "auc") >= 0.95);
  CHECK(metric(t, "f1") >= 0.9);
  prediction p;
  const auto rows = test::random_rows(5, 4);
  REQUIRE(t.model->predict(rows, 5, p));
  REQUIRE(p.n_prob_columns == 1);
  REQUIRE(p.probabilities.size() == 5);
  for (std::size_t i = 0; i < 5; ++i) {
    CHECK(p.probabilities[i] >= 0.0);
    CHECK(p.probabilities[i] <= 1.0);
    CHECK((p.values[i] == 1.0) == (p.probabilities[i] > 0.5));  // label agrees with P(positive)
  }
}

TEST_CASE("logistic_regression is multinomial and maps arbitrary integer labels back") {
  const auto t = must_train("logistic_regression", test::blobs(60, {3, 7, 9}));
  CHECK(metric(t, "accuracy") >= 0.95);
  prediction p;
  const auto data = test::blobs(5, {3, 7, 9}, 2, 99);
  REQUIRE(t.model->predict(data.features, data.rows(), p));
  CHECK(p.n_prob_columns == 3);
  for (std::size_t i = 0; i < p.values.size(); ++i) {
    CHECK(p.values[i] == data.labels[i]);
    CHECK(p.probabilities[i * 3] + p.probabilities[i * 3 + 1] + p.probabilities[i * 3 + 2] ==
          doctest::Approx(1.0));
  }
}

TEST_CASE("linear_svm separates linearly separable data, with labels -1/+1") {
  const auto t = must_train("linear_svm", test::separable(300, 4, -1, 1));
  CHECK(metric(t, "accuracy") >= 0.95);
  CHECK(metric(t, "auc") >= 0.95);
  prediction p;
  const auto rows = test::random_rows(20, 4);
  REQUIRE(t.model->predict(rows, 20, p));
  CHECK(p.probabilities.empty());
  for (double v : p.values) CHECK((v == -1.0 || v == 1.0));
}

TEST_CASE("linear_svm is binary only") {
  auto r = train("linear_svm", {}, test::blobs(20, {0, 1, 2}), {});
  REQUIRE_FALSE(r);
  CHECK(r.error().code == mf::errc::invalid_input);
}

TEST_CASE("svm_rbf learns the circle (accuracy >= 0.9)") {
  const auto t = must_train("svm_rbf", test::circle(300));
  CHECK(metric(t, "accuracy") >= 0.9);
  CHECK(metric(t, "auc") >= 0.9);
}

TEST_CASE("svm_rbf is multiclass through one-vs-one") {
  const auto t = must_train("svm_rbf", test::blobs(40, {10, 20, 30, 40}));
  CHECK(metric(t, "accuracy") >= 0.95);
  CHECK(t.metrics.values.count("auc") == 0);  // AUC is binary only
}

TEST_CASE("mlp learns the circle (accuracy >= 0.9)") {
  const auto t = must_train("mlp", test::circle(300));
  CHECK(metric(t, "accuracy") >= 0.9);
  prediction p;
  const std::vector<double> rows{0.0, 0.0, 0.95, 0.95};
  REQUIRE(t.model->predict(rows, 2, p));
  CHECK(p.values[0] == 1.0);  // the centre is inside
  CHECK(p.values[1] == 0.0);  // a corner is outside
  CHECK(p.probabilities[0] > 0.5);
  CHECK(p.probabilities[1] < 0.5);
}

TEST_CASE("multiclass_linear separates blobs with labels 3, 7, 9") {
  const auto t = must_train("multiclass_linear", test::blobs(60, {3, 7, 9}));
  CHECK(metric(t, "accuracy") >= 0.95);
  prediction p;
  const auto data = test::blobs(5, {3, 7, 9}, 2, 77);
  REQUIRE(t.model->predict(data.features, data.rows(), p));
  for (std::size_t i = 0; i < p.values.size(); ++i) CHECK(p.values[i] == data.labels[i]);
}

TEST_CASE("linear_regression and krr_rbf fit a linear target (R2 >= 0.95)") {
  for (const char* algorithm : {"linear_regression", "krr_rbf"}) {
    CAPTURE(algorithm);
    const auto t = must_train(algorithm, test::linear_target(300));
    CHECK(t.metrics.primary == "rmse");
    CHECK(metric(t, "r2") >= 0.95);
    CHECK(metric(t, "rmse") < 0.5);
    CHECK(metric(t, "mae") < 0.5);
  }
}

TEST_CASE("linear_regression recovers the coefficients") {
  const auto t = must_train("linear_regression", test::linear_target(300));
  prediction p;
  const std::vector<double> rows{0, 0, 0, 1, 0, 0};
  REQUIRE(t.model->predict(rows, 2, p));
  CHECK(p.values[0] == doctest::Approx(1.0).epsilon(0.05));
  CHECK(p.values[1] - p.values[0] == doctest::Approx(3.0).epsilon(0.05));
}

TEST_CASE("random_forest fits a nonlinear target (R2 >= 0.8)") {
  const auto t = must_train("random_forest", test::nonlinear_target(400));
  CHECK(metric(t, "r2") >= 0.8);
}

TEST_CASE("kmeans recovers 3 blobs without labels") {
  auto data = test::blobs(50, {0, 1, 2});
  const auto truth = data.labels;
  data.labels.clear();
  const auto t = must_train("kmeans", data, {{"k", 3}});
  CHECK(t.metrics.primary == "inertia");
  CHECK(metric(t, "inertia") < 1.0);  // blobs have variance 0.25 per axis before scaling
  prediction p;
  REQUIRE(t.model->predict(data.features, data.rows(), p));
  std::map<double, std::set<double>> clusters_of_blob;
  for (std::size_t i = 0; i < truth.size(); ++i) clusters_of_blob[truth[i]].insert(p.values[i]);
  std::set<double> used;
  for (const auto& [blob, clusters] : clusters_of_blob) {
    CHECK(clusters.size() == 1);  // a blob is one cluster
    used.insert(*clusters.begin());
  }
  CHECK(used.size() == 3);  // and the three blobs are three different clusters
}

TEST_CASE("auto picks a nonlinear model on the circle and records every candidate") {
  auto r = train("auto", {}, test::circle(300), {});
  REQUIRE(r);
  const std::string chosen(r->model->algorithm());
  CHECK((chosen == "svm_rbf" || chosen == "mlp"));
  REQUIRE(r->candidates.size() == 3);
  double best = 0;
  for (const auto& [name, m] : r->candidates) {
    CHECK(m.primary == "accuracy");
    best = std::max(best, m.values.at("accuracy"));
  }
  CHECK(r->metrics.values.at("accuracy") == best);
  CHECK(r->metrics.values.at("accuracy") >= 0.9);
}

TEST_CASE("auto treats non-integer labels as regression") {
  auto r = train("auto", {}, test::nonlinear_target(200), {});
  REQUIRE(r);
  REQUIRE(r->candidates.size() == 3);
  CHECK(r->candidates[0].first == "linear_regression");
  CHECK(r->metrics.primary == "rmse");
  for (const auto& [name, m] : r->candidates) {
    CHECK_FALSE(better_than("rmse", m.values.at("rmse"), r->metrics.values.at("rmse")));
  }
}
