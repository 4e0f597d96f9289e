#include "actors/snapshot.hpp"

namespace mf::actors {

lease snapshot::lookup(const model_ref& ref, std::int64_t version) const {
  if (!groups.empty()) {
    const snapshot_shard& s = *shard_at(shard_of(ref));
    if (version < 0) {
      auto it = s.active.find(ref);
      return it == s.active.end() ? nullptr : it->second;
    }
    auto it = s.versions.find(model_key{ref.tenant, ref.model, version});
    return it == s.versions.end() ? nullptr : it->second;
  }
  if (version < 0) {
    auto it = active.find(ref);
    return it == active.end() ? nullptr : it->second;
  }
  auto it = versions.find(model_key{ref.tenant, ref.model, version});
  return it == versions.end() ? nullptr : it->second;
}

}  // namespace mf::actors
