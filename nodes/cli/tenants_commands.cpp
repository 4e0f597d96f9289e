// `modelfleet tenants create|list|delete`: admin routes of API.md "Tenants".
#include <memory>

#include "nodes/cli/command_support.hpp"
#include "nodes/cli/output.hpp"

namespace mf::cli {
namespace {

struct tenant_options {
  common_options common;
  std::string tenant;
  long long quota_memory = -1;
  long long quota_models = -1;
  double quota_rps = -1;
};

int create(const cli_io& io, const tenant_options& o) {
  auto client = make_client(o.common);
  nlohmann::json body = nullptr;
  nlohmann::json quota = nlohmann::json::object();
  if (o.quota_memory >= 0) quota["memory_bytes"] = o.quota_memory;
  if (o.quota_models >= 0) quota["models"] = o.quota_models;
  if (o.quota_rps >= 0) quota["requests_per_second"] = o.quota_rps;
  if (!quota.empty()) body = nlohmann::json{{"quota", quota}};
  auto reply = client.call_json("PUT", tenant_path(o.tenant), body);
  if (!reply) return print_error(io, reply.error());
  if (o.common.json()) {
    print_json(io, *reply);
  } else {
    *io.out << "tenant " << o.tenant << " created\n"
            << "api_key: " << cell(*reply, "api_key") << "\n"
            << "(the key is shown once: store it now)" << std::endl;
  }
  return exit_ok;
}

int list(const cli_io& io, const tenant_options& o) {
  auto client = make_client(o.common);
  auto reply = client.call_json("GET", "/v1/tenants");
  if (!reply) return print_error(io, reply.error());
  if (o.common.json()) {
    print_json(io, *reply);
    return exit_ok;
  }
  table t({"TENANT", "MODELS", "CREATED"});
  for (const auto& tenant : reply->value("tenants", nlohmann::json::array())) {
    t.add_row({cell(tenant, "tenant"), cell(tenant, "models"), cell(tenant, "created_at")});
  }
  t.print(*io.out);
  return exit_ok;
}

int remove(const cli_io& io, const tenant_options& o) {
  auto client = make_client(o.common);
  auto reply = client.call_json("DELETE", tenant_path(o.tenant));
  if (!reply) return print_error(io, reply.error());
  if (o.common.json()) {
    print_json(io, nlohmann::json{{"tenant", o.tenant}, {"deleted", true}});
  } else {
    *io.out << "tenant " << o.tenant << " deleted" << std::endl;
  }
  return exit_ok;
}

}  // namespace

void add_tenants_commands(CLI::App& app, const cli_io& io) {
  auto* group = app.add_subcommand("tenants", "Create, list and delete tenants (admin token)");
  group->require_subcommand(1);

  auto create_opts = std::make_shared<tenant_options>();
  auto* c = group->add_subcommand("create", "Create a tenant; prints its API key once");
  c->add_option("tenant", create_opts->tenant, "Tenant name")->required();
  c->add_option("--quota-memory", create_opts->quota_memory, "Memory quota in bytes");
  c->add_option("--quota-models", create_opts->quota_models, "Maximum number of models");
  c->add_option("--quota-rps", create_opts->quota_rps, "Requests per second");
  add_common_options(c, create_opts->common);
  set_action(c, [io, create_opts] { return create(io, *create_opts); });

  auto list_opts = std::make_shared<tenant_options>();
  auto* l = group->add_subcommand("list", "List tenants");
  add_common_options(l, list_opts->common);
  set_action(l, [io, list_opts] { return list(io, *list_opts); });

  auto delete_opts = std::make_shared<tenant_options>();
  auto* d = group->add_subcommand("delete", "Delete a tenant with all its models and keys");
  d->add_option("tenant", delete_opts->tenant, "Tenant name")->required();
  add_common_options(d, delete_opts->common);
  set_action(d, [io, delete_opts] { return remove(io, *delete_opts); });
}

}  // namespace mf::cli
