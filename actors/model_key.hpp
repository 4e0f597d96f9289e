// model_key / model_ref: identities of a loaded model version and of a model (any version).
// Value types: not thread-safe, copy freely; hashers provided for unordered containers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

namespace mf::actors {

// (tenant, model, version): one immutable artifact in memory.
struct model_key {
  std::string tenant;
  std::string model;
  std::int64_t version = 0;

  friend bool operator==(const model_key&, const model_key&) = default;
  friend auto operator<=>(const model_key&, const model_key&) = default;
};

// (tenant, model): the thing whose active version can change.
struct model_ref {
  std::string tenant;
  std::string model;

  friend bool operator==(const model_ref&, const model_ref&) = default;
  friend auto operator<=>(const model_ref&, const model_ref&) = default;
};

inline std::size_t hash_combine(std::size_t seed, std::size_t v) {
  return seed ^ (v + 0x9e3779b97f4a7c15ULL + (seed << 6) + (seed >> 2));
}

struct model_key_hash {
  std::size_t operator()(const model_key& k) const noexcept {
    std::hash<std::string> h;
    return hash_combine(hash_combine(h(k.tenant), h(k.model)),
                        std::hash<std::int64_t>{}(k.version));
  }
};

struct model_ref_hash {
  std::size_t operator()(const model_ref& r) const noexcept {
    std::hash<std::string> h;
    return hash_combine(h(r.tenant), h(r.model));
  }
};

inline model_ref ref_of(const model_key& k) {
  return model_ref{k.tenant, k.model};
}

inline std::string to_string(const model_ref& r) {
  return r.tenant + "/" + r.model;
}
inline std::string to_string(const model_key& k) {
  return k.tenant + "/" + k.model + "@" + std::to_string(k.version);
}

}  // namespace mf::actors
