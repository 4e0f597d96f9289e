// modelfleet-bench: the `bench` subcommand alone, for machines (and build dirs) that have not
// built the full `modelfleet` binary; same flags as `modelfleet bench`.
#include <CLI/CLI.hpp>

#include "nodes/bench/bench_command.hpp"
#include "nodes/process_tuning.hpp"

int main(int argc, char** argv) {
  mf::nodes::tune_process_for_serving();  // before any thread or socket exists
  CLI::App app{"modelfleet-bench: the ModelFleet load generator (same as `modelfleet bench`)"};
  app.require_subcommand(1);
  add_bench_command(app);
  CLI11_PARSE(app, argc, argv);
  return 0;
}
