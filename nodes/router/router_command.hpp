// router_command: the `modelfleet router` CLI11 subcommand (flags, env MODELFLEET_<FLAG>,
// wiring of the HTTP server, forwarder, front door and state watcher). Call
// add_router_command once from main before parsing; not thread-safe.
#pragma once

#include <CLI/CLI.hpp>

namespace mf::router {
void add_router_command(CLI::App& app);
}  // namespace mf::router

inline void add_router_command(CLI::App& app) {
  mf::router::add_router_command(app);
}
