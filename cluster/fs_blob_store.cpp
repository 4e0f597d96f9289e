#include "cluster/fs_blob_store.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <optional>
#include <vector>

#include "cluster/api_key.hpp"
#include "cluster/names.hpp"

namespace mf::cluster {
namespace {

// Owns a file descriptor.
class fd_guard {
 public:
  explicit fd_guard(int fd = -1) noexcept : fd_(fd) {}
  ~fd_guard() {
    if (fd_ >= 0) ::close(fd_);
  }
  fd_guard(fd_guard&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  fd_guard& operator=(fd_guard&& o) noexcept {
    std::swap(fd_, o.fd_);
    return *this;
  }
  int get() const noexcept { return fd_; }
  explicit operator bool() const noexcept { return fd_ >= 0; }

 private:
  int fd_;
};

error sys_error(const std::string& what, int err) {
  return make_error(errc::internal, what + ": " + std::strerror(err));
}

constexpr int dir_flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;

// Opens (optionally creating) the directory `name` inside `parent` without following links.
expected<fd_guard> open_dir(int parent, const std::string& name, bool create) {
  for (int tries = 0; tries < 2; ++tries) {
    int fd = ::openat(parent, name.c_str(), dir_flags);
    if (fd >= 0) return fd_guard(fd);
    if (errno == ENOENT && create) {
      if (::mkdirat(parent, name.c_str(), 0755) != 0 && errno != EEXIST) {
        return sys_error("mkdir " + name, errno);
      }
      ::fsync(parent);  // make the new directory entry durable
      continue;
    }
    if (errno == ENOENT) return make_error(errc::not_found, "blob not found");
    if (errno == ELOOP || errno == ENOTDIR) {
      return make_error(errc::invalid_input, "blob path component is not a directory: " + name);
    }
    return sys_error("open " + name, errno);
  }
  return sys_error("open " + name, errno);
}

struct located {
  fd_guard dir;  // the model folder
  std::string file;
};

// root/<tenant>/<folder>/<file>: folder is a model or "_datasets". Names are validated by
// the callers (blob_path / dataset_path) before a location is built.
struct location {
  std::string tenant, folder, file;
};

expected<location> where(const artifact_key& key) {
  if (auto p = blob_path(key); !p) return std::move(p).error();
  return location{key.tenant, key.model, std::to_string(key.version) + ".mfm"};
}

expected<location> where(const dataset_key& key) {
  if (auto p = dataset_path(key); !p) return std::move(p).error();
  return location{key.tenant, "_datasets", key.job_id + ".json"};
}

expected<located> locate(const std::string& root, const location& at, bool create) {
  fd_guard root_fd(::open(root.c_str(), dir_flags & ~O_NOFOLLOW));  // root: operator-chosen
  if (!root_fd) return sys_error("open blob root " + root, errno);
  auto t = open_dir(root_fd.get(), at.tenant, create);
  if (!t) return std::move(t).error();
  auto m = open_dir(t->get(), at.folder, create);
  if (!m) return std::move(m).error();
  return located{std::move(*m), at.file};
}

bool write_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

// Deletes everything below the directory fd (links are unlinked, never followed).
expected<void> remove_tree_at(int parent, const std::string& name) {
  int fd = ::openat(parent, name.c_str(), dir_flags);
  if (fd < 0) {
    if (errno == ENOENT) return {};
    if (errno == ELOOP || errno == ENOTDIR) {  // a file or a symlink: remove the entry itself
      if (::unlinkat(parent, name.c_str(), 0) != 0 && errno != ENOENT) {
        return sys_error("unlink " + name, errno);
      }
      return {};
    }
    return sys_error("open " + name, errno);
  }
  DIR* dir = ::fdopendir(fd);
  if (dir == nullptr) {
    ::close(fd);
    return sys_error("opendir " + name, errno);
  }
  std::vector<std::string> entries;
  while (dirent* e = ::readdir(dir)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") entries.push_back(std::move(n));
  }
  expected<void> result;
  for (const auto& n : entries) {
    if (::unlinkat(dirfd(dir), n.c_str(), 0) == 0 || errno == ENOENT) continue;
    if (errno == EISDIR || errno == EPERM) {
      auto r = remove_tree_at(dirfd(dir), n);
      if (!r) result = r;
      continue;
    }
    result = sys_error("unlink " + n, errno);
  }
  ::closedir(dir);
  if (!result) return result;
  if (::unlinkat(parent, name.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT) {
    return sys_error("rmdir " + name, errno);
  }
  ::fsync(parent);
  return {};
}

}  // namespace

expected<std::unique_ptr<fs_blob_store>> fs_blob_store::open(std::string root) {
  if (root.empty()) return make_error(errc::invalid_input, "fs blob store needs a directory");
  std::error_code ec;
  std::filesystem::create_directories(root, ec);
  if (ec) return make_error(errc::internal, "create blob root " + root + ": " + ec.message());
  fd_guard fd(::open(root.c_str(), dir_flags & ~O_NOFOLLOW));
  if (!fd) return sys_error("open blob root " + root, errno);
  return std::unique_ptr<fs_blob_store>(new fs_blob_store(std::move(root)));
}

namespace {

expected<void> put_at(const std::string& root_, const location& at, std::string_view bytes) {
  auto loc = locate(root_, at, true);
  if (!loc) return std::move(loc).error();
  // A unique temp name: concurrent writers of one key never share a file.
  std::string tmp = "." + loc->file + ".tmp." + generate_key_id();
  int dir = loc->dir.get();
  fd_guard f(
      ::openat(dir, tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644));
  if (!f) return sys_error("create " + tmp, errno);
  if (!write_all(f.get(), bytes) || ::fsync(f.get()) != 0) {
    auto e = sys_error("write " + tmp, errno);
    ::unlinkat(dir, tmp.c_str(), 0);
    return e;
  }
  f = fd_guard();
  if (::renameat(dir, tmp.c_str(), dir, loc->file.c_str()) != 0) {
    auto e = sys_error("rename " + tmp, errno);
    ::unlinkat(dir, tmp.c_str(), 0);
    return e;
  }
  if (::fsync(dir) != 0) return sys_error("fsync dir", errno);
  return {};
}

// The size of the open blob, if it is a regular file within max_bytes.
expected<std::size_t> readable_size(int fd, std::size_t max_bytes) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return sys_error("stat blob", errno);
  if (!S_ISREG(st.st_mode)) return make_error(errc::invalid_input, "blob is not a regular file");
  if (static_cast<std::uint64_t>(st.st_size) > max_bytes) {
    return make_error(errc::payload_too_large, "blob of " + std::to_string(st.st_size) +
                                                   " bytes is above the limit of " +
                                                   std::to_string(max_bytes));
  }
  return static_cast<std::size_t>(st.st_size);
}

// Set once openat2 or RWF_NOWAIT turns out to be missing (old kernel, seccomp filter): every
// cached read then answers "would wait" without trying.
std::atomic<bool> no_wait_reads_unsupported{false};

std::optional<std::string> would_wait(bool unsupported = false) {
  if (unsupported) no_wait_reads_unsupported.store(true, std::memory_order_relaxed);
  return std::nullopt;
}

// One openat2 for the whole relative path (Debian 12's glibc has no wrapper): the same guarantee
// as open_dir's O_NOFOLLOW walk (no symlink anywhere, never above root) in one system call, and
// EAGAIN instead of a disk wait when a step is not in the dentry cache.
int open_beneath_cached(int root, const std::string& relative) {
  open_how how{};
  how.flags = O_RDONLY | O_NOFOLLOW | O_CLOEXEC;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_CACHED;
  return static_cast<int>(::syscall(SYS_openat2, root, relative.c_str(), &how, sizeof how));
}

expected<std::optional<std::string>> get_cached_at(int root_fd, const location& at,
                                                   std::size_t max_bytes) {
  fd_guard f(open_beneath_cached(root_fd, at.tenant + '/' + at.folder + '/' + at.file));
  if (!f) {
    switch (errno) {
      case EAGAIN:
        return would_wait();
      case ENOSYS:
      case EINVAL:
      case EPERM:
        return would_wait(true);
      case ENOENT:
        return make_error(errc::not_found, "blob not found");
      case ELOOP:
      case EXDEV:
      case ENOTDIR:
        return make_error(errc::invalid_input, "blob path is not a plain path beneath the root");
      default:
        return sys_error("open blob", errno);
    }
  }
  auto size = readable_size(f.get(), max_bytes);
  if (!size) return std::move(size).error();
  std::string out(*size, '\0');
  std::size_t got = 0;
  while (got < out.size()) {
    iovec part{out.data() + got, out.size() - got};
    ssize_t n = ::preadv2(f.get(), &part, 1, static_cast<off_t>(got), RWF_NOWAIT);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return would_wait();  // not (all) in the page cache
    if (n < 0 && (errno == EOPNOTSUPP || errno == ENOSYS || errno == EINVAL))
      return would_wait(true);
    if (n < 0) return sys_error("read blob", errno);
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  out.resize(got);
  return std::optional<std::string>(std::move(out));
}

expected<std::string> get_at(const std::string& root_, const location& at, std::size_t max_bytes) {
  auto loc = locate(root_, at, false);
  if (!loc) return std::move(loc).error();
  fd_guard f(::openat(loc->dir.get(), loc->file.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (!f) {
    if (errno == ENOENT) return make_error(errc::not_found, "blob not found");
    return sys_error("open blob", errno);
  }
  auto size = readable_size(f.get(), max_bytes);
  if (!size) return std::move(size).error();
  std::string out(*size, '\0');
  std::size_t got = 0;
  while (got < out.size()) {
    ssize_t n = ::read(f.get(), out.data() + got, out.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return sys_error("read blob", errno);
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  // A file that shrank under us is truncated: answer what is there, bounded by max_bytes.
  out.resize(got);
  return out;
}

expected<bool> exists_at(const std::string& root_, const location& at) {
  auto loc = locate(root_, at, false);
  if (!loc) {
    if (loc.error().code == errc::not_found) return false;
    return std::move(loc).error();
  }
  struct stat st {};
  if (::fstatat(loc->dir.get(), loc->file.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return false;
    return sys_error("stat blob", errno);
  }
  return S_ISREG(st.st_mode);
}

expected<void> remove_at(const std::string& root_, const location& at) {
  auto loc = locate(root_, at, false);
  if (!loc) {
    if (loc.error().code == errc::not_found) return {};
    return std::move(loc).error();
  }
  if (::unlinkat(loc->dir.get(), loc->file.c_str(), 0) != 0 && errno != ENOENT) {
    return sys_error("unlink blob", errno);
  }
  ::fsync(loc->dir.get());
  return {};
}

}  // namespace

expected<void> fs_blob_store::put(const artifact_key& key, std::string_view bytes) {
  auto at = where(key);
  if (!at) return std::move(at).error();
  return put_at(root_, *at, bytes);
}

expected<std::string> fs_blob_store::get(const artifact_key& key, std::size_t max_bytes) {
  auto at = where(key);
  if (!at) return std::move(at).error();
  return get_at(root_, *at, max_bytes);
}

expected<std::optional<std::string>> fs_blob_store::get_if_cached(const artifact_key& key,
                                                                  std::size_t max_bytes) {
  if (no_wait_reads_unsupported.load(std::memory_order_relaxed)) return would_wait();
  auto at = where(key);
  if (!at) return std::move(at).error();
  auto root_fd = cached_root();
  if (!root_fd) return std::move(root_fd).error();
  return get_cached_at(*root_fd, *at, max_bytes);
}

expected<int> fs_blob_store::cached_root() {
  if (int fd = cached_root_fd_.load(std::memory_order_acquire); fd >= 0) return fd;
  int fd = ::open(root_.c_str(), (dir_flags & ~O_NOFOLLOW) | O_PATH);
  if (fd < 0) return sys_error("open blob root " + root_, errno);
  int expected_fd = -1;
  if (!cached_root_fd_.compare_exchange_strong(expected_fd, fd, std::memory_order_acq_rel)) {
    ::close(fd);  // another thread cached one first
    return expected_fd;
  }
  return fd;
}

fs_blob_store::~fs_blob_store() {
  if (int fd = cached_root_fd_.load(); fd >= 0) ::close(fd);
}

expected<bool> fs_blob_store::exists(const artifact_key& key) {
  auto at = where(key);
  if (!at) return std::move(at).error();
  return exists_at(root_, *at);
}

expected<void> fs_blob_store::remove(const artifact_key& key) {
  auto at = where(key);
  if (!at) return std::move(at).error();
  return remove_at(root_, *at);
}

expected<void> fs_blob_store::put(const dataset_key& key, std::string_view bytes) {
  auto at = where(key);
  if (!at) return std::move(at).error();
  return put_at(root_, *at, bytes);
}

expected<std::string> fs_blob_store::get(const dataset_key& key, std::size_t max_bytes) {
  auto at = where(key);
  if (!at) return std::move(at).error();
  return get_at(root_, *at, max_bytes);
}

expected<void> fs_blob_store::remove(const dataset_key& key) {
  auto at = where(key);
  if (!at) return std::move(at).error();
  return remove_at(root_, *at);
}

expected<void> fs_blob_store::remove_prefix(std::string_view tenant, std::string_view model) {
  if (auto ok = check_name("tenant", tenant); !ok) return std::move(ok).error();
  if (!model.empty()) {
    if (auto ok = check_name("model", model); !ok) return std::move(ok).error();
  }
  fd_guard root_fd(::open(root_.c_str(), dir_flags & ~O_NOFOLLOW));
  if (!root_fd) return sys_error("open blob root " + root_, errno);
  if (model.empty()) return remove_tree_at(root_fd.get(), std::string(tenant));
  auto t = open_dir(root_fd.get(), std::string(tenant), false);
  if (!t) {
    if (t.error().code == errc::not_found) return {};
    return std::move(t).error();
  }
  return remove_tree_at(t->get(), std::string(model));
}

}  // namespace mf::cluster
