// common_flags: the flag contract every role shares: --config FILE, --log-format/--log-level,
// MODELFLEET_<FLAG> env names and --help defaults. Call while building the CLI; not thread-safe.
#pragma once

#include <functional>
#include <string>

#include <CLI/CLI.hpp>

namespace mf::nodes {

// "MODELFLEET_" + the flag in upper case with '-' -> '_' (--admin-http -> MODELFLEET_ADMIN_HTTP).
std::string env_name_for(const std::string& flag);

// Registers --log-format (text|json) and --log-level on `role`, bound to `format` and `level`.
void add_log_flags(CLI::App& role, std::string& format, std::string& level);

// Call after the role's own options are added. Adds --config FILE (MODELFLEET_CONFIG), gives
// every option its MODELFLEET_<FLAG> env name and a default that --help shows, and installs
// `run` as the role's callback: the config file is applied first, so `run` sees the final
// values. Precedence: command line, environment, config file, default. `run` may throw
// CLI::Error (e.g. CLI::RuntimeError(code)).
void finish_role_flags(CLI::App& role, std::function<void()> run);

// Applies the config file at `path` to the options of `role` that neither the command line nor
// the environment set. Keys are flag names without "--" ('_' may stand for '-'); keys of the
// [<role name>] section win over top-level keys, which are shared by every role (a top-level
// key a role does not have is skipped; an unknown key in the role's own section is an error).
// TOML or INI ('#' and ';' comments). Throws CLI::FileError, CLI::ConfigError or
// CLI::ValidationError (all usage errors).
void apply_config_file(CLI::App& role, const std::string& path);

}  // namespace mf::nodes
