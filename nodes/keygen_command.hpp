// keygen_command: `modelfleet keygen --curve-keys DIR` writes a new cluster CURVE key pair.
// Call add_keygen_command once while building the CLI; not thread-safe.
#pragma once

#include <CLI/CLI.hpp>

namespace mf::nodes {

// Adds the `keygen` subcommand. It refuses to overwrite an existing key (exit 1) and prints
// the public key, never the secret one.
void add_keygen_command(CLI::App& app);

}  // namespace mf::nodes
