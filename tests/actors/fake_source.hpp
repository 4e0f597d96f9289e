// fake_source: an in-memory model_source for host tests: a "registry" of versions whose loads
// can be held back by a gate, counting every load. Thread-safe (loader threads share a world).
#pragma once

#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>

#include "actors/model_source.hpp"
#include "tests/actors/fake_model.hpp"

namespace mf::test {

struct fake_world {
  std::mutex mutex;
  std::condition_variable cv;
  bool gate_open = true;
  std::atomic<int> loads{0};
  // Versions whose artifact is "in memory": load_if_cached serves them (ignoring the gate,
  // as a page-cache read would) and counts them here.
  std::set<mf::actors::model_key> in_memory;
  std::atomic<int> cached_loads{0};
  std::map<mf::actors::model_ref, std::int64_t> active;
  std::set<mf::actors::model_key> versions;
  std::map<std::string, std::size_t> quotas;
  std::size_t bytes = 1u << 20;
  std::size_t n_features = 2;
  std::atomic<int>* predict_calls = nullptr;

  void add(const std::string& t, const std::string& m, std::int64_t v, bool make_active) {
    std::lock_guard lock(mutex);
    versions.insert({t, m, v});
    if (make_active) active[{t, m}] = v;
  }
  void set_gate(bool open) {
    {
      std::lock_guard lock(mutex);
      gate_open = open;
    }
    cv.notify_all();
  }
};

class fake_source final : public mf::actors::model_source {
 public:
  explicit fake_source(std::shared_ptr<fake_world> w) : w_(std::move(w)) {}

  mf::expected<mf::actors::loaded_model> load(const mf::actors::model_ref& ref,
                                              std::int64_t version) override {
    w_->loads.fetch_add(1);
    std::unique_lock lock(w_->mutex);
    w_->cv.wait(lock, [&] { return w_->gate_open; });
    if (version < 0) {
      auto it = w_->active.find(ref);
      if (it == w_->active.end()) return mf::make_error(mf::errc::not_found, "no active version");
      version = it->second;
    }
    mf::actors::model_key key{ref.tenant, ref.model, version};
    if (!w_->versions.count(key)) return mf::make_error(mf::errc::not_found, "no such version");
    // The prediction of version v is v: readers can check model and version belong together.
    return mf::actors::loaded_model{
        key, fake_model::make(w_->n_features, static_cast<double>(version), 0, w_->predict_calls),
        w_->bytes};
  }

  std::optional<mf::actors::loaded_model> load_if_cached(
      const mf::actors::model_key& key) override {
    std::lock_guard lock(w_->mutex);
    if (!w_->in_memory.count(key) || !w_->versions.count(key)) return std::nullopt;
    w_->cached_loads.fetch_add(1);
    return mf::actors::loaded_model{
        key,
        fake_model::make(w_->n_features, static_cast<double>(key.version), 0, w_->predict_calls),
        w_->bytes};
  }

  mf::expected<mf::actors::tenant_facts> describe_tenant(const std::string& tenant) override {
    std::lock_guard lock(w_->mutex);
    mf::actors::tenant_facts f;
    if (auto q = w_->quotas.find(tenant); q != w_->quotas.end()) f.memory_quota_bytes = q->second;
    for (const auto& [ref, v] : w_->active)
      if (ref.tenant == tenant) f.active_versions.push_back({ref.tenant, ref.model, v});
    return f;
  }

 private:
  std::shared_ptr<fake_world> w_;
};

inline mf::actors::model_source_factory fake_factory(std::shared_ptr<fake_world> w) {
  return [w] { return std::make_unique<fake_source>(w); };
}

}  // namespace mf::test
