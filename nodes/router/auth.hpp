// auth: bearer-token parsing, the constant-time admin-token check, route authorization and a
// short-lived cache of tenant-key hashes. Free functions are pure; key_cache is thread-safe.
#pragma once

#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "cluster/api_key.hpp"
#include "common/expected.hpp"
#include "nodes/router/routes.hpp"

namespace mf::router {

// Who is calling: the admin (or anyone when auth is off), or one tenant's key.
struct principal {
  bool admin = false;
  std::string tenant;  // set for tenant keys
};

// The token of "Authorization: Bearer <token>" (scheme case-insensitive), or nullopt.
std::optional<std::string_view> bearer_token(std::string_view header);

// A token's SHA-256 (mf::cluster::sha256, the hash tenant keys are stored by). A request's
// token is hashed once: the admin check compares this digest, and its hex
// (mf::cluster::to_hex) is the tenant-key lookup.
using token_digest = mf::cluster::sha256_digest;

// The admin token; empty = auth off (every caller is admin).
class admin_token {
 public:
  admin_token() = default;
  explicit admin_token(const std::string& token)
      : enabled_(!token.empty()), digest_(mf::cluster::sha256(token)) {}
  bool enabled() const { return enabled_; }
  bool matches(std::string_view candidate) const { return matches(mf::cluster::sha256(candidate)); }
  // Constant time over the digests (the token's digest is kept, not the token).
  bool matches(const token_digest& candidate) const;

 private:
  bool enabled_ = false;
  token_digest digest_{};
};

// 403 when `who` may not call route `m`. Job routes are checked against the job's tenant by
// their handler (the tenant is not in the path).
mf::expected<void> authorize(const principal& who, const route_match& m);

// key hash -> tenant, kept for `ttl` so the predict path does not ask Redis per request.
// A deleted key stays usable for at most `ttl` on a router that had it cached.
class key_cache {
 public:
  explicit key_cache(std::chrono::milliseconds ttl = std::chrono::seconds(5)) : ttl_(ttl) {}
  std::optional<std::string> find(const std::string& key_hash);
  void put(const std::string& key_hash, std::string tenant);
  void erase_tenant(const std::string& tenant);

 private:
  struct entry {
    std::string tenant;
    std::chrono::steady_clock::time_point expires;
  };
  std::mutex mutex_;
  std::unordered_map<std::string, entry> entries_;
  std::chrono::milliseconds ttl_;
};

}  // namespace mf::router
