// train(): params validation, dataset errors, progress, cancellation, determinism, metrics rules.
#include <doctest/doctest.h>

#include <atomic>
#include <cmath>
#include <cstring>
#include <thread>

#include "ml/ml.hpp"
#include "synthetic.hpp"

using namespace mf::ml;

TEST_CASE("algorithm names are exactly the documented ones") {
  for (const char* a : {"linear_regression", "logistic_regression", "linear_svm", "svm_rbf",
                        "krr_rbf", "random_forest", "multiclass_linear", "kmeans", "mlp", "auto"}) {
    CHECK(is_known_algorithm(a));
  }
  CHECK_FALSE(is_known_algorithm("svm"));
  CHECK_FALSE(is_known_algorithm(""));
  auto r = train("svm", {}, test::circle(20), {});
  REQUIRE_FALSE(r);
  CHECK(r.error().code == mf::errc::invalid_input);
}

TEST_CASE("validate_params rejects unknown, out-of-range, non-integer and non-finite values") {
  CHECK(validate_params("kmeans", {{"k", 3}}));
  CHECK(validate_params("svm_rbf", {{"c", 5}, {"gamma", 0.5}}));
  CHECK(validate_params("auto", {}));
  struct bad_case {
    const char* algorithm;
    params p;
    const char* mentions;
  };
  const bad_case cases[] = {
      {"kmeans", {{"kk", 3}}, "kk"},
      {"kmeans", {{"k", 0}}, "k"},
      {"kmeans", {{"k", 2.5}}, "integer"},
      {"svm_rbf", {{"c", 0}}, "c"},
      {"svm_rbf", {{"c", -1}}, "c"},
      {"svm_rbf", {{"gamma", NAN}}, "gamma"},
      {"mlp", {{"epochs", 1e9}}, "epochs"},
      {"random_forest", {{"feature_fraction", 1.5}}, "feature_fraction"},
      {"auto", {{"c", 1}}, "c"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.algorithm);
    CAPTURE(c.mentions);
    auto r = validate_params(c.algorithm, c.p);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == mf::errc::invalid_input);
    CHECK(r.error().message.find(c.mentions) != std::string::npos);
    CHECK_FALSE(train(c.algorithm, c.p, test::circle(50), {}));  // train() validates the same way
  }
  CHECK(default_params("kmeans").at("k") == 3);
}

TEST_CASE("bad datasets are invalid_input naming the row") {
  auto data = test::circle(50);
  data.features[2 * 7 + 1] = NAN;
  auto r = train("logistic_regression", {}, data, {});
  REQUIRE_FALSE(r);
  CHECK(r.error().code == mf::errc::invalid_input);
  CHECK(r.error().message.find("row 7") != std::string::npos);

  data = test::circle(50);
  data.labels[4] = 0.5;  // classifiers need integer labels
  r = train("svm_rbf", {}, data, {});
  REQUIRE_FALSE(r);
  CHECK(r.error().message.find("row 4") != std::string::npos);
  CHECK(train("linear_regression", {}, data, {}));  // a regressor takes any finite label

  data = test::circle(50);
  data.labels.pop_back();
  CHECK_FALSE(train("mlp", {}, data, {}));
  data.labels.assign(50, 1.0);
  r = train("logistic_regression", {}, data, {});
  REQUIRE_FALSE(r);
  CHECK(r.error().message.find("2 classes") != std::string::npos);

  r = train("kmeans", {{"k", 60}}, test::circle(50), {});
  REQUIRE_FALSE(r);
  CHECK(r.error().code == mf::errc::invalid_input);
  train_options bad_split;
  bad_split.validation_split = 0.95;
  CHECK_FALSE(train("linear_regression", {}, test::linear_target(50), bad_split));
}

TEST_CASE("progress is reported from 0 to 1, monotonically") {
  for (const char* algorithm : {"mlp", "random_forest", "logistic_regression", "kmeans", "auto"}) {
    CAPTURE(algorithm);
    std::vector<double> seen;
    train_options o;
    o.on_progress = [&](double p) { seen.push_back(p); };
    const auto data =
        std::string(algorithm) == "random_forest" ? test::nonlinear_target(100) : test::circle(100);
    auto r = train(algorithm, {}, data, o);
    REQUIRE(r);
    REQUIRE(seen.size() >= 3);
    CHECK(seen.front() == 0.0);
    CHECK(seen.back() == 1.0);
    for (std::size_t i = 1; i < seen.size(); ++i) CHECK(seen[i] >= seen[i - 1]);
  }
}

TEST_CASE("a cancel flag stops training between iterations with errc::cancelled") {
  for (const char* algorithm :
       {"mlp", "random_forest", "logistic_regression", "svm_rbf", "kmeans", "auto"}) {
    CAPTURE(algorithm);
    std::atomic<bool> cancel{false};
    train_options o;
    o.cancel = &cancel;
    int calls = 0;
    o.on_progress = [&](double) {
      if (++calls == 2) cancel = true;  // cancel once training is under way
    };
    const auto data =
        std::string(algorithm) == "random_forest" ? test::nonlinear_target(100) : test::circle(100);
    auto r = train(algorithm, {}, data, o);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == mf::errc::cancelled);
  }
  std::atomic<bool> already{true};
  train_options o;
  o.cancel = &already;
  auto r = train("linear_regression", {}, test::linear_target(50), o);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == mf::errc::cancelled);
}

