#include "actors/coordinator/job_keys.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string_view>

#include "cluster/names.hpp"

namespace mf::coordinator {
namespace {

constexpr std::size_t max_request_bytes = std::size_t{256} << 20;

// Each path segment must be a valid name: no "..", no absolute path, no escape from root.
bool safe_relative_path(std::string_view path) {
  if (path.empty()) return false;
  std::size_t start = 0;
  while (start <= path.size()) {
    const auto slash = path.find('/', start);
    const auto seg = path.substr(
        start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    // "_datasets" style folders are allowed: underscore prefix, then the name rule.
    const auto plain = !seg.empty() && seg.front() == '_' ? seg.substr(1) : seg;
    if (!cluster::is_valid_name(plain)) return false;
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return true;
}

}  // namespace

mf::expected<std::string> load_train_payload(const std::string& request_ref,
                                             const std::string& store_spec) {
  if (!request_ref.empty() && request_ref.front() == '{') return request_ref;
  if (store_spec.rfind("fs:", 0) != 0)
    return mf::make_error(errc::unavailable, "training request " + request_ref +
                                                 " is not inline and the store is not fs");
  if (!safe_relative_path(request_ref))
    return mf::make_error(errc::invalid_input, "bad training request reference: " + request_ref);
  const std::string path = store_spec.substr(3) + "/" + request_ref;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    return mf::make_error(errno == ENOENT ? errc::not_found : errc::unavailable,
                          "cannot open training request " + request_ref);
  struct stat st {};
  if (::fstat(fd, &st) != 0 || static_cast<std::size_t>(st.st_size) > max_request_bytes) {
    ::close(fd);
    return mf::make_error(errc::payload_too_large, "training request too large: " + request_ref);
  }
  std::string out(static_cast<std::size_t>(st.st_size), '\0');
  std::size_t done = 0;
  while (done < out.size()) {
    const ssize_t n = ::read(fd, out.data() + done, out.size() - done);
    if (n <= 0) break;
    done += static_cast<std::size_t>(n);
  }
  ::close(fd);
  out.resize(done);
  return out;
}

}  // namespace mf::coordinator
