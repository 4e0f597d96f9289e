#include "actors/registry_adapters.hpp"

#include <charconv>

#include "cluster/blob_store.hpp"
#include "cluster/redis_registry.hpp"
#include "ml/artifact.hpp"

namespace mf::actors {

namespace {

mf::cluster::redis_options lazy_options() {
  mf::cluster::redis_options o;
  o.lazy_connect = true;  // start (and keep serving from memory) while Redis is down
  return o;
}

class registry_model_source final : public model_source {
 public:
  explicit registry_model_source(cluster_endpoints ep) : ep_(std::move(ep)) {}

  mf::expected<loaded_model> load(const model_ref& ref, std::int64_t version) override {
    if (auto ok = connect(); !ok) return ok.error();
    if (version < 0) {
      auto summary = registry_->get_model(ref.tenant, ref.model);
      if (!summary) return summary.error();
      if (summary->active_version <= 0)
        return mf::make_error(mf::errc::not_found,
                              "model " + to_string(ref) + " has no active version");
      version = summary->active_version;
    }
    auto bytes = blobs_->get(mf::cluster::artifact_key{ref.tenant, ref.model, version},
                             mf::ml::max_artifact_bytes);
    if (!bytes) {
      auto e = bytes.error();
      if (e.code == mf::errc::not_found)
        e.message =
            "model " + to_string(ref) + " version " + std::to_string(version) + " not found";
      return e;
    }
    return decoded(model_key{ref.tenant, ref.model, version}, *bytes);
  }

  std::optional<loaded_model> load_if_cached(const model_key& key) override {
    // Only a local file system can answer without waiting; Redis blobs always go to a loader.
    if (key.version <= 0 || !ep_.blob_store.starts_with("fs:")) return std::nullopt;
    if (!blobs_) {
      auto b = mf::cluster::make_blob_store(ep_.blob_store, ep_.redis_url, ep_.key_prefix);
      if (!b) return std::nullopt;
      blobs_ = std::move(*b);
    }
    auto bytes = blobs_->get_if_cached(
        mf::cluster::artifact_key{key.tenant, key.model, key.version}, inline_load_max_bytes);
    if (!bytes || !*bytes) return std::nullopt;
    auto model = decoded(key, **bytes);
    if (!model) return std::nullopt;
    return std::move(*model);
  }

  mf::expected<tenant_facts> describe_tenant(const std::string& tenant) override {
    if (auto ok = connect(); !ok) return ok.error();
    tenant_facts facts;
    if (auto t = registry_->get_tenant(tenant); t && t->quota.memory_bytes > 0)
      facts.memory_quota_bytes = static_cast<std::size_t>(t->quota.memory_bytes);
    auto models = registry_->list_models(tenant);
    if (!models) return models.error();
    for (const auto& m : *models)
      if (m.active_version > 0)
        facts.active_versions.push_back({tenant, m.model, m.active_version});
    return facts;
  }

 private:
  static mf::expected<loaded_model> decoded(const model_key& key, std::string_view bytes) {
    auto model = mf::ml::load_artifact(bytes, {.keep_metrics = false});  // metrics: registry
    if (!model) return model.error();
    loaded_model out;
    out.key = key;
    out.bytes = (*model)->memory_bytes();
    out.model = std::move(*model);
    return out;
  }

  mf::expected<void> connect() {
    if (registry_ && blobs_) return {};
    if (!registry_) {
      auto r = mf::cluster::redis_registry::connect(ep_.redis_url, ep_.key_prefix, lazy_options());
      if (!r) return r.error();
      registry_ = std::make_unique<mf::cluster::redis_registry>(std::move(*r));
    }
    if (!blobs_) {
      auto b = mf::cluster::make_blob_store(ep_.blob_store, ep_.redis_url, ep_.key_prefix);
      if (!b) return b.error();
      blobs_ = std::move(*b);
    }
    return {};
  }

  cluster_endpoints ep_;
  std::unique_ptr<mf::cluster::redis_registry> registry_;
  std::unique_ptr<mf::cluster::blob_store> blobs_;
};

class registry_train_backend final : public train_backend {
 public:
  explicit registry_train_backend(cluster_endpoints ep) : ep_(std::move(ep)) {}

  mf::expected<void> put_artifact(const std::string& key, const std::string& bytes) override {
    auto parsed = parse_artifact_key(key);
    if (!parsed) return parsed.error();
    if (auto ok = open_blobs(); !ok) return ok.error();
    return blobs_->put(mf::cluster::artifact_key{parsed->tenant, parsed->model, parsed->version},
                       bytes);
  }

