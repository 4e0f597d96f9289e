// Corrupt, truncated and foreign artifacts are errors, never crashes or huge allocations.
// Labelled `asan`: ops/test also runs it under ASan+UBSan.
#include <doctest/doctest.h>

#include <random>

#include "ml/internal.hpp"
#include "ml/ml.hpp"
#include "synthetic.hpp"

using namespace mf::ml;

namespace {

std::string small_artifact(std::string_view algorithm = "logistic_regression") {
  auto data = test::circle(24);
  if (algorithm == "kmeans") data.labels.clear();
  auto t = train(algorithm, {}, data, {});
  REQUIRE(t);
  return serialize_artifact(*t->model);
}

void check_rejected(std::string_view bytes) {
  auto loaded = load_artifact(bytes);
  REQUIRE_FALSE(loaded);
  CHECK(loaded.error().code == mf::errc::invalid_input);
  CHECK_FALSE(inspect_artifact(bytes));
}

}  // namespace

TEST_CASE("every truncation of a small artifact is rejected") {
  const std::string bytes = small_artifact();
  REQUIRE(load_artifact(bytes));
  for (std::size_t len = 0; len < bytes.size(); ++len) {
    CAPTURE(len);
    check_rejected(std::string_view(bytes).substr(0, len));
  }
  check_rejected(bytes + '\0');  // and so is padding
}

TEST_CASE("1000 seeded random corruptions are rejected") {
  const std::string bytes = small_artifact();
  std::mt19937_64 rng(12345);
  for (int i = 0; i < 1000; ++i) {
    std::string bad = bytes;
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int f = 0; f < flips; ++f) {
      bad[rng() % bad.size()] ^=
          static_cast<char>(1 + rng() % 255);  // non-zero xor: really changes the byte
    }
    CAPTURE(i);
    check_rejected(bad);
  }
}

TEST_CASE("foreign blobs are rejected") {
  check_rejected("");
  check_rejected("MFM1");
  check_rejected(std::string(200, '\0'));
  check_rejected("{\"features\":[[1,2]],\"labels\":[1]}");
  std::string bytes = small_artifact();
  bytes[4] = 2;  // a future format version
  auto r = load_artifact(bytes);
  REQUIRE_FALSE(r);
  CHECK(r.error().message.find("version") != std::string::npos);
  std::mt19937_64 rng(7);
  for (int i = 0; i < 100; ++i) {
    std::string junk(rng() % 512, '\0');
    for (auto& c : junk) c = static_cast<char>(rng());
    check_rejected(junk);
  }
  check_rejected(std::string(max_artifact_bytes + 1, 'M'));
}

TEST_CASE("a valid envelope around a hostile payload is rejected without a big allocation") {
  // The checksums are not a signature: someone can wrap any payload in a valid envelope. The
  // payload parser must then bound every count by the payload's own size.
  auto t = train("kmeans", {},
                 [] {
                   auto d = test::blobs(10, {0, 1, 2});
                   d.labels.clear();
                   return d;
                 }(),
                 {});
  REQUIRE(t);
  const model_meta& meta = t->model->meta();
  std::string payload;
  detail::payload_writer w(payload);
  w.tag("mf.kmeans");
  w.u64(3);
  w.u64(~0ull >> 1);  // "2^63 centers follow"
  auto r = load_artifact(detail::encode_artifact(meta, payload));
  REQUIRE_FALSE(r);
  CHECK(r.error().code == mf::errc::invalid_input);

  std::mt19937_64 rng(99);
  for (const char* algorithm : {"linear_regression", "logistic_regression", "linear_svm", "svm_rbf",
                                "krr_rbf", "random_forest", "multiclass_linear", "kmeans", "mlp"}) {
    CAPTURE(algorithm);
    model_meta m = meta;
    m.algorithm = algorithm;
    const auto* info = detail::find_algorithm(algorithm);
    m.classes = info->kind == detail::task::classification ? std::vector<double>{0, 1}
                                                           : std::vector<double>{};
    if (!info->scaled) {
      m.scale_mean.clear();
      m.scale_inv_std.clear();
    }
    for (int i = 0; i < 100; ++i) {
      std::string junk;
      detail::payload_writer jw(junk);
      jw.tag(std::string("mf.") + algorithm);
      const int n = static_cast<int>(rng() % 12);
      for (int k = 0; k < n; ++k) jw.u64(rng() % 3 == 0 ? rng() : rng() % 40);
      CHECK_FALSE(load_artifact(detail::encode_artifact(m, junk)));
    }
  }
}

TEST_CASE("inspect_artifact reads the envelope without the payload parser") {
  const std::string bytes = small_artifact("kmeans");
  auto info = inspect_artifact(bytes);
  REQUIRE(info);
  CHECK(info->algorithm == "kmeans");
  CHECK(info->n_features == 2);
  CHECK(info->metrics.primary == "inertia");
  CHECK(info->created_unix_ms > 1600000000000);
  CHECK(info->sha256_hex.size() == 64);
}

TEST_CASE("loading without metrics (the worker's way) keeps predictions and saves memory") {
  auto data = test::circle(40);
  auto t = train("logistic_regression", {}, data, {});
  REQUIRE(t);
  const std::string bytes = serialize_artifact(*t->model);
  auto full = load_artifact(bytes);
  auto lean = load_artifact(bytes, {.keep_metrics = false});
  REQUIRE(full);
  REQUIRE(lean);
  CHECK_FALSE((*full)->validation_metrics().values.empty());
  CHECK((*lean)->validation_metrics().values.empty());
  CHECK((*lean)->memory_bytes() < (*full)->memory_bytes());
  prediction a, b;
  REQUIRE((*full)->predict(data.features, data.rows(), a));
  REQUIRE((*lean)->predict(data.features, data.rows(), b));
  CHECK(a.values == b.values);
  CHECK(a.probabilities == b.probabilities);
  // A corrupt artifact is refused the same way with either option.
  std::string bad = bytes;
  bad[bad.size() / 2] ^= 0x5a;
  CHECK_FALSE(load_artifact(bad, {.keep_metrics = false}));
}
