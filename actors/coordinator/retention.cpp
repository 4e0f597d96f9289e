#include "actors/coordinator/retention.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "actors/coordinator/job_keys.hpp"

namespace mf::coordinator {

std::vector<std::int64_t> versions_to_prune(std::vector<std::int64_t> versions, std::int64_t active,
                                            int keep) {
  std::sort(versions.begin(), versions.end(), std::greater<>());
  std::vector<std::int64_t> out;
  for (std::size_t i = static_cast<std::size_t>(std::max(keep, 0)); i < versions.size(); ++i)
    if (versions[i] != active) out.push_back(versions[i]);
  std::sort(out.begin(), out.end());
  return out;
}

mf::expected<int> prune_model(cluster::registry& registry, cluster::blob_store& blobs,
                              const std::string& tenant, const std::string& model, int keep) {
  auto summary = registry.get_model(tenant, model);
  if (!summary) return summary.error();
  auto versions = registry.list_versions(tenant, model);
  if (!versions) return versions.error();
  std::vector<std::int64_t> ids;
  for (const auto& v : *versions) ids.push_back(v.version);
  int deleted = 0;
  for (const std::int64_t v : versions_to_prune(ids, summary->active_version, keep)) {
    // Metadata first: once it is gone no one loads the artifact, so removing it is safe.
    auto removed = registry.delete_version(tenant, model, v, /*force=*/false, "retention");
    if (!removed) {
      if (removed.error().code == errc::conflict) continue;  // became active meanwhile
      return removed.error();
    }
    (void)blobs.remove(job_artifact(tenant, model, v));
    ++deleted;
  }
  if (deleted > 0)
    spdlog::info("coordinator: retention deleted {} versions of {}/{}", deleted, tenant, model);
  return deleted;
}

}  // namespace mf::coordinator
