// modelfleet: the one binary of ModelFleet: one subcommand per role (worker, router,
// coordinator), the client commands (tenants, models, train, predict, jobs, nodes, placement)
// and the load generator (bench). Each role reads its own --config file (nodes/common_flags).
#include <CLI/CLI.hpp>

#include "nodes/bench/bench_command.hpp"
#include "nodes/cli/cli_commands.hpp"
#include "nodes/coordinator/coordinator_command.hpp"
#include "nodes/keygen_command.hpp"
#include "nodes/process_tuning.hpp"
#include "nodes/router/router_command.hpp"
#include "nodes/worker_config.hpp"
#include "nodes/worker_node.hpp"

int main(int argc, char** argv) {
  mf::nodes::tune_process_for_serving();  // before any thread or socket exists
  CLI::App app{"ModelFleet: multi-tenant ML model serving cluster"};
  app.require_subcommand(1);
  mf::nodes::worker_options worker;
  auto* worker_cmd = mf::nodes::add_worker_command(app, worker);
  add_router_command(app);
  mf::cli::add_cli_commands(app);
  add_bench_command(app);
  add_coordinator_command(app);
  mf::nodes::add_keygen_command(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // Usage errors -> 2; a command that failed (CLI::RuntimeError) -> its code.
    return mf::cli::exit_code_for(app, e);
  }
  if (worker_cmd->parsed()) return mf::nodes::run_worker(worker);
  return 0;  // a command whose callback ran and succeeded (client commands, router, bench)
}
