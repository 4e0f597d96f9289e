// `modelfleet models list|show|activate|rollback|history|delete|upload|download`: API.md
// "Models and versions".
#include <openssl/evp.h>

#include <fstream>
#include <iterator>
#include <memory>

#include "nodes/cli/command_support.hpp"
#include "nodes/cli/output.hpp"

namespace mf::cli {
namespace {

struct model_options {
  common_options common;
  std::string tenant;
  std::string model;
  long long version = -1;
  bool force = false;
  std::string file;
  std::string activate = "never";
};

std::string sha256_hex(const std::string& data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(data.data(), data.size(), digest, &size, EVP_sha256(), nullptr);
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < size; ++i) {
    out.push_back(hex[digest[i] >> 4]);
    out.push_back(hex[digest[i] & 0xF]);
  }
  return out;
}

int list(const cli_io& io, const model_options& o) {
  auto client = make_client(o.common);
  auto reply = client.call_json("GET", tenant_path(o.tenant) + "/models");
  if (!reply) return print_error(io, reply.error());
  if (o.common.json()) {
    print_json(io, *reply);
    return exit_ok;
  }
  table t({"MODEL", "ACTIVE", "VERSIONS", "ALGORITHM", "UPDATED"});
  for (const auto& m : reply->value("models", nlohmann::json::array())) {
    t.add_row({cell(m, "model"), cell(m, "active_version"), cell(m, "versions"),
               cell(m, "algorithm"), cell(m, "updated_at")});
  }
  t.print(*io.out);
  return exit_ok;
}

int show(const cli_io& io, const model_options& o) {
  auto client = make_client(o.common);
  auto reply = client.call_json("GET", model_path(o.tenant, o.model));
  if (!reply) return print_error(io, reply.error());
  if (o.common.json()) {
    print_json(io, *reply);
    return exit_ok;
  }
  const auto active = reply->value("active_version", nlohmann::json());
  *io.out << "model " << o.tenant << "/" << cell(*reply, "model") << "  active version "
          << cell(active) << "\n";
  table t({"VERSION", "ACTIVE", "ALGORITHM", "FEATURES", "METRICS", "SIZE", "SOURCE", "CREATED"});
  for (const auto& v : reply->value("versions", nlohmann::json::array())) {
    const bool is_active = v.contains("version") && !active.is_null() && v["version"] == active;
    const auto size = v.value("size_bytes", nlohmann::json());
    t.add_row({cell(v, "version"), is_active ? "*" : "", cell(v, "algorithm"),
               cell(v, "n_features"), metrics_text(v.value("metrics", nlohmann::json())),
               size.is_number() ? human_bytes(size.get<double>()) : "-", cell(v, "source"),
               cell(v, "created_at")});
  }
  t.print(*io.out);
  return exit_ok;
}

int activate(const cli_io& io, const model_options& o) {
  auto client = make_client(o.common);
  auto reply = client.call_json(
      "POST",
      model_path(o.tenant, o.model) + "/versions/" + std::to_string(o.version) + "/activate",
      nlohmann::json::object());
  if (!reply) return print_error(io, reply.error());
  if (o.common.json()) {
    print_json(io, *reply);
  } else {
    *io.out << "model " << o.tenant << "/" << o.model << ": version " << o.version << " is active"
            << std::endl;
  }
  return exit_ok;
}

int rollback(const cli_io& io, const model_options& o) {
  auto client = make_client(o.common);
  auto reply = client.call_json("POST", model_path(o.tenant, o.model) + "/rollback",
                                nlohmann::json::object());
  if (!reply) return print_error(io, reply.error());
  if (o.common.json()) {
    print_json(io, *reply);
  } else {
    *io.out << "model " << o.tenant << "/" << o.model << ": version "
            << cell(*reply, "active_version") << " is active" << std::endl;
  }
  return exit_ok;
}

int history(const cli_io& io, const model_options& o) {
  auto client = make_client(o.common);
  auto reply = client.call_json("GET", model_path(o.tenant, o.model) + "/history");
  if (!reply) return print_error(io, reply.error());
  if (o.common.json()) {
    print_json(io, *reply);
    return exit_ok;
  }
  table t({"AT", "FROM", "TO", "REASON", "BY"});
  for (const auto& e : reply->value("events", nlohmann::json::array())) {
    t.add_row({cell(e, "at"), cell(e, "from"), cell(e, "to"), cell(e, "reason"), cell(e, "by")});
  }
  t.print(*io.out);
  return exit_ok;
}

int remove(const cli_io& io, const model_options& o) {
  auto client = make_client(o.common);
  std::string path = model_path(o.tenant, o.model);
  if (o.version >= 0) path += "/versions/" + std::to_string(o.version);
  if (o.force) path += "?force=true";
  auto reply = client.call_json("DELETE", path);
  if (!reply) return print_error(io, reply.error());
  if (o.common.json()) {
    nlohmann::json out{{"tenant", o.tenant}, {"model", o.model}, {"deleted", true}};
    if (o.version >= 0) out["version"] = o.version;
    print_json(io, out);
  } else if (o.version >= 0) {
    *io.out << "model " << o.tenant << "/" << o.model << ": version " << o.version << " deleted"
            << std::endl;
  } else {
    *io.out << "model " << o.tenant << "/" << o.model << " deleted" << std::endl;
  }
  return exit_ok;
}

int upload(const cli_io& io, const model_options& o) {
  std::ifstream in(o.file, std::ios::binary);
  if (!in) return usage_error(io, "cannot read " + o.file);
  std::string artifact((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto client = make_client(o.common);
  auto response =
      client.call("POST", model_path(o.tenant, o.model) + "/versions?activate=" + o.activate,
                  std::move(artifact), "application/octet-stream");
  if (!response) return print_error(io, response.error());
  const auto reply = nlohmann::json::parse(response->body, nullptr, false);
  if (o.common.json()) {
    print_json(io, reply.is_discarded() ? nlohmann::json::object() : reply);
  } else {
    *io.out << "uploaded " << o.tenant << "/" << o.model << " version "
            << (reply.is_discarded() ? std::string("?") : cell(reply, "version"))
            << (o.activate == "always" ? " (active)" : "") << std::endl;
  }
  return exit_ok;
}

int download(const cli_io& io, model_options o) {
  auto client = make_client(o.common);
  if (o.version < 0) {
    auto model = client.call_json("GET", model_path(o.tenant, o.model));
    if (!model) return print_error(io, model.error());
    const auto active = model->value("active_version", nlohmann::json());
    if (!active.is_number_integer()) {
      return print_error(io, mf::make_error(errc::not_found, "model " + o.tenant + "/" + o.model +
                                                                 " has no active version; "
                                                                 "pass --version"));
    }
    o.version = active.get<long long>();
  }
  auto response = client.call("GET", model_path(o.tenant, o.model) + "/versions/" +
                                         std::to_string(o.version) + "/artifact");
  if (!response) return print_error(io, response.error());
  const std::string expected = response->header("X-Artifact-Sha256");
  const std::string actual = sha256_hex(response->body);
  if (!expected.empty() && expected != actual) {
    return print_error(
        io, mf::make_error(errc::internal, "downloaded artifact sha256 " + actual +
                                               " does not match the router's " + expected));
  }
  const std::string out_path =
      o.file.empty() ? o.model + "-v" + std::to_string(o.version) + ".mfm" : o.file;
  {
    std::ofstream out(out_path, std::ios::binary | std::ios::trunc);
    out.write(response->body.data(), static_cast<std::streamsize>(response->body.size()));
    if (!out.flush()) return usage_error(io, "cannot write " + out_path);
  }
  if (o.common.json()) {
    print_json(io, nlohmann::json{{"tenant", o.tenant},
                                  {"model", o.model},
                                  {"version", o.version},
                                  {"file", out_path},
                                  {"size_bytes", response->body.size()},
                                  {"sha256", actual}});
  } else {
    *io.out << "wrote " << o.tenant << "/" << o.model << " version " << o.version << " to "
            << out_path << " (" << response->body.size() << " bytes, sha256 " << actual << ")"
            << std::endl;
  }
  return exit_ok;
}

// Adds one `models <name>` leaf with --tenant and (when `needs_model`) --model.
CLI::App* add_leaf(CLI::App* group, const cli_io& io, const char* name, const char* help,
                   bool needs_model, const std::shared_ptr<model_options>& opts,
                   std::function<int(const cli_io&, const model_options&)> action) {
  auto* leaf = group->add_subcommand(name, help);
  leaf->add_option("-t,--tenant", opts->tenant, "Tenant name")
      ->required()
      ->envname("MODELFLEET_TENANT");
  if (needs_model) leaf->add_option("-m,--model", opts->model, "Model name")->required();
  add_common_options(leaf, opts->common);
  set_action(leaf, [io, opts, action = std::move(action)] { return action(io, *opts); });
  return leaf;
}

}  // namespace

void add_models_commands(CLI::App& app, const cli_io& io) {
  auto* group = app.add_subcommand("models", "List, inspect and manage models and versions");
  group->require_subcommand(1);

  add_leaf(group, io, "list", "List a tenant's models", false, std::make_shared<model_options>(),
           list);
  add_leaf(group, io, "show", "Show a model's versions", true, std::make_shared<model_options>(),
           show);
  {
    auto opts = std::make_shared<model_options>();
    auto* leaf = add_leaf(group, io, "activate", "Make a version the active one (rollback too)",
                          true, opts, activate);
    leaf->add_option("-v,--version", opts->version, "Version to activate")->required();
  }
  add_leaf(group, io, "rollback", "Re-activate the previously active version", true,
           std::make_shared<model_options>(), rollback);
  add_leaf(group, io, "history", "Activation history, newest first", true,
           std::make_shared<model_options>(), history);
  {
    auto opts = std::make_shared<model_options>();
    auto* leaf = add_leaf(group, io, "delete", "Delete a model, or one version with --version",
                          true, opts, remove);
    leaf->add_option("-v,--version", opts->version, "Delete only this version");
    leaf->add_flag("--force", opts->force, "Allow deleting the active version");
  }
  {
    auto opts = std::make_shared<model_options>();
    auto* leaf =
        add_leaf(group, io, "upload", "Upload an artifact as a new version", true, opts, upload);
    leaf->add_option("-f,--file", opts->file, "Artifact file (as downloaded)")
        ->required()
        ->check(CLI::ExistingFile);
    leaf->add_option("--activate", opts->activate, "Activate the new version")
        ->check(CLI::IsMember({"always", "never"}))
        ->capture_default_str();
  }
  {
    auto opts = std::make_shared<model_options>();
    auto* leaf = add_leaf(group, io, "download", "Download a version's artifact", true, opts,
                          [](const cli_io& i, const model_options& o) { return download(i, o); });
    leaf->add_option("-v,--version", opts->version, "Version (default: the active one)");
    leaf->add_option("--out", opts->file, "Output file (default: <model>-v<version>.mfm)");
  }
}

}  // namespace mf::cli
