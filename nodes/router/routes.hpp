// routes: maps (method, path) of the REST API (shared API.md) to a route id and its path
// parameters, and says who may call it. Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/expected.hpp"

namespace mf::router {

enum class route_id {
  healthz,
  readyz,
  metrics,
  admin_ui,
  tenants_list,      // GET /v1/tenants
  tenant_create,     // PUT /v1/tenants/{t}
  tenant_patch,      // PATCH /v1/tenants/{t}
  tenant_delete,     // DELETE /v1/tenants/{t}
  key_create,        // POST /v1/tenants/{t}/keys
  key_delete,        // DELETE /v1/tenants/{t}/keys/{key}
  train,             // POST /v1/tenants/{t}/models/{m}/train
  job_get,           // GET /v1/jobs/{id}
  job_cancel,        // DELETE /v1/jobs/{id}
  tenant_jobs,       // GET /v1/tenants/{t}/jobs
  predict,           // POST /v1/tenants/{t}/models/{m}/predict
  models_list,       // GET /v1/tenants/{t}/models
  model_get,         // GET /v1/tenants/{t}/models/{m}
  model_delete,      // DELETE /v1/tenants/{t}/models/{m}
  version_activate,  // POST .../models/{m}/versions/{v}/activate
  model_rollback,    // POST .../models/{m}/rollback
  model_history,     // GET .../models/{m}/history
  version_delete,    // DELETE .../models/{m}/versions/{v}
  artifact_get,      // GET .../models/{m}/versions/{v}/artifact
  version_upload,    // POST .../models/{m}/versions
  nodes_list,        // GET /v1/cluster/nodes
  node_drain,        // POST /v1/cluster/nodes/{n}/drain
  node_undrain,      // POST /v1/cluster/nodes/{n}/undrain
  placement_get,     // GET /v1/cluster/placement
};

// Who may call a route: anyone, the admin only, or the admin and the route's own tenant.
enum class route_access { public_, admin, tenant };

struct route_match {
  route_id id = route_id::healthz;
  std::string tenant, model, job, node, key_id, rest;  // rest: admin UI file path
  std::string version_text;                            // raw {v}; parsed by parse_version
};

std::string_view route_name(route_id id);  // stable label for metrics, e.g. "predict"
route_access access_of(route_id id);

// not_found when no route has this path; not_found "method not allowed" when the path exists
// with other methods.
mf::expected<route_match> match_route(std::string_view method, std::string_view path);

// invalid_name for a tenant/model/node name that fails the rule, invalid_field for a bad {v}.
mf::expected<void> validate_names(const route_match& m);
mf::expected<std::int64_t> parse_version(std::string_view text);

// Largest accepted body for a route: 256 MiB for artifact uploads, 64 MiB otherwise.
std::size_t body_limit(route_id id);

}  // namespace mf::router
