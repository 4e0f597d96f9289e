// `modelfleet nodes list|drain|undrain` and `modelfleet placement` (API.md "Cluster").
#include <chrono>
#include <memory>
#include <thread>

#include "nodes/cli/command_support.hpp"
#include "nodes/cli/output.hpp"

namespace mf::cli {
namespace {

struct cluster_options {
  common_options common;
  std::string node;
  std::string tenant;
  double wait_seconds = 0;
  double poll_seconds = 0.5;
};

// Polls the node list until `node` reports state draining with zero tenants (what a drained
// worker reports once its tenants have moved) or the wait runs out.
int wait_drained(const cli_io& io, api_client& client, const cluster_options& o) {
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::milliseconds(static_cast<long long>(o.wait_seconds * 1000));
  std::string last = "unknown";
  for (;;) {
    auto reply = client.call_json("GET", "/v1/cluster/nodes");
    if (!reply) return print_error(io, reply.error());
    for (const auto& n : reply->value("nodes", nlohmann::json::array())) {
      if (cell(n, "node") != o.node) continue;
      const auto tenants = n.value("tenants", nlohmann::json(0));
      last = cell(n, "state") + " with " + cell(tenants) + " tenants";
      if (cell(n, "state") == "draining" && tenants.is_number() && tenants.get<double>() == 0) {
        return exit_ok;
      }
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      return print_error(io, mf::make_error(errc::deadline_exceeded,
                                            "node " + o.node + " is still " + last + " after " +
                                                cell(nlohmann::json(o.wait_seconds)) + " s"));
    }
    std::this_thread::sleep_for(
        std::chrono::milliseconds(static_cast<long long>(o.poll_seconds * 1000)));
  }
}

int list(const cli_io& io, const cluster_options& o) {
  auto client = make_client(o.common);
  auto reply = client.call_json("GET", "/v1/cluster/nodes");
  if (!reply) return print_error(io, reply.error());
  if (o.common.json()) {
    print_json(io, *reply);
    return exit_ok;
  }
  table t({"NODE", "ROLE", "STATE", "ADDRESS", "TENANTS", "MODELS", "MEMORY", "INFLIGHT",
           "LAST-HEARTBEAT"});
  for (const auto& n : reply->value("nodes", nlohmann::json::array())) {
    const auto memory = n.value("memory_bytes", nlohmann::json());
    t.add_row({cell(n, "node"), cell(n, "role"), cell(n, "state"), cell(n, "address"),
               cell(n, "tenants"), cell(n, "models_loaded"),
               memory.is_number() ? human_bytes(memory.get<double>()) : "-", cell(n, "inflight"),
               cell(n, "last_heartbeat")});
  }
  t.print(*io.out);
  return exit_ok;
}

int set_drain(const cli_io& io, const cluster_options& o, bool drain) {
  auto client = make_client(o.common);
  const char* verb = drain ? "drain" : "undrain";
  auto reply = client.call_json("POST", "/v1/cluster/nodes/" + url_encode(o.node) + "/" + verb,
                                nlohmann::json::object());
  if (!reply) return print_error(io, reply.error());
  if (drain && o.wait_seconds > 0) {
    if (const int code = wait_drained(io, client, o); code != exit_ok) return code;
  }
  if (o.common.json()) {
    nlohmann::json out = reply->empty() ? nlohmann::json::object() : *reply;
    out["node"] = o.node;
    out["draining"] = drain;
    print_json(io, out);
  } else {
    *io.out << "node " << o.node
            << (drain ? (o.wait_seconds > 0 ? ": drained (no tenants left)" : ": draining")
                      : ": undrained")
            << std::endl;
  }
  return exit_ok;
}

int placement(const cli_io& io, const cluster_options& o) {
  auto client = make_client(o.common);
  std::string path = "/v1/cluster/placement";
  if (!o.tenant.empty()) path += "?tenant=" + url_encode(o.tenant);
  auto reply = client.call_json("GET", path);
  if (!reply) return print_error(io, reply.error());
  if (o.common.json()) {
    print_json(io, *reply);
    return exit_ok;
  }
  *io.out << "epoch " << cell(*reply, "epoch") << "  replicas " << cell(*reply, "replicas") << "\n";
  table t({"TENANT", "NODES"});
  const auto tenants = reply->value("tenants", nlohmann::json::object());
  for (const auto& [tenant, nodes] : tenants.items()) {
    t.add_row({tenant, cell(nodes)});
  }
  t.print(*io.out);
  return exit_ok;
}

}  // namespace

void add_cluster_commands(CLI::App& app, const cli_io& io) {
  auto* group = app.add_subcommand("nodes", "List cluster nodes; drain or undrain one (admin)");
  group->require_subcommand(1);

  auto list_opts = std::make_shared<cluster_options>();
  auto* l = group->add_subcommand("list", "List routers, coordinators and workers");
  add_common_options(l, list_opts->common);
  set_action(l, [io, list_opts] { return list(io, *list_opts); });

  for (const bool drain : {true, false}) {
    auto opts = std::make_shared<cluster_options>();
    auto* leaf =
        group->add_subcommand(drain ? "drain" : "undrain",
                              drain ? "Move a node's tenants elsewhere; it then serves nothing new"
                                    : "Let a drained node take tenants again");
    leaf->add_option("node", opts->node, "Node id, e.g. worker-1")->required();
    if (drain) {
      leaf->add_option("--wait", opts->wait_seconds,
                       "Wait up to this many seconds until the node has no tenants left");
      leaf->add_option("--poll-interval", opts->poll_seconds, "Seconds between node polls")
          ->check(CLI::PositiveNumber);
    }
    add_common_options(leaf, opts->common);
    set_action(leaf, [io, opts, drain] { return set_drain(io, *opts, drain); });
  }

  auto placement_opts = std::make_shared<cluster_options>();
  auto* p = app.add_subcommand("placement", "Show which workers hold which tenants (admin)");
  p->add_option("-t,--tenant", placement_opts->tenant, "Only this tenant");
  add_common_options(p, placement_opts->common);
  set_action(p, [io, placement_opts] { return placement(io, *placement_opts); });
}

}  // namespace mf::cli
