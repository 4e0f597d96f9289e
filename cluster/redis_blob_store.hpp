// redis_blob_store: blobs as strings <prefix>blob:<tenant>:<model>:<version> (datasets:
// blob:<tenant>:_datasets:<job_id>) with a per-tenant index set. NOT thread-safe (owns one
// redis_client): one per thread.
#pragma once

#include "cluster/blob_store.hpp"
#include "cluster/redis_client.hpp"

namespace mf::cluster {

class redis_blob_store final : public blob_store {
 public:
  static expected<std::unique_ptr<redis_blob_store>> connect(std::string_view url,
                                                             std::string prefix = "mf:",
                                                             redis_options options = {});
  redis_blob_store(redis_client client, std::string prefix);

  expected<void> put(const artifact_key& key, std::string_view bytes) override;
  expected<std::string> get(const artifact_key& key, std::size_t max_bytes) override;
  expected<bool> exists(const artifact_key& key) override;
  expected<void> remove(const artifact_key& key) override;
  expected<void> remove_prefix(std::string_view tenant, std::string_view model = {}) override;
  expected<void> put(const dataset_key& key, std::string_view bytes) override;
  expected<std::string> get(const dataset_key& key, std::size_t max_bytes) override;
  expected<void> remove(const dataset_key& key) override;

 private:
  expected<std::string> blob_key(const artifact_key& key) const;
  expected<std::string> blob_key(const dataset_key& key) const;
  expected<void> put_at(const std::string& key, std::string_view tenant, std::string_view bytes);
  expected<std::string> get_at(const std::string& key, std::size_t max_bytes);
  expected<void> remove_at(const std::string& key, std::string_view tenant);
  redis_client client_;
  std::string prefix_;
};

}  // namespace mf::cluster