  mf::expected<std::string> get_dataset(const std::string& tenant,
                                        const std::string& key) override {
    auto parsed = mf::cluster::parse_dataset_path(key);
    if (!parsed) return parsed.error();
    if (parsed->tenant != tenant)
      return mf::make_error(mf::errc::invalid_input,
                            "dataset " + key + " does not belong to tenant " + tenant);
    if (auto ok = open_blobs(); !ok) return ok.error();
    auto bytes = blobs_->get(*parsed, mf::cluster::max_dataset_bytes);
    if (!bytes && bytes.error().code == mf::errc::not_found)
      return mf::make_error(mf::errc::not_found, "training dataset " + key + " not found");
    return bytes;
  }

  // Field-level, fenced writes (registry::record_job_*): a stale attempt writes nothing, and
  // neither write can wipe the router's cancel request or the coordinator's status.
  void record_progress(const mf::protocol::train_progress& p) override {
    if (!open_registry()) return;
    (void)registry_->record_job_progress(p.job_id, p.attempt, p.progress, ep_.node_id);
  }

  // The coordinator owns the final status (it publishes the version); the worker records what
  // it knows so a coordinator that missed the trainResult can finish the job: metrics, progress
  // and the artifact (key, size, sha256) on success, the error on failure.
  void record_result(const mf::protocol::train_result& r) override {
    if (!open_registry()) return;
    mf::cluster::job_result_fields fields;
    fields.node = ep_.node_id;
    if (r.error) {
      fields.error = std::string(mf::to_string(r.error->code)) + ": " + r.error->message;
    } else {
      for (const auto& m : r.metrics) fields.metrics[m.name] = m.value;
      fields.artifact_key = r.artifact_key;
      fields.size_bytes = static_cast<std::int64_t>(r.size_bytes);
      fields.sha256 = r.sha256;
    }
    (void)registry_->record_job_result(r.job_id, r.attempt, fields);
  }

 private:
  mf::expected<void> open_blobs() {
    if (blobs_) return {};
    auto b = mf::cluster::make_blob_store(ep_.blob_store, ep_.redis_url, ep_.key_prefix);
    if (!b) return b.error();
    blobs_ = std::move(*b);
    return {};
  }

  bool open_registry() {
    if (registry_) return true;
    auto r = mf::cluster::redis_registry::connect(ep_.redis_url, ep_.key_prefix, lazy_options());
    if (!r) return false;
    registry_ = std::make_unique<mf::cluster::redis_registry>(std::move(*r));
    return true;
  }

  cluster_endpoints ep_;
  std::unique_ptr<mf::cluster::redis_registry> registry_;
  std::unique_ptr<mf::cluster::blob_store> blobs_;
};

}  // namespace

mf::expected<parsed_artifact_key> parse_artifact_key(const std::string& key) {
  auto bad = [&] {
    return mf::make_error(mf::errc::invalid_input,
                          "artifact key '" + key + "' is not <tenant>/<model>/<version>.mfm");
  };
  auto s1 = key.find('/');
  auto s2 = s1 == std::string::npos ? s1 : key.find('/', s1 + 1);
  if (s2 == std::string::npos || key.find('/', s2 + 1) != std::string::npos) return bad();
  std::string_view file(key.data() + s2 + 1, key.size() - s2 - 1);
  if (file.size() <= 4 || file.substr(file.size() - 4) != ".mfm") return bad();
  file.remove_suffix(4);
  parsed_artifact_key out{key.substr(0, s1), key.substr(s1 + 1, s2 - s1 - 1), 0};
  auto [ptr, ec] = std::from_chars(file.data(), file.data() + file.size(), out.version);
  if (ec != std::errc() || ptr != file.data() + file.size() || out.version <= 0) return bad();
  // blob_path() validates the names again on use; round-trip to be sure we agree on the format.
  auto path = mf::cluster::blob_path({out.tenant, out.model, out.version});
  if (!path || *path != key) return bad();
  return out;
}

model_source_factory make_registry_model_source(cluster_endpoints endpoints) {
  return [endpoints]() -> std::unique_ptr<model_source> {
    return std::make_unique<registry_model_source>(endpoints);
  };
}

train_backend_factory make_registry_train_backend(cluster_endpoints endpoints) {
  return [endpoints]() -> std::unique_ptr<train_backend> {
    return std::make_unique<registry_train_backend>(endpoints);
  };
}

}  // namespace mf::actors
