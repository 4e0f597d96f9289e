// api_handlers: one function per route; each validates everything before the first write so
// a failed request leaves no partial state (API.md "Errors").
#include "nodes/router/api_handlers.hpp"

#include <cmath>
#include <ctime>
#include <nlohmann/json.hpp>

#include "cluster/api_key.hpp"
#include "cluster/names.hpp"
#include "ml/ml.hpp"

namespace mf::router {
namespace {

using mf::cluster::registry;
using nlohmann::json;

api_response ok_json(int status, const json& j) {
  return json_response(status, j.dump());
}

api_response fail(errc code, std::string message) {
  return error_response(mf::make_error(code, std::move(message)));
}

std::string who_label(const principal& who) {
  return who.admin ? "admin" : "tenant";
}

json metrics_json(const std::map<std::string, double>& m) {
  json j = json::object();
  for (const auto& [k, v] : m) j[k] = v;
  return j;
}

mf::expected<json> parse_json_body(const api_request& req, bool allow_empty) {
  if (req.body.empty() && allow_empty) return json::object();
  if (req.content_type != "application/json") {
    return mf::make_error(errc::unsupported_media_type, "Content-Type must be application/json");
  }
  json j = json::parse(req.body, nullptr, false);
  if (j.is_discarded())
    return mf::make_error(errc::malformed_json, "request body is not valid JSON");
  if (!j.is_object())
    return mf::make_error(errc::invalid_field, "request body must be a JSON object");
  return j;
}

mf::expected<mf::cluster::tenant_quota> parse_quota(const json& body, mf::cluster::tenant_quota q) {
  if (!body.contains("quota")) return q;
  const json& jq = body["quota"];
  if (!jq.is_object()) return mf::make_error(errc::invalid_field, "\"quota\" must be an object");
  for (const auto& [k, v] : jq.items()) {
    std::int64_t* slot = k == "memory_bytes"          ? &q.memory_bytes
                         : k == "models"              ? &q.models
                         : k == "requests_per_second" ? &q.requests_per_second
                                                      : nullptr;
    if (!slot) return mf::make_error(errc::invalid_field, "unknown quota field \"" + k + "\"");
    if (!v.is_number_integer() || v.get<std::int64_t>() < 0) {
      return mf::make_error(errc::invalid_field, "quota." + k + " must be a non-negative integer");
    }
    *slot = v.get<std::int64_t>();
  }
  return q;
}

json quota_json(const mf::cluster::tenant_quota& q) {
  return json{{"memory_bytes", q.memory_bytes},
              {"models", q.models},
              {"requests_per_second", q.requests_per_second}};
}

json version_json(const mf::cluster::version_record& v) {
  json j{{"version", v.version},
         {"algorithm", v.algorithm},
         {"n_features", v.n_features},
         {"metrics", metrics_json(v.metrics)},
         {"size_bytes", v.size_bytes},
         {"sha256", v.sha256},
         {"created_at", rfc3339(v.created_at)},
         {"source", v.source},
         {"job_id", v.job_id.empty() ? json(nullptr) : json(v.job_id)}};
  if (!v.primary_metric.empty()) j["metrics"]["primary"] = v.primary_metric;
  return j;
}

json time_or_null(std::int64_t ms) {
  return ms == 0 ? json(nullptr) : json(rfc3339(ms));
}

json job_json(const mf::cluster::job_record& r) {
  // The coordinator reserves the version id at the first assignment; it is the job's version
  // only once the job succeeded (a failed or cancelled job never publishes it).
  const bool has_version = r.version && r.status == mf::cluster::job_status::succeeded;
  return json{{"job_id", r.id},
              {"tenant", r.tenant},
              {"model", r.model},
              {"algorithm", r.algorithm},
              {"status", std::string(mf::cluster::to_string(r.status))},
              {"progress", r.progress},
              {"version", has_version ? json(*r.version) : json(nullptr)},
              {"metrics", metrics_json(r.metrics)},
              {"activated", r.activated},
              {"error", r.error ? json(*r.error) : json(nullptr)},
              {"created_at", time_or_null(r.created_at)},
              {"started_at", time_or_null(r.started_at)},
              {"finished_at", time_or_null(r.finished_at)},
              {"node", r.node.empty() ? json(nullptr) : json(r.node)},
              {"attempts", r.attempts}};
}

json history_json(const mf::cluster::history_event& e) {
  return json{
      {"at", rfc3339(e.at)}, {"from", e.from}, {"to", e.to}, {"reason", e.reason}, {"by", e.by}};
}

// 404 unless the tenant exists (routes under /v1/tenants/{t} answer not_found for unknown tenants).
mf::expected<void> require_tenant(registry& reg, const std::string& tenant) {
  auto t = reg.get_tenant(tenant);
  if (!t) return std::move(t).error();
  return {};
}

mf::cluster::artifact_key artifact_key(const std::string& tenant, const std::string& model,
                                       std::int64_t version) {
  return mf::cluster::artifact_key{tenant, model, version};
}

// ---- tenants ---------------------------------------------------------------------------
api_response tenants_list(handler_context& ctx) {
  auto list = ctx.registry->list_tenants();
  if (!list) return error_response(list.error());
  json arr = json::array();
  for (const auto& t : *list) {
    arr.push_back({{"tenant", t.tenant},
                   {"models", t.models},
                   {"created_at", rfc3339(t.created_at)},
                   {"quota", quota_json(t.quota)}});
  }
  return ok_json(200, json{{"tenants", arr}});
}

api_response tenant_create(handler_context& ctx, const route_match& m, const api_request& req) {
  auto body = parse_json_body(req, true);
  if (!body) return error_response(body.error());
  auto quota = parse_quota(*body, {});
  if (!quota) return error_response(quota.error());
  auto key = ctx.registry->create_tenant(m.tenant, *quota);
  if (!key) return error_response(key.error());
  return ok_json(201,
                 json{{"tenant", key->tenant}, {"api_key", key->api_key}, {"key_id", key->key_id}});
}

api_response tenant_patch(handler_context& ctx, const route_match& m, const api_request& req) {
  auto body = parse_json_body(req, false);
  if (!body) return error_response(body.error());
  auto current = ctx.registry->get_tenant(m.tenant);
  if (!current) return error_response(current.error());
  auto quota = parse_quota(*body, current->quota);
  if (!quota) return error_response(quota.error());
  if (auto r = ctx.registry->set_quota(m.tenant, *quota); !r) return error_response(r.error());
  return ok_json(200, json{{"tenant", m.tenant}, {"quota", quota_json(*quota)}});
}

api_response tenant_delete(handler_context& ctx, const route_match& m) {
  if (auto r = ctx.registry->delete_tenant(m.tenant); !r) return error_response(r.error());
  // Metadata first, artifacts after: a reader never finds metadata without its artifact.
  (void)ctx.blobs->remove_prefix(m.tenant);
  return empty_response(204);
}

api_response key_create(handler_context& ctx, const route_match& m) {
  auto key = ctx.registry->add_key(m.tenant);
  if (!key) return error_response(key.error());
  return ok_json(201, json{{"api_key", key->api_key}, {"key_id", key->key_id}});
}

api_response key_delete(handler_context& ctx, const route_match& m) {
  if (auto r = ctx.registry->delete_key(m.tenant, m.key_id); !r) return error_response(r.error());
  return empty_response(204);
}

// ---- training --------------------------------------------------------------------------
struct train_request {
  std::string algorithm;
  mf::ml::params params;
  double validation_split = 0.2;
  std::string activate = "if_better";
  mf::ml::dataset data;
};

mf::expected<double> number_param(std::string_view name, std::string_view text) {
  try {
    std::size_t used = 0;
    double v = std::stod(std::string(text), &used);
    if (used != text.size()) throw std::invalid_argument("trailing");
    return v;
  } catch (...) {
    return mf::make_error(errc::invalid_input, "param " + std::string(name) + " must be a number");
  }
}

mf::expected<train_request> parse_train_json(const api_request& req) {
  auto body = parse_json_body(req, false);
  if (!body) return std::move(body).error();
  const json& j = *body;
  train_request t;
  if (!j.contains("algorithm") || !j["algorithm"].is_string()) {
    return mf::make_error(errc::invalid_field, "\"algorithm\" is required and must be a string");
  }
  t.algorithm = j["algorithm"].get<std::string>();
  if (j.contains("params") && !j["params"].is_null()) {
    if (!j["params"].is_object())
      return mf::make_error(errc::invalid_field, "\"params\" must be an object");
    for (const auto& [k, v] : j["params"].items()) {
      if (!v.is_number())
        return mf::make_error(errc::invalid_input, "param " + k + " must be a number");
      t.params[k] = v.get<double>();
    }
  }
  if (j.contains("validation_split")) {
    if (!j["validation_split"].is_number()) {
      return mf::make_error(errc::invalid_field, "\"validation_split\" must be a number");
    }
    t.validation_split = j["validation_split"].get<double>();
  }
  if (j.contains("activate")) {
    if (!j["activate"].is_string())
      return mf::make_error(errc::invalid_field, "\"activate\" must be a string");
    t.activate = j["activate"].get<std::string>();
  }
  if (!j.contains("data") || !j["data"].is_object()) {
    return mf::make_error(errc::invalid_field,
                          "\"data\" is required: {\"features\":[[...]],\"labels\":[...]}");
  }
  auto data = mf::ml::parse_json_dataset(j["data"].dump());
  if (!data) return std::move(data).error();
  t.data = std::move(*data);
  return t;
}

mf::expected<train_request> parse_train_csv(const api_request& req) {
  train_request t;
  auto alg = req.query.find("algorithm");
  if (alg == req.query.end())
    return mf::make_error(errc::invalid_field, "query parameter algorithm is required");
  t.algorithm = alg->second;
  std::string label_column;
  if (auto it = req.query.find("label_column"); it != req.query.end()) label_column = it->second;
  for (const auto& [k, v] : req.query) {
    if (k.rfind("param.", 0) == 0) {
      auto n = number_param(k.substr(6), v);
      if (!n) return std::move(n).error();
      t.params[k.substr(6)] = *n;
    } else if (k == "validation_split") {
      auto n = number_param(k, v);
      if (!n) return mf::make_error(errc::invalid_field, "validation_split must be a number");
      t.validation_split = *n;
    } else if (k == "activate") {
      t.activate = v;
    }
  }
  if (label_column.empty() && t.algorithm != "kmeans") {
    return mf::make_error(errc::invalid_field,
                          "query parameter label_column is required for " + t.algorithm);
  }
  auto data = mf::ml::parse_csv_dataset(req.body, label_column);
  if (!data) return std::move(data).error();
  t.data = std::move(*data);
  return t;
}

mf::expected<void> validate_train(const train_request& t) {
  if (t.algorithm != "auto" && !mf::ml::is_known_algorithm(t.algorithm)) {
    return mf::make_error(errc::invalid_input, "unknown algorithm \"" + t.algorithm + "\"");
  }
  if (t.algorithm != "auto") {
    if (auto r = mf::ml::validate_params(t.algorithm, t.params); !r) return r;
  } else if (!t.params.empty()) {
    return mf::make_error(errc::invalid_input, "algorithm auto takes no params");
  }
  if (!(t.validation_split >= 0.0 && t.validation_split < 1.0)) {
    return mf::make_error(errc::invalid_field, "validation_split must be in [0, 1)");
  }
  if (t.activate != "always" && t.activate != "if_better" && t.activate != "never") {
    return mf::make_error(errc::invalid_field, "activate must be always, if_better or never");
  }
  const auto rows = t.data.rows();
  if (rows == 0 || t.data.n_features == 0)
    return mf::make_error(errc::invalid_input, "data has no instances");
  if (t.algorithm != "kmeans" && t.data.labels.size() != rows) {
    return mf::make_error(errc::invalid_input,
                          "labels has " + std::to_string(t.data.labels.size()) +
                              " entries but features has " + std::to_string(rows) + " rows");
  }
  if (t.algorithm == "kmeans" && !t.data.labels.empty() && t.data.labels.size() != rows) {
    return mf::make_error(errc::invalid_input, "labels/features length mismatch");
  }
  for (std::size_t i = 0; i < t.data.features.size(); ++i) {
    if (!std::isfinite(t.data.features[i])) {
      return mf::make_error(errc::invalid_input,
                            "features[" + std::to_string(i / t.data.n_features) + "][" +
                                std::to_string(i % t.data.n_features) + "] is NaN/Inf");
    }
  }
  return {};
}

// The rows as the dataset blob: {"features":[[..]],"labels":[..]} (ml::parse_json_dataset).
std::string dataset_json(const train_request& t) {
  json features = json::array();
  for (std::size_t r = 0; r < t.data.rows(); ++r) {
    json row = json::array();
    for (std::size_t c = 0; c < t.data.n_features; ++c)
      row.push_back(t.data.features[r * t.data.n_features + c]);
    features.push_back(std::move(row));
  }
  json data{{"features", std::move(features)}};
  if (!t.data.labels.empty()) data["labels"] = t.data.labels;
  return data.dump();
}

// The job's request_ref: everything but the rows, which it names by their blob key.
std::string train_request_ref(const train_request& t, const std::string& dataset_key) {
  json params = json::object();
  for (const auto& [k, v] : t.params) params[k] = v;
  return json{{"algorithm", t.algorithm},
              {"params", params},
              {"validation_split", t.validation_split},
              {"activate", t.activate},
              {"dataset_key", dataset_key}}
      .dump();
}

api_response train(handler_context& ctx, const route_match& m, const api_request& req,
                   const principal& who) {
  mf::expected<train_request> t =
      req.content_type == "text/csv" ? parse_train_csv(req)
      : req.content_type == "application/json"
          ? parse_train_json(req)
          : mf::expected<train_request>(mf::make_error(
                errc::unsupported_media_type, "Content-Type must be application/json or text/csv"));
  if (!t) return error_response(t.error());
  if (auto v = validate_train(*t); !v) return error_response(v.error());
  const std::string rows = dataset_json(*t);
  if (rows.size() > mf::cluster::max_dataset_bytes) {
    return fail(errc::payload_too_large, "training data is " + std::to_string(rows.size()) +
                                             " bytes as JSON, above " +
                                             std::to_string(mf::cluster::max_dataset_bytes));
  }
  auto tenant = ctx.registry->get_tenant(m.tenant);
  if (!tenant) {
    if (tenant.error().code != errc::not_found || !who.admin) return error_response(tenant.error());
    // API.md: the tenant is created implicitly only by an admin token.
    auto created = ctx.registry->create_tenant(m.tenant, {});
    if (!created && created.error().code != errc::conflict) return error_response(created.error());
  }
  // The rows go to the blob store, durable BEFORE the job record exists (a job never names a
  // missing dataset); Redis keeps only the small request. 202 only after both are durable.
  auto id = ctx.registry->reserve_job_id();
  if (!id) return error_response(id.error());
  const mf::cluster::dataset_key data_key{m.tenant, *id};
  auto data_path = mf::cluster::dataset_path(data_key);
  if (!data_path) return error_response(data_path.error());
  if (auto put = ctx.blobs->put(data_key, rows); !put) return error_response(put.error());
  mf::cluster::job_record job;
  job.id = *id;
  job.tenant = m.tenant;
  job.model = m.model;
  job.algorithm = t->algorithm;
  job.activate = t->activate;
  job.request_ref = train_request_ref(*t, *data_path);
  auto created = ctx.registry->create_job(std::move(job));
  if (!created) {
    (void)ctx.blobs->remove(data_key);  // no partial state: nothing refers to it
    return error_response(created.error());
  }
  return ok_json(202, json{{"job_id", created->id}, {"status", "queued"}});
}

// ---- jobs ------------------------------------------------------------------------------
mf::expected<mf::cluster::job_record> own_job(handler_context& ctx, const route_match& m,
                                              const principal& who) {
  auto job = ctx.registry->get_job(m.job);
  if (!job) return job;
  if (!who.admin && job->tenant != who.tenant) {
    return mf::make_error(errc::forbidden, "this job belongs to another tenant");
  }
  return job;
}

api_response job_get(handler_context& ctx, const route_match& m, const principal& who) {
  auto job = own_job(ctx, m, who);
  if (!job) return error_response(job.error());
  return ok_json(200, job_json(*job));
}

api_response job_cancel(handler_context& ctx, const route_match& m, const principal& who) {
  auto job = own_job(ctx, m, who);
  if (!job) return error_response(job.error());
  auto r = ctx.registry->cancel_job(m.job);
  if (!r) return error_response(r.error());
  return ok_json(
      202, json{{"job_id", r->id}, {"status", std::string(mf::cluster::to_string(r->status))}});
}

api_response tenant_jobs(handler_context& ctx, const route_match& m, const api_request& req) {
  std::optional<mf::cluster::job_status> status;
  if (auto it = req.query.find("status"); it != req.query.end()) {
    status = mf::cluster::parse_job_status(it->second);
    if (!status)
      return fail(errc::invalid_field,
                  "status must be queued, running, succeeded, failed or cancelled");
  }
  if (auto r = require_tenant(*ctx.registry, m.tenant); !r) return error_response(r.error());
  auto jobs = ctx.registry->list_jobs(m.tenant, status, 1000);
  if (!jobs) return error_response(jobs.error());
  json arr = json::array();
  for (const auto& j : *jobs) arr.push_back(job_json(j));
  return ok_json(200, json{{"jobs", arr}});
}

// ---- models and versions ---------------------------------------------------------------
api_response models_list(handler_context& ctx, const route_match& m) {
  if (auto r = require_tenant(*ctx.registry, m.tenant); !r) return error_response(r.error());
  auto models = ctx.registry->list_models(m.tenant);
  if (!models) return error_response(models.error());
  json arr = json::array();
  for (const auto& s : *models) {
    arr.push_back(
        {{"model", s.model},
         {"active_version", s.active_version == 0 ? json(nullptr) : json(s.active_version)},
         {"versions", s.versions},
         {"algorithm", s.algorithm},
         {"updated_at", rfc3339(s.updated_at)}});
  }
  return ok_json(200, json{{"models", arr}});
}

api_response model_get(handler_context& ctx, const route_match& m) {
  auto summary = ctx.registry->get_model(m.tenant, m.model);
  if (!summary) return error_response(summary.error());
  auto versions = ctx.registry->list_versions(m.tenant, m.model);
  if (!versions) return error_response(versions.error());
  json arr = json::array();
  for (const auto& v : *versions) arr.push_back(version_json(v));
  return ok_json(
      200, json{{"model", m.model},
                {"active_version",
                 summary->active_version == 0 ? json(nullptr) : json(summary->active_version)},
                {"versions", arr}});
}

api_response version_activate(handler_context& ctx, const route_match& m, const principal& who) {
  auto v = parse_version(m.version_text);
  auto e = ctx.registry->activate(m.tenant, m.model, *v, "activate", who_label(who));
  if (!e) return error_response(e.error());
  return ok_json(
      200, json{{"model", m.model}, {"active_version", e->to}, {"previous_version", e->from}});
}

api_response model_rollback(handler_context& ctx, const route_match& m, const principal& who) {
  auto e = ctx.registry->rollback(m.tenant, m.model, who_label(who));
  if (!e) return error_response(e.error());
  return ok_json(
      200, json{{"model", m.model}, {"active_version", e->to}, {"previous_version", e->from}});
}

api_response model_history(handler_context& ctx, const route_match& m) {
  if (auto s = ctx.registry->get_model(m.tenant, m.model); !s) return error_response(s.error());
  auto events = ctx.registry->history(m.tenant, m.model, 1000);
  if (!events) return error_response(events.error());
  json arr = json::array();
  for (const auto& e : *events) arr.push_back(history_json(e));
  return ok_json(200, json{{"events", arr}});
}

api_response version_delete(handler_context& ctx, const route_match& m, const api_request& req,
                            const principal& who) {
  auto v = parse_version(m.version_text);
  bool force = false;
  if (auto it = req.query.find("force"); it != req.query.end())
    force = it->second == "true" || it->second == "1";
  if (auto r = ctx.registry->delete_version(m.tenant, m.model, *v, force, who_label(who)); !r) {
    return error_response(r.error());
  }
  (void)ctx.blobs->remove(artifact_key(m.tenant, m.model, *v));
  return empty_response(204);
}

api_response model_delete(handler_context& ctx, const route_match& m) {
  auto versions = ctx.registry->list_versions(m.tenant, m.model);
  if (!versions) return error_response(versions.error());
  if (auto r = ctx.registry->delete_model(m.tenant, m.model); !r) return error_response(r.error());
  for (const auto& v : *versions)
    (void)ctx.blobs->remove(artifact_key(m.tenant, m.model, v.version));
  // The training data of the model's jobs goes too (the job records stay for the history; a
  // job still running then fails with "dataset not found", as the model is gone anyway).
  if (auto jobs = ctx.registry->list_jobs(m.tenant, std::nullopt, 100000); jobs) {
    for (const auto& j : *jobs)
      if (j.model == m.model) (void)ctx.blobs->remove(mf::cluster::dataset_key{m.tenant, j.id});
  }
  return empty_response(204);
}

api_response artifact_get(handler_context& ctx, const route_match& m) {
  auto v = parse_version(m.version_text);
  auto record = ctx.registry->get_version(m.tenant, m.model, *v);
  if (!record) return error_response(record.error());
  auto bytes = ctx.blobs->get(artifact_key(m.tenant, m.model, *v), max_upload_bytes);
  if (!bytes) return error_response(bytes.error());
  api_response r;
  r.status = 200;
  r.content_type = "application/octet-stream";
  r.headers.emplace_back("X-Artifact-Sha256", record->sha256);
  r.body = std::move(*bytes);
  return r;
}

api_response version_upload(handler_context& ctx, const route_match& m, const api_request& req,
                            const principal& who) {
  if (req.content_type != "application/octet-stream") {
    return fail(errc::unsupported_media_type, "Content-Type must be application/octet-stream");
  }
  std::string activate = "never";
  if (auto it = req.query.find("activate"); it != req.query.end()) activate = it->second;
  if (activate != "always" && activate != "never")
    return fail(errc::invalid_field, "activate must be always or never");
  // Full validation (envelope, checksum, payload) before anything is stored.
  auto info = mf::ml::inspect_artifact(req.body);
  if (!info)
    return error_response(
        mf::make_error(errc::invalid_input, "artifact rejected: " + info.error().message));
  auto model = mf::ml::load_artifact(req.body);
  if (!model)
    return error_response(
        mf::make_error(errc::invalid_input, "artifact rejected: " + model.error().message));
  if (auto r = require_tenant(*ctx.registry, m.tenant); !r) return error_response(r.error());
  auto id = ctx.registry->reserve_version_id(m.tenant, m.model);
  if (!id) return error_response(id.error());
  const auto key = artifact_key(m.tenant, m.model, *id);
  if (auto r = ctx.blobs->put(key, req.body); !r) return error_response(r.error());
  mf::cluster::version_record v;
  v.version = *id;
  v.algorithm = info->algorithm;
  v.n_features = static_cast<std::int64_t>(info->n_features);
  v.metrics = info->metrics.values;
  v.primary_metric = info->metrics.primary;
  v.size_bytes = static_cast<std::int64_t>(req.body.size());
  v.sha256 = mf::cluster::sha256_hex(req.body);
  v.created_at = mf::cluster::now_unix_ms();
  v.source = "upload";
  if (auto r = ctx.registry->publish_version(m.tenant, m.model, v, activate == "always", "upload",
                                             who_label(who));
      !r) {
    (void)ctx.blobs->remove(key);
    return error_response(r.error());
  }
  return ok_json(201,
                 json{{"version", *id}, {"sha256", v.sha256}, {"activated", activate == "always"}});
}

// ---- cluster ---------------------------------------------------------------------------
api_response nodes_list(handler_context& ctx) {
  auto nodes = ctx.registry->list_nodes();
  if (!nodes) return error_response(nodes.error());
  json arr = json::array();
  for (const auto& n : *nodes) {
    arr.push_back({{"node", n.node},
                   {"role", n.role},
                   {"state", std::string(mf::cluster::to_string(n.state))},
                   {"address", n.address},
                   {"admin_address", n.admin_address},
                   {"tenants", n.tenants},
                   {"models_loaded", n.models_loaded},
                   {"memory_bytes", n.memory_bytes},
                   {"memory_budget_bytes", n.memory_budget_bytes},
                   {"inflight", n.inflight},
                   {"training_slots", n.training_slots},
                   {"training_busy", n.training_busy},
                   {"last_heartbeat", rfc3339(n.last_heartbeat)}});
  }
  return ok_json(200, json{{"nodes", arr}});
}

api_response node_drain(handler_context& ctx, const route_match& m, bool draining) {
  if (auto r = ctx.registry->set_draining(m.node, draining); !r) return error_response(r.error());
  return ok_json(202, json{{"node", m.node}, {"draining", draining}});
}

api_response placement_get(handler_context& ctx, const api_request& req) {
  std::string only;
  if (auto it = req.query.find("tenant"); it != req.query.end()) {
    only = it->second;
    if (auto r = mf::cluster::check_name("tenant", only); !r) return error_response(r.error());
  }
  auto p = ctx.registry->get_placement();
  if (!p) return error_response(p.error());
  json tenants = json::object();
  for (const auto& [t, nodes] : p->tenants) {
    if (only.empty() || t == only) tenants[t] = nodes;
  }
  if (!only.empty() && !tenants.contains(only)) tenants[only] = json::array();
  return ok_json(200, json{{"epoch", p->epoch}, {"replicas", p->replicas}, {"tenants", tenants}});
}

}  // namespace

std::string rfc3339(std::int64_t unix_ms) {
  if (unix_ms <= 0) return "";
  std::time_t secs = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(unix_ms % 1000));
  return buf;
}

