// ml_bench: predict cost per row of every algorithm at 16 features, and artifact load time per MB.
// Run: build/bench/ml_bench [--benchmark_filter=...]. Figures are recorded in docs/benchmarks.md.
#include <benchmark/benchmark.h>

#include <cmath>
#include <map>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>

#include "ml/internal.hpp"
#include "ml/ml.hpp"

namespace {

using namespace mf::ml;
constexpr std::size_t n_features = 16;

// 400 rows of 16 features; the label type follows the algorithm.
dataset training_data(std::string_view algorithm) {
  std::mt19937_64 rng(11);
  std::normal_distribution<double> g(0, 1);
  dataset d;
  d.n_features = n_features;
  for (std::size_t i = 0; i < 400; ++i) {
    double s = 0, r = 0;
    for (std::size_t j = 0; j < n_features; ++j) {
      const double v = g(rng);
      d.features.push_back(v);
      s += (j % 2 ? 1.0 : -1.0) * v;
      r += v * v;
    }
    if (algorithm == "linear_regression" || algorithm == "krr_rbf" ||
        algorithm == "random_forest") {
      d.labels.push_back(s + std::sin(r));
    } else if (algorithm == "multiclass_linear") {
      d.labels.push_back(s > 1 ? 2 : (s < -1 ? 0 : 1));
    } else if (algorithm != "kmeans") {
      d.labels.push_back(r < 15.3 ? 1 : 0);  // about half inside a 16-d sphere
    }
  }
  return d;
}

std::shared_ptr<const model> trained(const std::string& algorithm) {
  static std::map<std::string, std::shared_ptr<const model>> cache;
  auto& m = cache[algorithm];
  if (!m) {
    auto r = train(algorithm, {}, training_data(algorithm), {});
    if (!r) throw std::runtime_error(r.error().message);
    m = r->model;
  }
  return m;
}

// Predicts `batch` rows per call; items/s is rows/s, so time per row = 1 / items_per_second.
void predict_rows(benchmark::State& state, const std::string& algorithm) {
  const auto m = trained(algorithm);
  const auto batch = static_cast<std::size_t>(state.range(0));
  std::mt19937_64 rng(3);
  std::normal_distribution<double> g(0, 1);
  std::vector<double> rows(batch * n_features);
  for (auto& v : rows) v = g(rng);
  prediction out;
  for (auto _ : state) {
    if (!m->predict(rows, batch, out)) state.SkipWithError("predict failed");
    benchmark::DoNotOptimize(out.values.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * batch));
  // Seconds per row, printed with an SI prefix (e.g. 95n = 95 ns).
  state.counters["per_row"] =
      benchmark::Counter(static_cast<double>(batch), benchmark::Counter::kIsIterationInvariantRate |
                                                         benchmark::Counter::kInvert);
  state.counters["model_bytes"] = static_cast<double>(m->memory_bytes());
}

// An svm_rbf artifact with `n_sv` support vectors (built directly, so any size is cheap to make).
std::string large_svm_artifact(std::size_t n_sv) {
  model_meta meta;
  meta.algorithm = "svm_rbf";
  meta.n_features = n_features;
  meta.classes = {0, 1};
  meta.scale_mean.assign(n_features, 0.0);
  meta.scale_inv_std.assign(n_features, 1.0);
  std::mt19937_64 rng(5);
  std::normal_distribution<double> g(0, 1);
  std::vector<double> alpha(n_sv), sv(n_sv * n_features);
  for (auto& v : alpha) v = g(rng);
  for (auto& v : sv) v = g(rng);
  std::string payload;
  detail::payload_writer w(payload);
  w.tag("mf.svm_rbf");
  w.u64(1);
  w.u64(1);
  w.u64(0);
  w.f64(0.0625);
  w.f64(0.1);
  w.f64s(alpha);
  w.f64s(sv);
  return detail::encode_artifact(meta, payload);
}

void load_artifact_bytes(benchmark::State& state, const std::string& bytes) {
  for (auto _ : state) {
    auto m = load_artifact(bytes);
    if (!m) state.SkipWithError(m.error().message.c_str());
    benchmark::DoNotOptimize(m);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes.size()));
  state.counters["artifact_bytes"] = static_cast<double>(bytes.size());
}

void BM_load_svm_rbf(benchmark::State& state) {
  static const std::string bytes = large_svm_artifact(static_cast<std::size_t>(state.range(0)));
  load_artifact_bytes(state, bytes);
}

void BM_load_trained(benchmark::State& state, const std::string& algorithm) {
  const std::string bytes = serialize_artifact(*trained(algorithm));
  load_artifact_bytes(state, bytes);
}

void BM_inspect_svm_rbf(benchmark::State& state) {
  static const std::string bytes = large_svm_artifact(65536);
  for (auto _ : state) benchmark::DoNotOptimize(inspect_artifact(bytes));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes.size()));
}

}  // namespace

#define MF_PREDICT_BENCH(name)                              \
  BENCHMARK_CAPTURE(predict_rows, name, std::string(#name)) \
      ->Arg(1)                                              \
      ->Arg(1000)                                           \
      ->Unit(benchmark::kMicrosecond)
MF_PREDICT_BENCH(linear_regression);
MF_PREDICT_BENCH(logistic_regression);
MF_PREDICT_BENCH(linear_svm);
MF_PREDICT_BENCH(svm_rbf);
MF_PREDICT_BENCH(krr_rbf);
MF_PREDICT_BENCH(random_forest);
MF_PREDICT_BENCH(multiclass_linear);
MF_PREDICT_BENCH(kmeans);
MF_PREDICT_BENCH(mlp);

BENCHMARK(BM_load_svm_rbf)->Arg(65536)->Unit(benchmark::kMillisecond);  // ~9 MiB artifact
BENCHMARK_CAPTURE(BM_load_trained, random_forest, std::string("random_forest"))
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_load_trained, logistic_regression, std::string("logistic_regression"))
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_inspect_svm_rbf)->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
