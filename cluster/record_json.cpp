#include "cluster/record_json.hpp"

#include <nlohmann/json.hpp>

namespace mf::cluster {
namespace {

using json = nlohmann::json;
// Events keep "type" first and fields in a fixed order: the Lua scripts build the same text.
using ordered = nlohmann::ordered_json;

template <class T, class F>
expected<T> decode(std::string_view s, const char* what, F&& fill) {
  try {
    auto j = json::parse(s);
    T out;
    fill(j, out);
    return out;
  } catch (const std::exception& e) {
    return make_error(errc::internal, std::string("corrupt ") + what + " record: " + e.what());
  }
}

template <class T>
void opt(const json& j, const char* key, T& out) {
  if (auto it = j.find(key); it != j.end() && !it->is_null()) out = it->get<T>();
}

}  // namespace

std::string to_json(const version_record& v) {
  return json{{"version", v.version}, {"algorithm", v.algorithm},    {"n_features", v.n_features},
              {"metrics", v.metrics}, {"primary", v.primary_metric}, {"size_bytes", v.size_bytes},
              {"sha256", v.sha256},   {"created_at", v.created_at},  {"source", v.source},
              {"job_id", v.job_id}}
      .dump();
}

expected<version_record> version_from_json(std::string_view s) {
  return decode<version_record>(s, "version", [](const json& j, version_record& v) {
    v.version = j.at("version").get<std::int64_t>();
    opt(j, "algorithm", v.algorithm);
    opt(j, "n_features", v.n_features);
    opt(j, "metrics", v.metrics);
    opt(j, "primary", v.primary_metric);
    opt(j, "size_bytes", v.size_bytes);
    opt(j, "sha256", v.sha256);
    opt(j, "created_at", v.created_at);
    opt(j, "source", v.source);
    opt(j, "job_id", v.job_id);
  });
}

std::string to_json(const history_event& e) {
  return json{{"at", e.at}, {"from", e.from}, {"to", e.to}, {"reason", e.reason}, {"by", e.by}}
      .dump();
}

expected<history_event> history_from_json(std::string_view s) {
  return decode<history_event>(s, "history", [](const json& j, history_event& e) {
    opt(j, "at", e.at);
    opt(j, "from", e.from);
    opt(j, "to", e.to);
    opt(j, "reason", e.reason);
    opt(j, "by", e.by);
  });
}

std::string to_json(const job_record& r) {
  json j{{"id", r.id},
         {"tenant", r.tenant},
         {"model", r.model},
         {"algorithm", r.algorithm},
         {"activate", r.activate},
         {"status", std::string(to_string(r.status))},
         {"progress", r.progress},
         {"version", r.version ? json(*r.version) : json(nullptr)},
         {"metrics", r.metrics},
         {"activated", r.activated},
         {"error", r.error ? json(*r.error) : json(nullptr)},
         {"created_at", r.created_at},
         {"started_at", r.started_at},
         {"finished_at", r.finished_at},
         {"node", r.node},
         {"attempts", r.attempts},
         {"request_ref", r.request_ref},
         {"cancel_requested", r.cancel_requested},
         {"lease_owner", r.lease_owner},
         {"lease_expires_at", r.lease_expires_at},
         {"artifact_key", r.artifact_key},
         {"size_bytes", r.size_bytes},
         {"sha256", r.sha256}};
  return j.dump();
}

std::string job_patch_json(double progress, std::string_view node) {
  return json{{"progress", progress}, {"node", std::string(node)}}.dump();
}

std::string job_patch_json(const job_result_fields& r) {
  json j{{"node", r.node}};
  if (r.error) {
    j["error"] = *r.error;
  } else {
    j["progress"] = 1.0;
    j["metrics"] = r.metrics;
    j["artifact_key"] = r.artifact_key;
    j["size_bytes"] = r.size_bytes;
    j["sha256"] = r.sha256;
  }
  return j.dump();
}

expected<job_record> job_from_json(std::string_view s) {
  return decode<job_record>(s, "job", [](const json& j, job_record& r) {
    r.id = j.at("id").get<std::string>();
    opt(j, "tenant", r.tenant);
    opt(j, "model", r.model);
    opt(j, "algorithm", r.algorithm);
    opt(j, "activate", r.activate);
    auto st = parse_job_status(j.at("status").get<std::string>());
    if (!st) throw std::runtime_error("bad job status");
    r.status = *st;
    opt(j, "progress", r.progress);
    if (auto it = j.find("version"); it != j.end() && !it->is_null()) {
      r.version = it->get<std::int64_t>();
    }
    opt(j, "metrics", r.metrics);
    opt(j, "activated", r.activated);
    if (auto it = j.find("error"); it != j.end() && !it->is_null()) {
      r.error = it->get<std::string>();
    }
    opt(j, "created_at", r.created_at);
    opt(j, "started_at", r.started_at);
    opt(j, "finished_at", r.finished_at);
    opt(j, "node", r.node);
    opt(j, "attempts", r.attempts);
    opt(j, "request_ref", r.request_ref);
    opt(j, "cancel_requested", r.cancel_requested);
    opt(j, "lease_owner", r.lease_owner);
    opt(j, "lease_expires_at", r.lease_expires_at);
    opt(j, "artifact_key", r.artifact_key);
    opt(j, "size_bytes", r.size_bytes);
    opt(j, "sha256", r.sha256);
  });
}

std::string to_json(const node_record& n) {
  return json{{"node", n.node},
              {"role", n.role},
              {"address", n.address},
              {"admin_address", n.admin_address},
              {"tenants", n.tenants},
              {"models_loaded", n.models_loaded},
              {"memory_bytes", n.memory_bytes},
              {"memory_budget_bytes", n.memory_budget_bytes},
              {"inflight", n.inflight},
              {"training_slots", n.training_slots},
              {"training_busy", n.training_busy},
              {"weight", n.weight},
              {"last_heartbeat", n.last_heartbeat},
              {"protocol", n.protocol}}
      .dump();
}

expected<node_record> node_from_json(std::string_view s) {
  return decode<node_record>(s, "node", [](const json& j, node_record& n) {
    n.node = j.at("node").get<std::string>();
    opt(j, "role", n.role);
    opt(j, "address", n.address);
    opt(j, "admin_address", n.admin_address);
    opt(j, "tenants", n.tenants);
    opt(j, "models_loaded", n.models_loaded);
    opt(j, "memory_bytes", n.memory_bytes);
    opt(j, "memory_budget_bytes", n.memory_budget_bytes);
    opt(j, "inflight", n.inflight);
    opt(j, "training_slots", n.training_slots);
    opt(j, "training_busy", n.training_busy);
    opt(j, "weight", n.weight);
    opt(j, "last_heartbeat", n.last_heartbeat);
    opt(j, "protocol", n.protocol);
  });
}

std::string to_json(const placement& p) {
  return json{{"epoch", p.epoch}, {"replicas", p.replicas}, {"tenants", p.tenants}}.dump();
}

expected<placement> placement_from_json(std::string_view s) {
  return decode<placement>(s, "placement", [](const json& j, placement& p) {
    p.epoch = j.at("epoch").get<std::int64_t>();
    opt(j, "replicas", p.replicas);
    opt(j, "tenants", p.tenants);
  });
}

std::string to_json(const key_record& k) {
  return json{
      {"key_id", k.key_id}, {"tenant", k.tenant}, {"hash", k.hash}, {"created_at", k.created_at}}
      .dump();
}

expected<key_record> key_from_json(std::string_view s) {
  return decode<key_record>(s, "key", [](const json& j, key_record& k) {
    k.key_id = j.at("key_id").get<std::string>();
    k.tenant = j.at("tenant").get<std::string>();
    k.hash = j.at("hash").get<std::string>();
    opt(j, "created_at", k.created_at);
  });
}

std::string to_json(const tenant_quota& q) {
  return json{{"memory_bytes", q.memory_bytes},
              {"models", q.models},
              {"requests_per_second", q.requests_per_second}}
      .dump();
}

expected<tenant_quota> quota_from_json(std::string_view s) {
  return decode<tenant_quota>(s, "quota", [](const json& j, tenant_quota& q) {
    opt(j, "memory_bytes", q.memory_bytes);
    opt(j, "models", q.models);
    opt(j, "requests_per_second", q.requests_per_second);
  });
}

std::string activated_event(std::string_view tenant, std::string_view model, std::int64_t from,
                            std::int64_t to) {
  return ordered{
      {"type", "activated"}, {"tenant", tenant}, {"model", model}, {"from", from}, {"to", to}}
      .dump();
}

std::string version_deleted_event(std::string_view tenant, std::string_view model,
                                  std::int64_t version) {
  return ordered{
      {"type", "version_deleted"}, {"tenant", tenant}, {"model", model}, {"version", version}}
      .dump();
}

std::string placement_event(std::int64_t epoch) {
  return ordered{{"type", "placement"}, {"epoch", epoch}}.dump();
}

std::string drain_event(std::string_view node, bool draining) {
  return ordered{{"type", "drain"}, {"node", node}, {"draining", draining}}.dump();
}

std::string simple_event(std::string_view type,
                         std::initializer_list<std::pair<std::string_view, std::string_view>> kv) {
  ordered j{{"type", type}};
  for (const auto& [k, v] : kv) j[std::string(k)] = v;
  return j.dump();
}

}  // namespace mf::cluster
