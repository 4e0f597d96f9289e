#include "cluster/registry.hpp"

#include "cluster/api_key.hpp"
#include "cluster/names.hpp"

namespace mf::cluster {
namespace {

key_record new_key(std::string_view tenant, std::string& secret) {
  secret = generate_api_key();
  key_record k;
  k.key_id = generate_key_id();
  k.tenant = std::string(tenant);
  k.hash = hash_api_key(secret);
  k.created_at = now_unix_ms();
  return k;
}

}  // namespace

expected<void> check_quota(const tenant_quota& quota) {
  if (quota.memory_bytes < 0 || quota.models < 0 || quota.requests_per_second < 0) {
    return make_error(errc::invalid_input, "quota values must be >= 0 (0 = unlimited)");
  }
  return {};
}

expected<created_key> registry::create_tenant(std::string_view tenant, const tenant_quota& quota) {
  if (auto ok = check_name("tenant", tenant); !ok) return std::move(ok).error();
  if (auto ok = check_quota(quota); !ok) return std::move(ok).error();
  std::string secret;
  auto key = new_key(tenant, secret);
  if (auto ok = insert_tenant(tenant, quota, key); !ok) return std::move(ok).error();
  return created_key{std::string(tenant), key.key_id, std::move(secret)};
}

expected<created_key> registry::add_key(std::string_view tenant) {
  if (auto ok = check_name("tenant", tenant); !ok) return std::move(ok).error();
  std::string secret;
  auto key = new_key(tenant, secret);
  if (auto ok = insert_key(key); !ok) return std::move(ok).error();
  return created_key{std::string(tenant), key.key_id, std::move(secret)};
}

}  // namespace mf::cluster
