// Serialize -> load -> predict is bit-identical for every algorithm; inspect_artifact reads the
// envelope.
#include <doctest/doctest.h>

#include <cstring>

#include "ml/ml.hpp"
#include "synthetic.hpp"

using namespace mf::ml;

namespace {

dataset data_for(std::string_view algorithm) {
  if (algorithm == "linear_regression" || algorithm == "krr_rbf" || algorithm == "random_forest") {
    return test::nonlinear_target(150);
  }
  if (algorithm == "kmeans") {
    auto d = test::blobs(30, {0, 1, 2});
    d.labels.clear();
    return d;
  }
  if (algorithm == "multiclass_linear" || algorithm == "svm_rbf" || algorithm == "mlp")
    return test::blobs(30, {1, 5, 8});
  return test::circle(150);
}

bool same_bits(const std::vector<double>& a, const std::vector<double>& b) {
  // memcmp on empty vectors would get null pointers (undefined behaviour, UBSan reports it).
  return a.size() == b.size() &&
         (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0);
}

}  // namespace

TEST_CASE("serialize -> load -> predictions identical bit for bit, for every algorithm") {
  for (const char* algorithm : {"linear_regression", "logistic_regression", "linear_svm", "svm_rbf",
                                "krr_rbf", "random_forest", "multiclass_linear", "kmeans", "mlp"}) {
    CAPTURE(algorithm);
    auto t = train(algorithm, {}, data_for(algorithm), {});
    REQUIRE(t);
    const std::string bytes = serialize_artifact(*t->model);
    auto loaded = load_artifact(bytes);
    REQUIRE_MESSAGE(loaded, (loaded ? "" : loaded.error().message));
    const model& a = *t->model;
    const model& b = **loaded;
    CHECK(b.algorithm() == algorithm);
    CHECK(b.n_features() == a.n_features());
    CHECK(b.validation_metrics().values == a.validation_metrics().values);
    CHECK(b.validation_metrics().primary == a.validation_metrics().primary);
    CHECK(b.meta().classes == a.meta().classes);
    CHECK(b.meta().created_unix_ms == a.meta().created_unix_ms);
    CHECK(b.memory_bytes() > 0);

    const auto rows = test::random_rows(200, a.n_features());
    prediction pa, pb;
    REQUIRE(a.predict(rows, 200, pa));
    REQUIRE(b.predict(rows, 200, pb));
    CHECK(same_bits(pa.values, pb.values));
    CHECK(same_bits(pa.probabilities, pb.probabilities));
    CHECK(pa.n_prob_columns == pb.n_prob_columns);
    CHECK(serialize_artifact(b) == bytes);  // the format is canonical

    auto info = inspect_artifact(bytes);
    REQUIRE(info);
    CHECK(info->algorithm == algorithm);
    CHECK(info->n_features == a.n_features());
    CHECK(info->size_bytes == bytes.size());
    CHECK(info->sha256_hex == sha256_hex(bytes));
    CHECK(info->metrics.primary == a.validation_metrics().primary);
  }
}

TEST_CASE("sha256_hex matches the FIPS 180-2 test vector") {
  CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}
