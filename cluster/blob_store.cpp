#include "cluster/blob_store.hpp"

#include "cluster/fs_blob_store.hpp"
#include "cluster/names.hpp"
#include "cluster/redis_blob_store.hpp"

namespace mf::cluster {

expected<std::string> blob_path(const artifact_key& key) {
  if (auto ok = check_name("tenant", key.tenant); !ok) return std::move(ok).error();
  if (auto ok = check_name("model", key.model); !ok) return std::move(ok).error();
  if (key.version <= 0) return make_error(errc::invalid_input, "version must be positive");
  return key.tenant + "/" + key.model + "/" + std::to_string(key.version) + ".mfm";
}

expected<std::string> dataset_path(const dataset_key& key) {
  if (auto ok = check_name("tenant", key.tenant); !ok) return std::move(ok).error();
  if (auto ok = check_name("job id", key.job_id); !ok) return std::move(ok).error();
  return key.tenant + "/_datasets/" + key.job_id + ".json";
}

expected<dataset_key> parse_dataset_path(std::string_view path) {
  constexpr std::string_view folder = "/_datasets/", suffix = ".json";
  const auto bad = [&] {
    return make_error(errc::invalid_input, "dataset key '" + std::string(path.substr(0, 200)) +
                                               "' is not <tenant>/_datasets/<job_id>.json");
  };
  const auto at = path.find(folder);
  if (at == std::string_view::npos || path.size() < at + folder.size() + suffix.size() ||
      path.substr(path.size() - suffix.size()) != suffix)
    return bad();
  dataset_key key{std::string(path.substr(0, at)),
                  std::string(path.substr(at + folder.size(),
                                          path.size() - at - folder.size() - suffix.size()))};
  // Round trip: whatever passes is exactly what dataset_path would build.
  auto again = dataset_path(key);
  if (!again || *again != path) return bad();
  return key;
}

expected<std::unique_ptr<blob_store>> make_blob_store(std::string_view spec,
                                                      std::string_view redis_url,
                                                      std::string prefix) {
  if (spec.substr(0, 3) == "fs:") {
    auto s = fs_blob_store::open(std::string(spec.substr(3)));
    if (!s) return std::move(s).error();
    return std::unique_ptr<blob_store>(std::move(*s));
  }
  if (spec == "redis" || spec.substr(0, 8) == "redis://") {
    std::string_view url = spec == "redis" ? redis_url : spec;
    if (url.empty()) return make_error(errc::invalid_input, "blob store 'redis' needs a redis url");
    auto s = redis_blob_store::connect(url, std::move(prefix));
    if (!s) return std::move(s).error();
    return std::unique_ptr<blob_store>(std::move(*s));
  }
  return make_error(errc::invalid_input,
                    "blob store must be 'fs:<dir>', 'redis' or 'redis://...', got '" +
                        std::string(spec.substr(0, 100)) + "'");
}

}  // namespace mf::cluster
