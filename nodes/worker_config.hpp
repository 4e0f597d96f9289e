// worker_config: every option of `modelfleet worker` (flags; env and --config via common_flags).
// Plain value type; not thread-safe. Each option is documented once, where it is registered.
#pragma once

#include <cstdint>
#include <string>

#include <CLI/CLI.hpp>

namespace mf::nodes {

struct worker_options {
  std::string id;
  std::string redis = "redis://127.0.0.1:6379";
  std::string bind = "tcp://127.0.0.1:0";
  std::string memory_budget_text = "2GiB";
  std::uint64_t memory_budget = std::uint64_t{2} << 30;  // parsed from memory_budget_text
  unsigned train_slots = 1;
  std::string store = "fs:./var/blobs";
  std::string admin_http = "127.0.0.1:0";
  std::string key_prefix = "mf:";
  std::string log_format = "text";
  std::string log_level = "info";
  unsigned predictors = 0;  // 0 = 2 per scheduler thread
  unsigned loaders = 2;
  bool inline_loads = true;           // small page-cached artifacts load on the host, not a loader
  unsigned threads = 0;               // CAF scheduler threads; 0 = hardware concurrency
  std::string scheduler = "sharing";  // CAF scheduler policy: sharing | stealing
  unsigned heartbeat_ms = 1000;
  unsigned heartbeat_ttl_ms = 3000;
  unsigned drain_timeout_ms = 10000;
  int train_nice = 10;
  bool train_sched_idle = true;
  int train_cores = -1;  // -1 = all cores but one (at least one)
  std::size_t max_queue = 10000;
  std::string curve_keys;  // --curve-keys DIR; empty = plain ZeroMQ
};

// Adds the `worker` subcommand to `app`; `out` is filled by app.parse(). Sizes are validated
// by CLI11 (a bad --memory-budget is a usage error).
CLI::App* add_worker_command(CLI::App& app, worker_options& out);

}  // namespace mf::nodes
