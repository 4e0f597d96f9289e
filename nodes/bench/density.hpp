// density: the W6 fast path — N copies of one small model artifact loaded into a worker's model
// host in this process (no cluster, no REST seeding), reporting RSS, bytes/model and load cost.
// Blocking; call from one thread at a time.
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

// Cold-loads `models` copies (tenants bench-0 .. bench-N-1, model m, version 1) one request at
// a time through a real model host actor, as a worker's predictors do on a miss (a loader
// deserializes the artifact, the host inserts it into the cache and publishes the snapshot,
// the lease comes back). Reports RSS before/after, (RSS delta)/N, the models' own memory
// estimate, per-model cold-load latency percentiles and how many models the snapshot serves.
mf::expected<nlohmann::json> run_density(const density_options& options);

}  // namespace mf::bench
