// command_support: what every client command shares: --url/--token/--json options, the API
// client they make, error printing and the callback that turns a return code into an exit.
// Not thread-safe: options are filled by CLI11 parsing on the main thread.
#pragma once

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <functional>
#include <memory>
#include <string>

#include "common/error.hpp"
#include "nodes/cli/api_client.hpp"
#include "nodes/cli/cli_commands.hpp"

namespace mf::cli {

struct common_options {
  std::string url = "http://127.0.0.1:8080";  // MODELFLEET_URL
  std::string token;                          // MODELFLEET_TOKEN, else <data dir>/admin.token
  std::string output = "table";               // table | json (`--json` = `--output json`)
  double timeout_seconds = 30;                // per HTTP request
  bool json() const { return output == "json"; }
};

// Adds --url, --token, --output/-o, --timeout and (unless `json_flag` is false) --json to a
// leaf command; the options live in `options`, which must outlive parsing and the callback.
void add_common_options(CLI::App* leaf, common_options& options, bool json_flag = true);

// The API client for these options (token from the admin.token file when none was given).
api_client make_client(const common_options& options);

// Prints "error: <code>: <message>" on io.err; returns exit_api_error.
int print_error(const cli_io& io, const mf::error& error);
// Prints "error: <message>" on io.err; returns exit_usage.
int usage_error(const cli_io& io, const std::string& message);

// Sets the leaf's callback: runs `action` and, on a non-zero code, throws CLI::RuntimeError.
void set_action(CLI::App* leaf, std::function<int()> action);

// Pretty JSON (2-space indent) plus a newline.
void print_json(const cli_io& io, const nlohmann::json& value);

// One adder per command group (each in its own .cpp).
void add_tenants_commands(CLI::App& app, const cli_io& io);
void add_models_commands(CLI::App& app, const cli_io& io);
void add_train_command(CLI::App& app, const cli_io& io);
void add_jobs_commands(CLI::App& app, const cli_io& io);
void add_predict_command(CLI::App& app, const cli_io& io);
void add_cluster_commands(CLI::App& app, const cli_io& io);

// Shared with `train`: prints a finished job (human or JSON); returns its exit code.
int print_finished_job(const cli_io& io, const nlohmann::json& job, bool json);
// Polls GET /v1/jobs/{id} until the job is finished or `wait_seconds` pass, drawing progress.
int wait_for_job(const cli_io& io, api_client& client, const std::string& job_id, bool json,
                 double wait_seconds, double poll_seconds);

}  // namespace mf::cli
