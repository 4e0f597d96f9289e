// auth: bearer-token parsing, the constant-time admin-token check, route authorization and a
// short-lived cache of tenant-key hashes. Free functions are pure; key_cache is thread-safe.
#pragma once

#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/expected.hpp"
#include "nodes/router/routes.hpp"

namespace mf::router {

// Who is calling: the admin (or anyone when auth is off), or one tenant's key.
struct principal {
  bool admin = false;
  std::string tenant;  // set for tenant keys
};

// The token of "Authorization: Bearer <token>" (scheme case-insensitive), or nullopt.
std::optional<std::string> bearer_token(std::string_view header);

// Lower-case hex SHA-256; tenant keys are stored and looked up by this hash.
std::string sha256_hex(std::string_view bytes);

// Constant-time equality of two equal-length strings' SHA-256 digests, so neither the
// content nor the length of the secret leaks through timing.
bool constant_time_equal(std::string_view a, std::string_view b);

// The admin token; empty = auth off (every caller is admin).
class admin_token {
 public:
  admin_token() = default;
  explicit admin_token(std::string token) : token_(std::move(token)) {}
  bool enabled() const { return !token_.empty(); }
  bool matches(std::string_view candidate) const {
    return enabled() && constant_time_equal(token_, candidate);
  }

 private:
  std::string token_;
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
