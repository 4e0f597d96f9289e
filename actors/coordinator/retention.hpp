// retention: keeps the newest K versions of a model plus its active one; deletes the rest
// (metadata first, then the artifact). Not thread-safe: called from the control loop.
#pragma once

#include <cstdint>
#include <vector>

#include "cluster/blob_store.hpp"
#include "cluster/registry.hpp"
#include "common/expected.hpp"

namespace mf::coordinator {

// Versions to delete: all but the `keep` highest ids and `active` (0 = none). Pure.
std::vector<std::int64_t> versions_to_prune(std::vector<std::int64_t> versions, std::int64_t active,
                                            int keep);

// Applies the rule to one model; returns how many versions were deleted.
mf::expected<int> prune_model(cluster::registry& registry, cluster::blob_store& blobs,
                              const std::string& tenant, const std::string& model, int keep);

}  // namespace mf::coordinator
