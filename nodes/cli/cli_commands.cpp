#include "nodes/cli/cli_commands.hpp"

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

#include "nodes/cli/command_support.hpp"

namespace mf::cli {

void add_common_options(CLI::App* leaf, common_options& options, bool json_flag) {
  leaf->add_option("--url", options.url, "Router base URL")
      ->envname("MODELFLEET_URL")
      ->capture_default_str();
  leaf->add_option("--token", options.token,
                   "Bearer token (admin token or tenant key); default: MODELFLEET_TOKEN, else "
                   "MODELFLEET_ADMIN_TOKEN, else the file MODELFLEET_ADMIN_TOKEN_FILE, else "
                   "$MODELFLEET_DATA_DIR/admin.token (./var/admin.token)")
      ->envname("MODELFLEET_TOKEN");
  leaf->add_option("-o,--output", options.output, "Output format")
      ->check(CLI::IsMember({"table", "json"}))
      ->capture_default_str();
  if (json_flag) {
    leaf->add_flag_callback(
        "--json", [&options] { options.output = "json"; }, "JSON output (same as --output json)");
  }
  leaf->add_option("--timeout", options.timeout_seconds, "Seconds per HTTP request")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
}

api_client make_client(const common_options& options) {
  // --token / MODELFLEET_TOKEN, else the admin token a node on this host would use
  // (MODELFLEET_ADMIN_TOKEN, MODELFLEET_ADMIN_TOKEN_FILE), else the one ./ops/up wrote.
  auto env = [](const char* name) {
    const char* v = std::getenv(name);
    return std::string(v != nullptr ? v : "");
  };
  auto first_line = [](const std::string& path) {
    std::string line;
    std::ifstream file(path);
    std::getline(file, line);
    return line;
  };
  std::string token = options.token;
  if (token.empty()) token = env("MODELFLEET_ADMIN_TOKEN");
  if (token.empty() && !env("MODELFLEET_ADMIN_TOKEN_FILE").empty()) {
    token = first_line(env("MODELFLEET_ADMIN_TOKEN_FILE"));
  }
  if (token.empty()) {
    const std::string dir = env("MODELFLEET_DATA_DIR");
    token = first_line((dir.empty() ? std::string("var") : dir) + "/admin.token");
  }
  const auto ms = static_cast<long long>(options.timeout_seconds * 1000.0);
  return api_client(options.url, token, std::chrono::milliseconds(ms > 0 ? ms : 30000));
}

int print_error(const cli_io& io, const mf::error& error) {
  *io.err << "error: " << to_string(error.code) << ": " << error.message << std::endl;
  return exit_api_error;
}

int usage_error(const cli_io& io, const std::string& message) {
  *io.err << "error: " << message << std::endl;
  return exit_usage;
}

void set_action(CLI::App* leaf, std::function<int()> action) {
  leaf->callback([action = std::move(action)] {
    const int code = action();
    if (code != exit_ok) throw CLI::RuntimeError(code);
  });
}

void print_json(const cli_io& io, const nlohmann::json& value) {
  *io.out << value.dump(2) << std::endl;
}

void add_cli_commands(CLI::App& app) {
  add_cli_commands(app, cli_io{&std::cout, &std::cerr, ::isatty(STDOUT_FILENO) == 1});
}

void add_cli_commands(CLI::App& app, cli_io io) {
  add_tenants_commands(app, io);
  add_models_commands(app, io);
  add_train_command(app, io);
  add_jobs_commands(app, io);
  add_predict_command(app, io);
  add_cluster_commands(app, io);
}

int exit_code_for(const CLI::App& app, const CLI::Error& e) {
  const int code = app.exit(e);
  if (e.get_name() == "RuntimeError" || code == 0) return code;
  return exit_usage;
}

int run_cli(const std::vector<std::string>& args, cli_io io) {
  CLI::App app{"ModelFleet client commands", args.empty() ? "modelfleet" : args.front()};
  app.require_subcommand(1);
  add_cli_commands(app, io);
  std::vector<char*> argv;
  argv.reserve(args.size());
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  try {
    app.parse(static_cast<int>(argv.size()), argv.data());
  } catch (const CLI::Error& e) {
    const int code = app.exit(e, *io.out, *io.err);
    if (e.get_name() == "RuntimeError" || code == 0) return code;
    return exit_usage;
  }
  return exit_ok;
}

}  // namespace mf::cli
