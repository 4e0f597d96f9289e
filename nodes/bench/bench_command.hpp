// bench_command: the `modelfleet bench` CLI11 subcommand (load generator: HTTP, the ZeroMQ
// front door, or the raw ZeroMQ ceiling). Call add_bench_command once from main before
// parsing; not thread-safe.
#pragma once

#include <CLI/CLI.hpp>

namespace mf::bench {
void add_bench_command(CLI::App& app);
}  // namespace mf::bench

inline void add_bench_command(CLI::App& app) {
  mf::bench::add_bench_command(app);
}
