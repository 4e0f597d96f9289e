// blob_store: where model artifacts (tenant, model, version) and training datasets (tenant, job)
// live. Implementations: fs_blob_store (thread-safe) and redis_blob_store (not thread-safe).
#pragma once

#include <compare>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/expected.hpp"

namespace mf::cluster {

struct artifact_key {
  std::string tenant;
  std::string model;
  std::int64_t version = 0;
  friend bool operator==(const artifact_key&, const artifact_key&) = default;
  friend auto operator<=>(const artifact_key&, const artifact_key&) = default;
};

// The one place a key becomes a path: "<tenant>/<model>/<version>.mfm". invalid_name for bad
// names, invalid_input for version <= 0.
expected<std::string> blob_path(const artifact_key& key);

// The training data of one job, written by the router before the job exists and read by the
// worker that trains it, so rows never travel through Redis records or coordinator messages.
struct dataset_key {
  std::string tenant;
  std::string job_id;  // follows the name rule (job ids are "j<number>")
  friend bool operator==(const dataset_key&, const dataset_key&) = default;
  friend auto operator<=>(const dataset_key&, const dataset_key&) = default;
};

// Largest dataset blob accepted (router: 413 above; worker: refuses to read more).
inline constexpr std::size_t max_dataset_bytes = std::size_t{64} << 20;

// The one place a dataset key becomes a path: "<tenant>/_datasets/<job_id>.json". The folder
// cannot clash with a model (model names start with a letter or digit). invalid_name for bad
// names.
expected<std::string> dataset_path(const dataset_key& key);
// dataset_path's output back into its key; invalid_input for anything else.
expected<dataset_key> parse_dataset_path(std::string_view path);

class blob_store {
 public:
  virtual ~blob_store() = default;
  // Durable when it returns: a crash afterwards keeps the whole blob, one before keeps none.
  virtual expected<void> put(const artifact_key& key, std::string_view bytes) = 0;
  // not_found if absent; payload_too_large if larger than max_bytes (nothing read then).
  virtual expected<std::string> get(const artifact_key& key, std::size_t max_bytes) = 0;
  // The same read when it needs no wait on a disk or the network (path and bytes already in
  // memory), for callers that must not block, such as an actor on the scheduler: nullopt means
  // "would wait", then call get() from a thread that may block. Errors as get(). The default
  // never qualifies (a network store always waits).
  virtual expected<std::optional<std::string>> get_if_cached(const artifact_key& key,
                                                             std::size_t max_bytes) {
    (void)key;
    (void)max_bytes;
    return std::optional<std::string>{};
  }
  virtual expected<bool> exists(const artifact_key& key) = 0;
  // Removing what is absent is not an error.
  virtual expected<void> remove(const artifact_key& key) = 0;
  // Every blob of the tenant (model empty) or of one model.
  virtual expected<void> remove_prefix(std::string_view tenant, std::string_view model = {}) = 0;

  // Datasets: same durability and limits as artifacts; remove_prefix(tenant) removes them too.
  virtual expected<void> put(const dataset_key& key, std::string_view bytes) = 0;
  virtual expected<std::string> get(const dataset_key& key, std::size_t max_bytes) = 0;
  virtual expected<void> remove(const dataset_key& key) = 0;
};

// "fs:/abs/or/rel/dir" -> fs_blob_store; "redis" or "redis://..." -> redis_blob_store on
// `redis_url` (or that URL). invalid_input for anything else.
expected<std::unique_ptr<blob_store>> make_blob_store(std::string_view spec,
                                                      std::string_view redis_url = {},
                                                      std::string prefix = "mf:");

}  // namespace mf::cluster
