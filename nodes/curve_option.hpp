// curve_option: the --curve-keys DIR flag every role shares (env MODELFLEET_CURVE_KEYS through
// common_flags) and its loading at start. Header-only; call while building the CLI / at start.
#pragma once

#include <iostream>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include "protocol/curve.hpp"

namespace mf::nodes {

// Registers --curve-keys on `role`, bound to `dir`. Empty = CURVE off (plain ZeroMQ).
inline CLI::Option* add_curve_keys_flag(CLI::App& role, std::string& dir) {
  return role.add_option("--curve-keys", dir,
                         "Directory of the cluster CURVE key (cluster.pub + cluster.secret, made "
                         "by `modelfleet keygen`): encrypts and authenticates node-to-node "
                         "ZeroMQ; every node of the cluster needs the same one (empty = off)");
}

// Loads the cluster key of `dir` into `out` (nullopt when `dir` is empty). On failure prints
// one clear line on stderr and returns false: the caller exits 2 (a configuration error), so a
// node never starts half-secured.
inline bool load_curve_keys_flag(const std::string& dir,
                                 std::optional<mf::protocol::curve_keys>& out) {
  out.reset();
  if (dir.empty()) return true;
  auto keys = mf::protocol::load_curve_keys(dir);
  if (!keys) {
    std::cerr << "modelfleet: --curve-keys " << dir << ": " << keys.error().message
              << " (create one with `modelfleet keygen --curve-keys " << dir << "`)" << std::endl;
    return false;
  }
  out = std::move(*keys);
  return true;
}

}  // namespace mf::nodes
