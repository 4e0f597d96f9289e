// fs_blob_store: files root/<tenant>/<model>/<version>.mfm and root/<tenant>/_datasets/<job>.json.
// Thread-safe: concurrent puts of one key are last-rename-wins, never torn; the only mutable
// state is the fast path's cached root descriptor (set once, atomically).
#pragma once

#include <atomic>

#include "cluster/blob_store.hpp"

namespace mf::cluster {

class fs_blob_store final : public blob_store {
 public:
  // Creates root if missing. Errors: internal if root cannot be created/opened.
  static expected<std::unique_ptr<fs_blob_store>> open(std::string root);

  // Writes a temp file in the model folder, fsyncs it, renames it over the final name and
  // fsyncs the folder. Every path step is opened with O_NOFOLLOW relative to root, so neither
  // a hostile name (rejected anyway) nor a symlink planted inside root leads outside it.
  expected<void> put(const artifact_key& key, std::string_view bytes) override;
  expected<std::string> get(const artifact_key& key, std::size_t max_bytes) override;
  // Path steps from the dentry cache only (openat2 RESOLVE_CACHED, no symlinks, beneath root)
  // and bytes from the page cache only (preadv2 RWF_NOWAIT); nullopt when either would wait or
  // the kernel lacks these calls (before Linux 5.12). Resolves from an O_PATH descriptor of root
  // opened on first use and kept (why: opening root by path per call walked its whole path and
  // cost two of the fast path's six system calls); a root replaced since then is seen as
  // missing files, which this call reports and the caller's full read (get) settles.
  expected<std::optional<std::string>> get_if_cached(const artifact_key& key,
                                                     std::size_t max_bytes) override;
  expected<bool> exists(const artifact_key& key) override;
  expected<void> remove(const artifact_key& key) override;
  expected<void> remove_prefix(std::string_view tenant, std::string_view model = {}) override;
  expected<void> put(const dataset_key& key, std::string_view bytes) override;
  expected<std::string> get(const dataset_key& key, std::size_t max_bytes) override;
  expected<void> remove(const dataset_key& key) override;

  const std::string& root() const noexcept { return root_; }

  ~fs_blob_store() override;
  fs_blob_store(const fs_blob_store&) = delete;
  fs_blob_store& operator=(const fs_blob_store&) = delete;

 private:
  explicit fs_blob_store(std::string root) : root_(std::move(root)) {}
  // The O_PATH descriptor of root for get_if_cached, or an error if root cannot be opened.
  expected<int> cached_root();

  std::string root_;
  std::atomic<int> cached_root_fd_{-1};
};

}  // namespace mf::cluster
