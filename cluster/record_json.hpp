// JSON form of the registry records as stored in Redis and sent as events (docs/keyspace.md).
// Pure functions; thread-safe. Decoding never throws: a corrupt record is errc::internal.
#pragma once

#include <string>
#include <string_view>

#include "cluster/records.hpp"
#include "common/expected.hpp"

namespace mf::cluster {

std::string to_json(const version_record& v);
std::string to_json(const history_event& e);
std::string to_json(const job_record& j);
std::string to_json(const node_record& n);
std::string to_json(const placement& p);
std::string to_json(const key_record& k);
std::string to_json(const tenant_quota& q);
// The fields record_job_progress / record_job_result set, as a JSON object to merge into a job.
std::string job_patch_json(double progress, std::string_view node);
std::string job_patch_json(const job_result_fields& result);

expected<version_record> version_from_json(std::string_view s);
expected<history_event> history_from_json(std::string_view s);
expected<job_record> job_from_json(std::string_view s);
expected<node_record> node_from_json(std::string_view s);
expected<placement> placement_from_json(std::string_view s);
expected<key_record> key_from_json(std::string_view s);
expected<tenant_quota> quota_from_json(std::string_view s);

// Event payloads (see registry.hpp for the list).
std::string activated_event(std::string_view tenant, std::string_view model, std::int64_t from,
                            std::int64_t to);
std::string version_deleted_event(std::string_view tenant, std::string_view model,
                                  std::int64_t version);
std::string placement_event(std::int64_t epoch);
std::string drain_event(std::string_view node, bool draining);
std::string simple_event(std::string_view type,
                         std::initializer_list<std::pair<std::string_view, std::string_view>> kv);

}  // namespace mf::cluster
