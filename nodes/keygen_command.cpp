// keygen_command: writes DIR/cluster.pub + DIR/cluster.secret (0600) with protocol/curve.
#include "nodes/keygen_command.hpp"

#include <iostream>
#include <memory>
#include <string>

#include "nodes/common_flags.hpp"
#include "protocol/curve.hpp"

namespace mf::nodes {

void add_keygen_command(CLI::App& app) {
  auto dir = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand(
      "keygen",
      "Create the cluster CURVE key (DIR/cluster.pub, DIR/cluster.secret mode 0600) that "
      "worker, router and coordinator load with --curve-keys DIR. Never overwrites a key.");
  cmd->add_option("--curve-keys", *dir, "Directory to create the key in")
      ->required()
      ->envname(env_name_for("curve-keys"));
  cmd->callback([dir] {
    auto keys = mf::protocol::write_curve_keys(*dir);
    if (!keys) {
      std::cerr << "modelfleet keygen: " << keys.error().message << std::endl;
      throw CLI::RuntimeError(1);
    }
    // The public key only: the secret stays in its 0600 file.
    std::cout << "wrote " << *dir << "/" << mf::protocol::curve_public_file << " and " << *dir
              << "/" << mf::protocol::curve_secret_file << " public=" << keys->public_key
              << std::endl;
  });
}

}  // namespace mf::nodes
