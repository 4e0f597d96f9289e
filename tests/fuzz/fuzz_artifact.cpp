// fuzz_artifact: the artifact loader must turn any input into a model or an error.
// Input byte 0 picks the mode: even -> the bytes are a whole artifact (envelope checks);
// odd -> the rest is a payload wrapped in a VALID envelope for the algorithm picked by byte 1,
// so the fuzzer reaches the payload parsers behind the checksums.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "ml/internal.hpp"
#include "ml/ml.hpp"

namespace {

const char* const algorithms[] = {
    "linear_regression", "logistic_regression", "linear_svm", "svm_rbf", "krr_rbf",
    "random_forest",     "multiclass_linear",   "kmeans",     "mlp"};

void exercise(const mf::ml::model& m) {
  // A loaded model must also predict safely.
  std::vector<double> rows(m.n_features() * 2, 0.5);
  mf::ml::prediction out;
  (void)m.predict(rows, 2, out);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  if ((data[0] & 1) == 0) {
    (void)mf::ml::inspect_artifact(rest);
    if (auto m = mf::ml::load_artifact(rest)) exercise(**m);
    return 0;
  }
  if (rest.empty()) return 0;
  using namespace mf::ml;
  const std::string algorithm =
      algorithms[static_cast<std::uint8_t>(rest[0]) % std::size(algorithms)];
  const auto* info = detail::find_algorithm(algorithm);
  model_meta meta;
  meta.algorithm = algorithm;
  meta.n_features = 1 + (static_cast<std::uint8_t>(rest[0]) >> 4) % 4;
  if (info->kind == detail::task::classification) meta.classes = {0, 1};
  if ((static_cast<std::uint8_t>(rest[0]) & 0x80) && info->max_classes > 2)
    meta.classes = {0, 1, 2};
  if (info->scaled) {
    meta.scale_mean.assign(meta.n_features, 0.0);
    meta.scale_inv_std.assign(meta.n_features, 1.0);
  }
  const std::string bytes = detail::encode_artifact(meta, rest.substr(1));
  if (auto m = load_artifact(bytes)) exercise(**m);
  return 0;
}
