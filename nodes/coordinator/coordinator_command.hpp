// coordinator_command: the `modelfleet coordinator` CLI11 subcommand (flags, env, run loop).
// Call add_coordinator_command once from main before parsing; not thread-safe.
#pragma once

#include <CLI/CLI.hpp>

namespace mf::coordinator {

// Adds the `coordinator` subcommand; its callback runs the role until SIGTERM/SIGINT and exits
// the process with its status.
void add_coordinator_command(CLI::App& app);

}  // namespace mf::coordinator

// The integration brief names the function without a namespace: offer both spellings.
inline void add_coordinator_command(CLI::App& app) {
  mf::coordinator::add_coordinator_command(app);
}
