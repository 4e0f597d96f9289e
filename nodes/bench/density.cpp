// density: why in-process — seeding 1 M tenants through the REST API takes ~40 min at the
// ~400 uploads/s measured on the 2-core VM; the cache and the models are what hold the memory,
// so loading them here measures the same bytes without the cluster around them.
#include "nodes/bench/density.hpp"

#include <cstdio>
#include <fstream>
#include <iterator>
#include <random>
#include <sstream>

#include "actors/model_cache.hpp"
#include "actors/snapshot.hpp"
#include "ml/artifact.hpp"
#include "ml/train.hpp"
#include "nodes/bench/histogram.hpp"

namespace mf::bench {
namespace {

using clock_type = std::chrono::steady_clock;

std::size_t rss_bytes() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) {
      std::istringstream in(line.substr(6));
      std::size_t kib = 0;
      in >> kib;
      return kib * 1024;
    }
  }
  return 0;
}

mf::expected<std::string> default_artifact(std::size_t features) {
  mf::ml::dataset data;
  data.n_features = features;
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> u(-1, 1);
  for (int r = 0; r < 200; ++r) {
    double y = 0;
    for (std::size_t c = 0; c < features; ++c) {
      const double x = u(rng);
      data.features.push_back(x);
      y += (c % 2 ? -0.5 : 1.0) * x;
    }
    data.labels.push_back(y);
  }
  auto trained = mf::ml::train("linear_regression", mf::ml::default_params("linear_regression"),
                               data, mf::ml::train_options{});
  if (!trained) return std::move(trained).error();
  return mf::ml::serialize_artifact(*trained->model);
}

}  // namespace

mf::expected<nlohmann::json> run_density(const density_options& o) {
  if (o.models == 0 || o.models > 50'000'000)
    return mf::make_error(mf::errc::invalid_field, "--density must be in 1..50000000");
  std::string artifact;
  if (o.artifact_path.empty()) {
    auto made = default_artifact(o.features);
    if (!made) return std::move(made).error();
    artifact = std::move(*made);
  } else {
    std::ifstream in(o.artifact_path, std::ios::binary);
    if (!in) return mf::make_error(mf::errc::invalid_field, "cannot read " + o.artifact_path);
    artifact.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  auto probe = mf::ml::load_artifact(artifact);
  if (!probe) return std::move(probe).error();
  const std::string algorithm((*probe)->algorithm());
  probe->reset();

  latency_histogram load_latency;
  const std::size_t rss_before = rss_bytes();
  std::size_t model_bytes = 0;
  // The budget is not what is measured here: make it large enough never to evict.
  mf::actors::model_cache cache(static_cast<std::size_t>(1) << 50);
  const auto started = clock_type::now();
  auto last_progress = started;
  for (std::size_t i = 0; i < o.models; ++i) {
    const auto t0 = clock_type::now();
    auto model = mf::ml::load_artifact(artifact);
    if (!model) return std::move(model).error();
    const std::size_t bytes = (*model)->memory_bytes();
    auto inserted = cache.insert(mf::actors::model_key{"bench-" + std::to_string(i), "m", 1},
                                 std::move(*model), bytes);
    if (!inserted) return std::move(inserted).error();
    const auto t1 = clock_type::now();
    load_latency.record(static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(t1 - t0).count()));
    model_bytes += bytes;
    if (o.progress && t1 - last_progress > std::chrono::seconds(1)) {
      last_progress = t1;
      std::fprintf(stderr, "\r  %zu/%zu models loaded, RSS %.0f MiB   ", i + 1, o.models,
                   static_cast<double>(rss_bytes()) / (1 << 20));
    }
  }
  const double load_seconds = std::chrono::duration<double>(clock_type::now() - started).count();
  // One publish exactly as the model host does it after each load.
  const auto p0 = clock_type::now();
  auto snap = std::make_shared<mf::actors::snapshot>();
  for (auto& e : cache.entries()) snap->versions.emplace(e->key, e);
  for (auto& [key, entry] : snap->versions)
    snap->active.emplace(mf::actors::model_ref{key.tenant, key.model}, entry);
  const double publish_ms =
      std::chrono::duration<double, std::milli>(clock_type::now() - p0).count();
  const std::size_t rss_after = rss_bytes();
  if (o.progress) std::fprintf(stderr, "\n");

  const double n = static_cast<double>(o.models);
  auto q = [&](double quantile) {
    return static_cast<double>(load_latency.quantile(quantile)) / 1e3;
  };
  nlohmann::json lat = {{"p50", q(0.5)},
                        {"p90", q(0.9)},
                        {"p99", q(0.99)},
                        {"p999", q(0.999)},
                        {"max", static_cast<double>(load_latency.max()) / 1e3}};
  return nlohmann::json{
      {"mode", "density"},
      {"models", o.models},
      {"algorithm", algorithm},
      {"artifact_bytes", artifact.size()},
      {"rss_before_bytes", rss_before},
      {"rss_after_bytes", rss_after},
      {"bytes_per_model", static_cast<double>(rss_after - rss_before) / n},
      {"model_memory_bytes_per_model", static_cast<double>(model_bytes) / n},
      {"load_seconds", load_seconds},
      {"load_latency_us", lat},
      {"snapshot_publish_ms_at_n", publish_ms},
      {"note",
       "one model host publish rebuilds the snapshot of all N entries; it runs after every load"}};
}

}  // namespace mf::bench
