// cli_commands: the client subcommands of `modelfleet` (tenants, models, train, jobs, predict,
// nodes, placement), which talk to a router over HTTP. Not thread-safe: built and run by main.
#pragma once

#include <CLI/CLI.hpp>

#include <iosfwd>
#include <string>
#include <vector>

namespace mf::cli {

// Where commands print, and whether `out` is a terminal (progress bar vs. plain lines).
struct cli_io {
  std::ostream* out;
  std::ostream* err;
  bool out_is_tty = false;
};

// Exit codes: 0 ok, 1 API or transport error (message printed on err), 2 usage.
inline constexpr int exit_ok = 0;
inline constexpr int exit_api_error = 1;
inline constexpr int exit_usage = 2;

// Adds the client subcommands to `app`, printing on std::cout / std::cerr. A failing command
// throws CLI::RuntimeError(exit code) out of app.parse(); app.exit(e) returns that code quietly.
void add_cli_commands(CLI::App& app);
void add_cli_commands(CLI::App& app, cli_io io);

// The process exit code for an error thrown by app.parse(): help/version -> 0, a failed client
// command -> its code, any other parse error -> 2 (usage). Prints what app.exit() prints.
int exit_code_for(const CLI::App& app, const CLI::Error& e);

// Runs the client commands alone on `args` (args[0] is the program name): what main() does for
// them. Used by tests and usable by main.
int run_cli(const std::vector<std::string>& args, cli_io io);

}  // namespace mf::cli