TEST_CASE("the same seed gives the same split and model; another seed another split") {
  const auto data = test::circle(200);
  for (const char* algorithm : {"logistic_regression", "random_forest", "mlp", "kmeans"}) {
    CAPTURE(algorithm);
    auto d = data;
    if (std::string(algorithm) == "kmeans") d.labels.clear();
    train_options o;
    o.seed = 7;
    auto a = train(algorithm, {}, d, o);
    auto b = train(algorithm, {}, d, o);
    REQUIRE(a);
    REQUIRE(b);
    CHECK(a->metrics.values == b->metrics.values);
    const auto rows = test::random_rows(50, 2);
    prediction pa, pb;
    REQUIRE(a->model->predict(rows, 50, pa));
    REQUIRE(b->model->predict(rows, 50, pb));
    CHECK(std::memcmp(pa.values.data(), pb.values.data(), 50 * sizeof(double)) == 0);
    CHECK(pa.probabilities == pb.probabilities);
  }
}

TEST_CASE("predict rejects wrong sizes and non-finite values, and reuses the output") {
  auto t = train("linear_regression", {}, test::linear_target(50), {});
  REQUIRE(t);
  const auto& m = *t->model;
  CHECK(m.n_features() == 3);
  prediction p;
  std::vector<double> rows{1, 2, 3, 4, 5};
  auto r = m.predict(rows, 2, p);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == mf::errc::invalid_input);
  rows = {1, 2, 3, 4, 5, INFINITY};
  r = m.predict(rows, 2, p);
  REQUIRE_FALSE(r);
  CHECK(r.error().message.find("row 1, feature 2") != std::string::npos);
  CHECK_FALSE(m.predict({}, 0, p));
  rows = {1, 2, 3};
  REQUIRE(m.predict(rows, 1, p));
  CHECK(p.values.size() == 1);
  REQUIRE(m.predict(rows, 1, p));
  CHECK(p.values.size() == 1);  // cleared, not appended to
}

TEST_CASE("linear models stay small in memory (<= 2 KiB at 16 features)") {
  auto data = test::separable(200, 16);
  for (const char* algorithm : {"linear_regression", "logistic_regression", "linear_svm"}) {
    CAPTURE(algorithm);
    auto t = train(algorithm, {}, data, {});
    REQUIRE(t);
    CHECK(t->model->memory_bytes() <= 2048);
    CHECK(t->model->memory_bytes() >= 16 * 8 * 3);  // weights + scaler are at least this
  }
}

TEST_CASE("better_than knows which metrics are lower-is-better") {
  CHECK(better_than("accuracy", 0.9, 0.8));
  CHECK_FALSE(better_than("accuracy", 0.8, 0.9));
  CHECK_FALSE(better_than("accuracy", 0.8, 0.8));
  CHECK(better_than("r2", 0.9, 0.1));
  CHECK(better_than("auc", 0.9, 0.1));
  CHECK(better_than("rmse", 0.1, 0.2));
  CHECK(better_than("mae", 0.1, 0.2));
  CHECK(better_than("inertia", 1.0, 2.0));
  CHECK_FALSE(better_than("rmse", 0.3, 0.2));
  CHECK_FALSE(better_than("rmse", NAN, 0.2));
  CHECK(better_than("rmse", 0.2, NAN));
}

TEST_CASE("validation_split 0 measures on the training rows") {
  train_options o;
  o.validation_split = 0;
  auto t = train("logistic_regression", {}, test::separable(100, 2), o);
  REQUIRE(t);
  CHECK(t->metrics.values.at("accuracy") >= 0.95);
}

TEST_CASE("predict is safe to call concurrently on one model (no lock)") {
  for (const char* algorithm : {"mlp", "svm_rbf", "random_forest"}) {
    CAPTURE(algorithm);
    const auto data =
        std::string(algorithm) == "random_forest" ? test::nonlinear_target(150) : test::circle(150);
    auto t = train(algorithm, {}, data, {});
    REQUIRE(t);
    const auto rows = test::random_rows(64, 2);
    prediction expected;
    REQUIRE(t->model->predict(rows, 64, expected));
    std::atomic<int> mismatches{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < 4; ++i) {
      threads.emplace_back([&] {
        prediction p;
        for (int k = 0; k < 200; ++k) {
          if (!t->model->predict(rows, 64, p) || p.values != expected.values ||
              p.probabilities != expected.probabilities) {
            ++mismatches;
          }
        }
      });
    }
    for (auto& th : threads) th.join();
    CHECK(mismatches == 0);
  }
}
