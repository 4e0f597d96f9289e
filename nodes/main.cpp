// modelfleet: the one binary of ModelFleet, one subcommand per role (worker, router,
// coordinator) plus client commands. This build implements `worker`.
#include <CLI/CLI.hpp>

#include <iostream>

#include "nodes/bench/bench_command.hpp"
#include "nodes/cli/cli_commands.hpp"
#include "nodes/coordinator/coordinator_command.hpp"
#include "nodes/router/router_command.hpp"
#include "nodes/worker_config.hpp"
#include "nodes/worker_node.hpp"

int main(int argc, char** argv) {
  CLI::App app{"ModelFleet: multi-tenant ML model serving cluster"};
  app.require_subcommand(1);
  app.set_config("--config", "", "Read options from a TOML/INI file ([worker] section)");
  mf::nodes::worker_options worker;
  auto* worker_cmd = mf::nodes::add_worker_command(app, worker);
  add_router_command(app);
  mf::cli::add_cli_commands(app);
  add_bench_command(app);
  add_coordinator_command(app);
  // Roles and client commands that later issues add: reserved names with a clear answer.
  std::string pending;
  for (const char* name : {"drain", "upload", "download"}) {
    auto* c = app.add_subcommand(name, std::string("(not available yet in this build)"));
    c->allow_extras();
    c->callback([&pending, name] { pending = name; });
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // Usage errors -> 2; a command that failed (CLI::RuntimeError) -> its code.
    return mf::cli::exit_code_for(app, e);
  }
  if (!pending.empty()) {
    std::cerr << "modelfleet " << pending << ": not available yet in this build\n";
    return 2;
  }
  if (worker_cmd->parsed()) return mf::nodes::run_worker(worker);
  return 0;  // a command whose callback ran and succeeded (client commands, router, bench)
}
