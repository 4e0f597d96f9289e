// model_source: where the model host gets artifacts and tenant facts from (registry + blob store).
// Not thread-safe: each loader thread, and the model host, own an instance (from a
// model_source_factory).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "actors/model_key.hpp"
#include "common/expected.hpp"

namespace mf::ml {
class model;
}

namespace mf::actors {

// A model fresh out of the blob store, with its resolved version and footprint estimate.
struct loaded_model {
  model_key key;
  std::shared_ptr<const mf::ml::model> model;
  std::size_t bytes = 0;
};

// What preloading needs to know about a tenant placed on this node.
struct tenant_facts {
  std::optional<std::size_t> memory_quota_bytes;  // API.md quota.memory_bytes; none = no quota
  std::vector<model_key> active_versions;         // one per model that has an active version
};

class model_source {
 public:
  virtual ~model_source() = default;
  // version < 0 means "the active version" (resolved by the source). Blocking; never throws.
  virtual mf::expected<loaded_model> load(const model_ref& ref, std::int64_t version) = 0;
  virtual mf::expected<tenant_facts> describe_tenant(const std::string& tenant) = 0;
  // The same load of an exact version when it can finish without waiting on I/O (a small
  // artifact already in memory), so the model host may do it in place of a loader round trip;
  // nullopt otherwise, and for any error (load() then gives the real answer). Never blocks.
  virtual std::optional<loaded_model> load_if_cached(const model_key& key) {
    (void)key;
    return std::nullopt;
  }
};

// Largest artifact the model host decodes in place (a 16-feature linear model is ~1 KiB; a
// forest of 5,000 rows is ~3 MiB and goes to a loader thread).
inline constexpr std::size_t inline_load_max_bytes = 64u << 10;

// Called once on each loader thread, so sources may hold non-thread-safe clients.
using model_source_factory = std::function<std::unique_ptr<model_source>()>;

}  // namespace mf::actors
