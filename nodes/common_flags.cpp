// common_flags: one implementation of the flag contract (config file, env names, log flags,
// --help defaults) for worker, router and coordinator, so the roles cannot drift apart.
#include "nodes/common_flags.hpp"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <memory>
#include <sstream>
#include <utility>
#include <vector>

namespace mf::nodes {

std::string env_name_for(const std::string& flag) {
  std::string out = "MODELFLEET_";
  for (char c : flag) {
    if (c == '-')
      out.push_back('_');
    else
      out.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  }
  return out;
}

void add_log_flags(CLI::App& role, std::string& format, std::string& level) {
  role.add_option("--log-format", format,
                  "Log lines on stderr: text, or json (one JSON object per line, for log "
                  "shippers); the ready line stays plain text on stdout")
      ->capture_default_str()
      ->check(CLI::IsMember({"text", "json"}));
  role.add_option("--log-level", level, "trace, debug, info, warn, error")
      ->capture_default_str()
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}));
}

void finish_role_flags(CLI::App& role, std::function<void()> run) {
  auto config_path = std::make_shared<std::string>();
  role.add_option("--config", *config_path,
                  "TOML/INI file of flags: key = flag name without --; top-level keys apply to "
                  "every role, the [" +
                      role.get_name() + "] section to this one");
  for (CLI::Option* opt : role.get_options()) {
    if (opt == role.get_help_ptr() || opt->get_lnames().empty()) continue;
    if (opt->get_envname().empty()) opt->envname(env_name_for(opt->get_lnames().front()));
    // --help shows every default, including "no value" (an empty string shows as "").
    if (opt->get_default_str().empty()) opt->capture_default_str();
    if (opt->get_default_str().empty() && !opt->get_required()) opt->default_str("\"\"");
  }
  CLI::App* self = &role;
  role.callback([self, config_path, run = std::move(run)] {
    if (!config_path->empty()) apply_config_file(*self, *config_path);
    run();
  });
}

void apply_config_file(CLI::App& role, const std::string& path) {
  std::ifstream in(path);
  if (!in) throw CLI::FileError::Missing(path);
  // CLI11's TOML reader takes '#' comments; drop INI ';' comment lines so both dialects work.
  std::stringstream cleaned;
  std::string line;
  while (std::getline(in, line)) {
    auto first = line.find_first_not_of(" \t");
    if (first != std::string::npos && line[first] == ';') continue;
    cleaned << line << '\n';
  }
  CLI::ConfigTOML reader;
  const std::vector<CLI::ConfigItem> items = reader.from_config(cleaned);

  std::vector<const CLI::ConfigItem*> own, shared;
  for (const auto& item : items) {
    if (item.name == "++" || item.name == "--") continue;  // section open/close markers
    if (item.parents.empty())
      shared.push_back(&item);
    else if (item.parents.size() == 1 && item.parents.front() == role.get_name())
      own.push_back(&item);
    // Other sections belong to other roles.
  }
  auto apply = [&](const CLI::ConfigItem& item, bool strict) {
    std::string name = item.name;
    std::replace(name.begin(), name.end(), '_', '-');
    CLI::Option* opt =
        name == "config" || name == "help" ? nullptr : role.get_option_no_throw("--" + name);
    if (opt == nullptr) {
      if (strict)
        throw CLI::ConfigError("config file " + path + ": [" + role.get_name() +
                               "] has no flag --" + name);
      return;
    }
    // Set already: by the command line or the environment (both outrank the file), or by the
    // role's own section (which outranks top-level keys).
    if (opt->count() > 0) return;
    opt->add_result(item.inputs);
    opt->run_callback();  // validates and stores, exactly as for a command-line value
  };
  for (const auto* item : own) apply(*item, true);
  for (const auto* item : shared) apply(*item, false);
}

}  // namespace mf::nodes
