// api_handlers: the REST routes that read or write cluster state (tenants, keys, training,
// jobs, models, versions, artifacts, cluster) over the registry and the blob store.
// Blocking (Redis and disk I/O): run only on the router's blocking-work threads, each with its
// own handler_context. Not thread-safe per context.
#pragma once

#include <memory>

#include "cluster/blob_store.hpp"
#include "cluster/registry.hpp"
#include "nodes/router/api_types.hpp"
#include "nodes/router/auth.hpp"
#include "nodes/router/routes.hpp"

namespace mf::router {

// What one blocking-work thread owns.
struct handler_context {
  std::shared_ptr<mf::cluster::registry>
      registry;  // not shared between threads (redis), or thread-safe (memory)
  std::shared_ptr<mf::cluster::blob_store> blobs;
};

// Resolves a tenant key (by its hash) to the caller's principal: unauthorized if unknown.
mf::expected<principal> resolve_tenant_key(handler_context& ctx, const std::string& key_hash);

// Answers one registry-backed route. `who` is already authorized for the route (job routes
// are checked here against the job's tenant). Never throws.
api_response handle_state_route(handler_context& ctx, const route_match& m, const api_request& req,
                                const principal& who);

// RFC 3339 UTC with milliseconds, e.g. "2026-11-25T08:19:31.123Z"; "" for 0.
std::string rfc3339(std::int64_t unix_ms);

}  // namespace mf::router
