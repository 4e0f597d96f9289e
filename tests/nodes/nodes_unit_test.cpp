// Unit tests of nodes/ helpers: size parsing, worker flags (CLI, env, config file), admin HTTP.
#include <doctest/doctest.h>

#include <cstdlib>
#include <fstream>

#include "nodes/admin_http.hpp"
#include "nodes/size_parse.hpp"
#include "nodes/worker_config.hpp"

using mf::nodes::parse_size;

TEST_CASE("sizes parse with binary and decimal units and reject garbage") {
  CHECK(*parse_size("2GiB") == 2ull << 30);
  CHECK(*parse_size("512MiB") == 512ull << 20);
  CHECK(*parse_size("512 mib") == 512ull << 20);
  CHECK(*parse_size("1.5GiB") == 3ull << 29);
  CHECK(*parse_size("1GB") == 1000000000ull);
  CHECK(*parse_size("4096") == 4096);
  CHECK(*parse_size("64K") == 65536);
  for (const char* bad : {"", "GiB", "-1GiB", "2 parsecs", "1e400", "nan"})
    CHECK_FALSE(parse_size(bad));
  CHECK(mf::nodes::format_size(2ull << 30) == "2GiB");
  CHECK(mf::nodes::format_size(1000) == "1000B");
}

TEST_CASE("worker flags come from the command line, the environment and a config file") {
  {
    CLI::App app;
    mf::nodes::worker_options o;
    mf::nodes::add_worker_command(app, o);
    app.parse("worker --id w9 --memory-budget 512MiB", false);
    CHECK(o.id == "w9");
    CHECK(o.memory_budget == 512ull << 20);
    CHECK(o.train_slots == 1);
  }
  {
    ::setenv("MODELFLEET_TRAIN_SLOTS", "3", 1);
    ::setenv("MODELFLEET_ID", "w-env", 1);
    CLI::App app;
    mf::nodes::worker_options o;
    mf::nodes::add_worker_command(app, o);
    app.parse("worker", false);
    CHECK(o.id == "w-env");
    CHECK(o.train_slots == 3);
    ::unsetenv("MODELFLEET_TRAIN_SLOTS");
    ::unsetenv("MODELFLEET_ID");
  }
  {
    std::string path = "/tmp/mf_worker_config_test.toml";
    std::ofstream(path) << "[worker]\nid = \"w-file\"\nmemory-budget = \"1GiB\"\n";
    CLI::App app;
    mf::nodes::worker_options o;
    mf::nodes::add_worker_command(app, o);
    app.parse("worker --config " + path, false);
    CHECK(o.id == "w-file");
    CHECK(o.memory_budget == 1ull << 30);
  }
  {
    CLI::App app;
    mf::nodes::worker_options o;
    mf::nodes::add_worker_command(app, o);
    CHECK_THROWS_AS(app.parse("worker --id w --memory-budget lots", false), CLI::ValidationError);
  }
}
