#include "actors/snapshot.hpp"

namespace mf::actors {

lease snapshot::lookup(const model_ref& ref, std::int64_t version) const {
  if (version < 0) {
    auto it = active.find(ref);
    return it == active.end() ? nullptr : it->second;
  }
  auto it = versions.find(model_key{ref.tenant, ref.model, version});
  return it == versions.end() ? nullptr : it->second;
}

}  // namespace mf::actors
