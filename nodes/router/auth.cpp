// auth: tokens hashed with mf::cluster::sha256 (the tenant-key hash), digests compared with
// CRYPTO_memcmp (constant time).
#include "nodes/router/auth.hpp"

#include <openssl/crypto.h>

#include <cctype>

namespace mf::router {

std::optional<std::string_view> bearer_token(std::string_view header) {
  while (!header.empty() && header.front() == ' ') header.remove_prefix(1);
  constexpr std::string_view scheme = "bearer";
  if (header.size() <= scheme.size()) return std::nullopt;
  for (std::size_t i = 0; i < scheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(header[i])) != scheme[i]) return std::nullopt;
  }
  if (header[scheme.size()] != ' ') return std::nullopt;
  header.remove_prefix(scheme.size());
  while (!header.empty() && header.front() == ' ') header.remove_prefix(1);
  while (!header.empty() && (header.back() == ' ' || header.back() == '\r'))
    header.remove_suffix(1);
  if (header.empty()) return std::nullopt;
  return header;
}

// Over the digests, so neither the content nor the length of the token leaks through timing.
bool admin_token::matches(const token_digest& candidate) const {
  return enabled_ && CRYPTO_memcmp(digest_.data(), candidate.data(), digest_.size()) == 0;
}

mf::expected<void> authorize(const principal& who, const route_match& m) {
  if (who.admin) return {};
  switch (access_of(m.id)) {
    case route_access::public_:
      return {};
    case route_access::admin:
      return mf::make_error(errc::forbidden, "this route needs the admin token");
    case route_access::tenant:
      if (m.id == route_id::job_get || m.id == route_id::job_cancel) return {};
      if (m.tenant == who.tenant) return {};
      return mf::make_error(errc::forbidden,
                            "this key may only use /v1/tenants/" + who.tenant + "/...");
  }
  return mf::make_error(errc::forbidden, "forbidden");
}

std::optional<std::string> key_cache::find(const std::string& key_hash) {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(key_hash);
  if (it == entries_.end()) return std::nullopt;
  if (it->second.expires < std::chrono::steady_clock::now()) {
    entries_.erase(it);
    return std::nullopt;
  }
  return it->second.tenant;
}

void key_cache::put(const std::string& key_hash, std::string tenant) {
  std::lock_guard lock(mutex_);
  if (entries_.size() > 100'000) entries_.clear();  // bound memory against key-spraying clients
  entries_[key_hash] = entry{std::move(tenant), std::chrono::steady_clock::now() + ttl_};
}

void key_cache::erase_tenant(const std::string& tenant) {
  std::lock_guard lock(mutex_);
  std::erase_if(entries_, [&](const auto& kv) { return kv.second.tenant == tenant; });
}

}  // namespace mf::router
