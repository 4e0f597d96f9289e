// density: the W6 fast path — N copies of one small model artifact loaded into a worker's model
// cache in this process (no cluster, no REST seeding), reporting RSS, bytes/model and load cost.
// Blocking and single-threaded; call from one thread at a time.
#pragma once

#include <cstddef>
#include <string>

#include <nlohmann/json.hpp>

#include "common/expected.hpp"

namespace mf::bench {

struct density_options {
  std::size_t models = 1'000'000;
  std::string artifact_path;  // a .mfm artifact; empty = train a 16-feature linear_regression
  std::size_t features = 16;  // for the trained default
  bool progress = false;      // a progress line on stderr
};

// Loads `models` copies (tenants bench-0 .. bench-N-1, model m, version 1) exactly as a worker's
// model host does (load_artifact, then model_cache::insert with model::memory_bytes()), then
// builds the snapshot the predictors read once. Reports RSS before/after, (RSS delta)/N, the
// models' own memory estimate, per-load latency percentiles and the cost of one full snapshot
// publish at N models (the model host rebuilds the snapshot after every load).
mf::expected<nlohmann::json> run_density(const density_options& options);

}  // namespace mf::bench