mf::expected<principal> resolve_tenant_key(handler_context& ctx, const std::string& key_hash) {
  auto key = ctx.registry->find_tenant_by_key(key_hash);
  if (!key) {
    if (key.error().code == errc::not_found)
      return mf::make_error(errc::unauthorized, "unknown API key");
    return std::move(key).error();
  }
  return principal{false, key->tenant};
}

api_response handle_state_route(handler_context& ctx, const route_match& m, const api_request& req,
                                const principal& who) {
  try {
    switch (m.id) {
      case route_id::tenants_list:
        return tenants_list(ctx);
      case route_id::tenant_create:
        return tenant_create(ctx, m, req);
      case route_id::tenant_patch:
        return tenant_patch(ctx, m, req);
      case route_id::tenant_delete:
        return tenant_delete(ctx, m);
      case route_id::key_create:
        return key_create(ctx, m);
      case route_id::key_delete:
        return key_delete(ctx, m);
      case route_id::train:
        return train(ctx, m, req, who);
      case route_id::job_get:
        return job_get(ctx, m, who);
      case route_id::job_cancel:
        return job_cancel(ctx, m, who);
      case route_id::tenant_jobs:
        return tenant_jobs(ctx, m, req);
      case route_id::models_list:
        return models_list(ctx, m);
      case route_id::model_get:
        return model_get(ctx, m);
      case route_id::version_activate:
        return version_activate(ctx, m, who);
      case route_id::model_rollback:
        return model_rollback(ctx, m, who);
      case route_id::model_history:
        return model_history(ctx, m);
      case route_id::version_delete:
        return version_delete(ctx, m, req, who);
      case route_id::model_delete:
        return model_delete(ctx, m);
      case route_id::artifact_get:
        return artifact_get(ctx, m);
      case route_id::version_upload:
        return version_upload(ctx, m, req, who);
      case route_id::nodes_list:
        return nodes_list(ctx);
      case route_id::node_drain:
        return node_drain(ctx, m, true);
      case route_id::node_undrain:
        return node_drain(ctx, m, false);
      case route_id::placement_get:
        return placement_get(ctx, req);
      default:
        return fail(errc::internal, "route not handled by the state handlers");
    }
  } catch (const std::exception& e) {
    return fail(errc::internal, std::string("internal error: ") + e.what());
  } catch (...) {
    return fail(errc::internal, "internal error");
  }
}

}  // namespace mf::router
