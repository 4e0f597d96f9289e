#include "cluster/redis_blob_store.hpp"

#include <algorithm>

#include "cluster/names.hpp"

namespace mf::cluster {
namespace {

// ARGV: key, index set, bytes. The blob and its index entry change together.
const char* const put_script = R"lua(
redis.call('SET', ARGV[1], ARGV[3])
redis.call('SADD', ARGV[2], ARGV[1])
return 1
)lua";

// ARGV: key, max_bytes. The size check happens before any byte is sent.
const char* const get_script = R"lua(
local n = redis.call('STRLEN', ARGV[1])
if n == 0 and redis.call('EXISTS', ARGV[1]) == 0 then return false end
if n > tonumber(ARGV[2]) then return redis.error_reply('TOOLARGE '..n) end
return redis.call('GET', ARGV[1])
)lua";

const char* const remove_script = R"lua(
redis.call('DEL', ARGV[1])
redis.call('SREM', ARGV[2], ARGV[1])
return 1
)lua";

// ARGV: index set, key prefix to match ('' = all of the tenant)
const char* const remove_prefix_script = R"lua(
local n = 0
for _, k in ipairs(redis.call('SMEMBERS', ARGV[1])) do
  if ARGV[2] == '' or string.sub(k, 1, string.len(ARGV[2])) == ARGV[2] then
    redis.call('DEL', k)
    redis.call('SREM', ARGV[1], k)
    n = n + 1
  end
end
return n
)lua";

const redis_script& put_s() {
  static const redis_script s(put_script);
  return s;
}
const redis_script& get_s() {
  static const redis_script s(get_script);
  return s;
}
const redis_script& remove_s() {
  static const redis_script s(remove_script);
  return s;
}
const redis_script& remove_prefix_s() {
  static const redis_script s(remove_prefix_script);
  return s;
}

expected<void> checked(expected<redis_reply> r) {
  if (!r) return std::move(r).error();
  if (r->is_error()) {
    // LOADING: Redis restarted and is reading its AOF; retry later like any outage.
    auto code = r->str().rfind("LOADING", 0) == 0 ? errc::unavailable : errc::internal;
    return make_error(code, "redis blob store: " + r->str());
  }
  return {};
}

}  // namespace

expected<std::unique_ptr<redis_blob_store>> redis_blob_store::connect(std::string_view url,
                                                                      std::string prefix,
                                                                      redis_options options) {
  // Artifacts are large: give transfers more time than the registry's small commands.
  options.command_timeout = std::max(options.command_timeout, std::chrono::milliseconds(30000));
  auto c = redis_client::connect(url, options);
  if (!c) return std::move(c).error();
  return std::make_unique<redis_blob_store>(std::move(*c), std::move(prefix));
}

redis_blob_store::redis_blob_store(redis_client client, std::string prefix)
    : client_(std::move(client)), prefix_(std::move(prefix)) {}

expected<std::string> redis_blob_store::blob_key(const artifact_key& key) const {
  if (auto p = blob_path(key); !p) return std::move(p).error();
  return prefix_ + "blob:" + key.tenant + ":" + key.model + ":" + std::to_string(key.version);
}

expected<std::string> redis_blob_store::blob_key(const dataset_key& key) const {
  if (auto p = dataset_path(key); !p) return std::move(p).error();
  return prefix_ + "blob:" + key.tenant + ":_datasets:" + key.job_id;
}

expected<void> redis_blob_store::put_at(const std::string& key, std::string_view tenant,
                                        std::string_view bytes) {
  return checked(client_.eval(put_s(), {},
                              {key, prefix_ + "blobs:" + std::string(tenant), std::string(bytes)}));
}

expected<std::string> redis_blob_store::get_at(const std::string& key, std::size_t max_bytes) {
  auto r = client_.eval(get_s(), {}, {key, std::to_string(max_bytes)});
  if (!r) return std::move(r).error();
  if (r->is_nil()) return make_error(errc::not_found, "blob not found");
  if (r->is_error()) {
    if (r->str().rfind("TOOLARGE", 0) == 0) {
      return make_error(errc::payload_too_large,
                        "blob is above the limit of " + std::to_string(max_bytes) + " bytes");
    }
    return make_error(errc::internal, "redis blob store: " + r->str());
  }
  return r->str();
}

expected<void> redis_blob_store::remove_at(const std::string& key, std::string_view tenant) {
  return checked(client_.eval(remove_s(), {}, {key, prefix_ + "blobs:" + std::string(tenant)}));
}

expected<void> redis_blob_store::put(const artifact_key& key, std::string_view bytes) {
  auto k = blob_key(key);
  if (!k) return std::move(k).error();
  return put_at(*k, key.tenant, bytes);
}

expected<std::string> redis_blob_store::get(const artifact_key& key, std::size_t max_bytes) {
  auto k = blob_key(key);
  if (!k) return std::move(k).error();
  return get_at(*k, max_bytes);
}

expected<void> redis_blob_store::put(const dataset_key& key, std::string_view bytes) {
  auto k = blob_key(key);
  if (!k) return std::move(k).error();
  return put_at(*k, key.tenant, bytes);
}

expected<std::string> redis_blob_store::get(const dataset_key& key, std::size_t max_bytes) {
  auto k = blob_key(key);
  if (!k) return std::move(k).error();
  return get_at(*k, max_bytes);
}

expected<void> redis_blob_store::remove(const dataset_key& key) {
  auto k = blob_key(key);
  if (!k) return std::move(k).error();
  return remove_at(*k, key.tenant);
}

expected<bool> redis_blob_store::exists(const artifact_key& key) {
  auto k = blob_key(key);
  if (!k) return std::move(k).error();
  auto r = client_.command({"EXISTS", *k});
  if (!r) return std::move(r).error();
  return r->as_integer() == 1;
}

expected<void> redis_blob_store::remove(const artifact_key& key) {
  auto k = blob_key(key);
  if (!k) return std::move(k).error();
  return remove_at(*k, key.tenant);
}

expected<void> redis_blob_store::remove_prefix(std::string_view tenant, std::string_view model) {
  if (auto ok = check_name("tenant", tenant); !ok) return std::move(ok).error();
  std::string match;
  if (!model.empty()) {
    if (auto ok = check_name("model", model); !ok) return std::move(ok).error();
    match = prefix_ + "blob:" + std::string(tenant) + ":" + std::string(model) + ":";
  }
  return checked(
      client_.eval(remove_prefix_s(), {}, {prefix_ + "blobs:" + std::string(tenant), match}));
}

}  // namespace mf::cluster
