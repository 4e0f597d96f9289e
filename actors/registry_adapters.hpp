// registry_adapters: model_source and train_backend backed by the Redis registry + a blob store.
// Not thread-safe: each instance owns its own Redis connection; factories make one per thread.
#pragma once

#include <string>

#include "actors/model_source.hpp"
#include "actors/trainer.hpp"
#include "common/expected.hpp"

namespace mf::actors {

struct cluster_endpoints {
  std::string redis_url;  // redis://[user:pass@]host:port/db
  std::string key_prefix = "mf:";
  std::string blob_store;  // "fs:/path" | "redis"
  std::string node_id;     // recorded in job records
};

model_source_factory make_registry_model_source(cluster_endpoints endpoints);
train_backend_factory make_registry_train_backend(cluster_endpoints endpoints);

// "<tenant>/<model>/<version>.mfm" (cluster::blob_path's format) back into its parts.
struct parsed_artifact_key {
  std::string tenant, model;
  std::int64_t version = 0;
};
mf::expected<parsed_artifact_key> parse_artifact_key(const std::string& key);

}  // namespace mf::actors
