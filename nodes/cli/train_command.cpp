// `modelfleet train`: uploads a CSV as a training job (API.md "Training", text/csv form) and
// waits for it with a progress bar (terminal) or plain lines; `--no-wait` prints the job id.
#include <fstream>
#include <iterator>
#include <memory>

#include "nodes/cli/command_support.hpp"
#include "nodes/cli/csv_rows.hpp"
#include "nodes/cli/output.hpp"

namespace mf::cli {
namespace {

struct train_options {
  common_options common;
  std::string tenant;
  std::string model;
  std::string algorithm;
  std::string csv;
  std::string label;
  std::vector<std::string> params;  // NAME=VALUE
  std::string activate;
  double validation_split = -1;
  bool no_wait = false;
  double wait_seconds = 3600;
  double poll_seconds = 0.25;
};

int train(const cli_io& io, const train_options& o) {
  std::ifstream in(o.csv, std::ios::binary);
  if (!in) return usage_error(io, "cannot read " + o.csv);
  std::string body((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto header = csv_header(body);
  if (header.empty()) return usage_error(io, o.csv + " is empty");
  if (!o.label.empty() && std::find(header.begin(), header.end(), o.label) == header.end()) {
    return usage_error(io, "column '" + o.label + "' is not in the header of " + o.csv);
  }
  std::string query = "?algorithm=" + url_encode(o.algorithm);
  if (!o.label.empty()) query += "&label_column=" + url_encode(o.label);
  for (const auto& p : o.params) {
    const auto eq = p.find('=');
    if (eq == std::string::npos || eq == 0) {
      return usage_error(io, "--param takes NAME=VALUE, got '" + p + "'");
    }
    query += "&param." + url_encode(p.substr(0, eq)) + "=" + url_encode(p.substr(eq + 1));
  }
  if (!o.activate.empty()) query += "&activate=" + url_encode(o.activate);
  if (o.validation_split >= 0) query += "&validation_split=" + std::to_string(o.validation_split);

  auto client = make_client(o.common);
  auto response = client.call("POST", model_path(o.tenant, o.model) + "/train" + query,
                              std::move(body), "text/csv");
  if (!response) return print_error(io, response.error());
  const auto reply = nlohmann::json::parse(response->body, nullptr, false);
  if (!reply.is_object() || !reply.contains("job_id")) {
    return print_error(io, mf::make_error(errc::internal, "the router's answer has no job_id: " +
                                                              response->body.substr(0, 200)));
  }
  const std::string job_id = cell(reply, "job_id");
  if (o.no_wait) {
    if (o.common.json()) {
      print_json(io, reply);
    } else {
      *io.out << job_id << std::endl;
    }
    return exit_ok;
  }
  return wait_for_job(io, client, job_id, o.common.json(), o.wait_seconds, o.poll_seconds);
}

}  // namespace

void add_train_command(CLI::App& app, const cli_io& io) {
  auto o = std::make_shared<train_options>();
  auto* leaf = app.add_subcommand("train", "Train a model from a CSV file (header row required)");
  leaf->add_option("-t,--tenant", o->tenant, "Tenant name")
      ->required()
      ->envname("MODELFLEET_TENANT");
  leaf->add_option("-m,--model", o->model, "Model name")->required();
  leaf->add_option("-a,--algorithm", o->algorithm,
                   "linear_regression, logistic_regression, linear_svm, svm_rbf, krr_rbf, "
                   "random_forest, multiclass_linear, kmeans, mlp or auto")
      ->required();
  leaf->add_option("--csv", o->csv, "Training data: CSV with a header row")
      ->required()
      ->check(CLI::ExistingFile);
  leaf->add_option("--label", o->label, "Label column name (not needed for kmeans)");
  leaf->add_option("-p,--param", o->params, "Algorithm parameter NAME=VALUE (repeatable)");
  leaf->add_option("--activate", o->activate, "Activation policy (default if_better)")
      ->check(CLI::IsMember({"always", "if_better", "never"}));
  leaf->add_option("--validation-split", o->validation_split, "Share of rows held out (0..1)")
      ->check(CLI::Range(0.0, 0.9));
  leaf->add_flag("--no-wait", o->no_wait, "Print the job id and return at once");
  leaf->add_option("--wait-timeout", o->wait_seconds, "Give up waiting after this many seconds")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  leaf->add_option("--poll-interval", o->poll_seconds, "Seconds between job polls")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  add_common_options(leaf, o->common);
  set_action(leaf, [io, o] { return train(io, *o); });
}

}  // namespace mf::cli
