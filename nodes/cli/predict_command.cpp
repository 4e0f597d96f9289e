// `modelfleet predict`: instances from a CSV file or a JSON array to the predict route
// (API.md "Prediction"); prints one row per instance. Output JSON with `--output json`
// (`--json` here is the instances, as the command line has it).
#include <fstream>
#include <iterator>
#include <memory>

#include "nodes/cli/command_support.hpp"
#include "nodes/cli/csv_rows.hpp"
#include "nodes/cli/output.hpp"

namespace mf::cli {
namespace {

struct predict_options {
  common_options common;
  std::string tenant;
  std::string model;
  std::string csv;
  std::string instances_json;
  std::vector<std::string> drop;
  long long version = -1;
  long long deadline_ms = -1;
};

mf::expected<nlohmann::json> read_instances(const predict_options& o) {
  if (!o.csv.empty()) {
    std::ifstream in(o.csv, std::ios::binary);
    if (!in) return mf::make_error(errc::invalid_input, "cannot read " + o.csv);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto table = parse_csv_numbers(text, o.drop);
    if (!table) return std::move(table).error();
    return nlohmann::json(table->rows);
  }
  auto parsed = nlohmann::json::parse(o.instances_json, nullptr, false);
  if (parsed.is_discarded() || !parsed.is_array()) {
    return mf::make_error(errc::invalid_input,
                          "--json takes a JSON array of instances, e.g. '[[0.1, 2.3], [1, 0]]'");
  }
  // A single flat instance [1,2,3] is accepted as [[1,2,3]].
  if (!parsed.empty() && parsed.front().is_number()) parsed = nlohmann::json::array({parsed});
  return parsed;
}

int predict(const cli_io& io, const predict_options& o) {
  auto instances = read_instances(o);
  if (!instances) return usage_error(io, instances.error().message);
  nlohmann::json body{{"instances", std::move(*instances)}};
  if (o.version >= 0) body["version"] = o.version;
  std::vector<std::pair<std::string, std::string>> headers;
  if (o.deadline_ms > 0)
    headers.emplace_back("X-Request-Deadline-Ms", std::to_string(o.deadline_ms));
  auto client = make_client(o.common);
  auto response = client.call("POST", model_path(o.tenant, o.model) + "/predict", body.dump(),
                              "application/json", std::move(headers));
  if (!response) return print_error(io, response.error());
  const auto reply = nlohmann::json::parse(response->body, nullptr, false);
  if (!reply.is_object()) {
    return print_error(io, mf::make_error(errc::malformed_json, "the router's answer is not JSON"));
  }
  if (o.common.json()) {
    print_json(io, reply);
    return exit_ok;
  }
  const auto predictions = reply.value("predictions", nlohmann::json::array());
  const auto probabilities = reply.value("probabilities", nlohmann::json());
  const bool has_probabilities = probabilities.is_array() && !probabilities.empty();
  *io.out << "model " << o.tenant << "/" << cell(reply, "model") << " version "
          << cell(reply, "version") << "\n";
  table t(has_probabilities ? std::vector<std::string>{"ROW", "PREDICTION", "PROBABILITY"}
                            : std::vector<std::string>{"ROW", "PREDICTION"});
  for (std::size_t i = 0; i < predictions.size(); ++i) {
    std::vector<std::string> row{std::to_string(i + 1), cell(predictions[i])};
    if (has_probabilities) {
      row.push_back(i < probabilities.size() ? cell(probabilities[i]) : std::string("-"));
    }
    t.add_row(std::move(row));
  }
  t.print(*io.out);
  io.out->flush();
  return exit_ok;
}

}  // namespace

void add_predict_command(CLI::App& app, const cli_io& io) {
  auto o = std::make_shared<predict_options>();
  auto* leaf = app.add_subcommand("predict", "Predict with a model (active version by default)");
  leaf->add_option("-t,--tenant", o->tenant, "Tenant name")
      ->required()
      ->envname("MODELFLEET_TENANT");
  leaf->add_option("-m,--model", o->model, "Model name")->required();
  auto* csv =
      leaf->add_option("--csv", o->csv, "Rows to predict: CSV of numbers, optional header row")
          ->check(CLI::ExistingFile);
  auto* json =
      leaf->add_option("--json", o->instances_json, "Instances as JSON, e.g. '[[0.1, 2.3, 1.0]]'");
  csv->excludes(json);
  leaf->add_option("--drop-column", o->drop,
                   "CSV column to leave out, e.g. the label (repeatable; needs a header)");
  leaf->add_option("-v,--version", o->version, "Model version (default: the active one)");
  leaf->add_option("--deadline-ms", o->deadline_ms, "X-Request-Deadline-Ms (router default 1000)");
  add_common_options(leaf, o->common, /*json_flag=*/false);
  set_action(leaf, [io, o] {
    if (o->csv.empty() && o->instances_json.empty()) {
      return usage_error(io, "predict needs --csv FILE or --json '[[...]]'");
    }
    return predict(io, *o);
  });
}

}  // namespace mf::cli
