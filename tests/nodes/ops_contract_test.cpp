// The operations contract of docs/operations.md §3-4, on real processes: every role (worker,
// router, coordinator) takes flags from --config FILE, MODELFLEET_<FLAG> and the command line
// (in that increasing precedence), logs one JSON object per stderr line with --log-format json,
// lists every flag with its default in --help, serves /metrics, and never logs a secret.
#include <doctest/doctest.h>
#include <stdlib.h>

#include <cctype>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "tests/nodes/worker_harness.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/free_port.hpp"
#include "tests/support/redis_server_fixture.hpp"
#include "tests/support/wait_until.hpp"

using namespace std::chrono_literals;
using mf::test::child_process;
using mf::test::wait_until;

namespace {

const std::string binary = MF_BINARY_DIR "/nodes/modelfleet";

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) out.push_back(line);
  return out;
}

// Written independently of nodes/common_flags so the test checks the documented rule itself.
std::string expected_env(const std::string& flag) {
  std::string out = "MODELFLEET_";
  for (char c : flag) out.push_back(c == '-' ? '_' : static_cast<char>(std::toupper(c)));
  return out;
}

struct temp_dir {
  std::string path;
  temp_dir() {
    char tmpl[] = "/tmp/mf_ops_contract_XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    path = tmpl;
  }
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

// A role process whose stdout (the ready line) and stderr (the log) go to separate files.
struct node_process {
  std::string out_path, err_path;
  std::unique_ptr<child_process> proc;

  node_process(const std::string& dir, const std::string& name, std::vector<std::string> args,
               std::vector<std::string> env = {})
      : out_path(dir + "/" + name + ".out"), err_path(dir + "/" + name + ".err") {
    std::vector<std::string> sh_args{"-c", "exec \"$@\" 2>\"" + err_path + "\"", "sh", binary};
    for (auto& a : args) sh_args.push_back(std::move(a));
    proc = std::make_unique<child_process>("/bin/sh", sh_args, out_path, std::move(env));
  }
  std::string out() const { return read_text(out_path); }
  std::string err() const { return read_text(err_path); }
  std::string all() const { return out() + err(); }

  // Waits for "modelfleet <role> <id> ready k=v ..." and returns the key=value fields.
  std::map<std::string, std::string> wait_ready(const std::string& role) {
    const std::regex ready("^modelfleet " + role + " (\\S+) ready(.*)$");
    std::string id, rest;
    bool found = false;
    bool ok = wait_until(
        [&] {
          for (const auto& l : lines_of(out())) {
            std::smatch m;
            if (std::regex_match(l, m, ready)) {
              id = m[1];
              rest = m[2];
              found = true;
              return true;
            }
          }
          return !proc->running();
        },
        20s);
    REQUIRE_MESSAGE(ok, role << " not ready in time; stdout: " << out() << " stderr: " << err());
    REQUIRE_MESSAGE(found, role << " exited: " << out() << err());
    std::map<std::string, std::string> fields{{"id", id}};
    std::istringstream words(rest);
    for (std::string kv; words >> kv;) {
      auto eq = kv.find('=');
      if (eq != std::string::npos) fields[kv.substr(0, eq)] = kv.substr(eq + 1);
    }
    return fields;
  }
  int stop() { return proc->stop(10s); }
};

// Every stderr line is one JSON object with the fields log shippers rely on.
void check_all_json(const std::string& role, const std::string& err) {
  auto lines = lines_of(err);
  CHECK_MESSAGE(!lines.empty(), role << " logged nothing");
  for (const auto& line : lines) {
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(line);
    } catch (const std::exception& e) {
      FAIL_CHECK(role << ": log line is not JSON: " << line);
      continue;
    }
    CHECK_MESSAGE(j.is_object(), line);
    CHECK_MESSAGE(j.contains("level"), line);
    CHECK_MESSAGE(j.contains("msg"), line);
    CHECK_MESSAGE(j.contains("ts_ms"), line);
  }
}

bool is_json_line(const std::string& line) {
  try {
    return nlohmann::json::parse(line).is_object();
  } catch (const std::exception&) {
    return false;
  }
}

std::string port_of(const std::string& url) {
  return url.substr(url.rfind(':') + 1);
}

struct role_case {
  std::string role;
  std::string address_flag;  // the flag whose value shows in the ready line
  std::string ready_key;     // its key in the ready line
  std::string metric;        // a metric name /metrics must expose
};

const std::vector<role_case> roles{
    {"worker", "admin-http", "admin", "modelfleet_worker_predict_requests_total"},
    {"router", "http", "http", "modelfleet_router_requests_total"},
    {"coordinator", "admin-http", "admin", "modelfleet_coordinator_leader"},
};

void write_file(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
}

}  // namespace

TEST_CASE("every role's --help lists every flag with its default and MODELFLEET_ env name") {
  temp_dir dir;
  // The flags docs/operations.md names for each role, plus the shared ones.
  const std::map<std::string, std::vector<std::string>> documented{
      {"worker", {"bind", "admin-http", "memory-budget", "train-slots"}},
      {"router",
       {"http", "front", "admin-token", "admin-token-file", "web-root", "max-inflight",
        "default-deadline-ms", "http-threads", "blocking-threads"}},
      {"coordinator",
       {"replicas", "load-bound", "admin-http", "lease-ttl-ms", "max-attempts", "retention"}},
  };
  const std::vector<std::string> shared{"id",     "redis",      "store",    "key-prefix",
                                        "config", "log-format", "log-level"};
  const std::regex option_line("^  (?:-\\w,)?--([a-z0-9-]+)(.*)$");
  for (const auto& [role, flags] : documented) {
    CAPTURE(role);
    child_process help(binary, {role, "--help"}, dir.path + "/" + role + ".help");
    REQUIRE(help.wait_for(10s) == 0);
    std::map<std::string, std::string> seen;
    for (const auto& line : lines_of(help.log())) {
      std::smatch m;
      if (!std::regex_match(line, m, option_line) || m[1] == "help") continue;
      const std::string flag = m[1], rest = m[2];
      seen[flag] = rest;
      CAPTURE(line);
      CHECK(rest.find("(Env:" + expected_env(flag) + ")") != std::string::npos);
      const std::string type_and_default = rest.substr(0, rest.find(" (Env:"));
      CHECK(type_and_default.find('=') != std::string::npos);  // "TYPE=default"
    }
    CHECK(seen.size() >= flags.size() + shared.size());
    for (const auto& f : flags) CHECK_MESSAGE(seen.count(f) == 1, "--" << f << " missing");
    for (const auto& f : shared) CHECK_MESSAGE(seen.count(f) == 1, "--" << f << " missing");
  }
}

TEST_CASE("config file, environment and command line set every role's flags, in that order") {
  mf::test::redis_server_fixture redis;
  temp_dir dir;
  const std::string store = "fs:" + dir.path + "/blobs";
  for (const auto& rc : roles) {
    CAPTURE(rc.role);
    const auto p_file = std::to_string(mf::test::free_tcp_port());
    const auto p_env = std::to_string(mf::test::free_tcp_port());
    // A shared file: top-level keys for every role, one section per role; the other roles'
    // sections must not disturb this one.
    const std::string config = dir.path + "/" + rc.role + ".toml";
    write_file(config, "# shared by every role\nlog-format = \"json\"\nredis = \"" + redis.url() +
                           "\"\nstore = \"" + store +
                           "\"\nheartbeat_ms = 200\n"
                           "; an INI-style comment\n[" +
                           rc.role + "]\nid = \"" + rc.role + "-file\"\n" + rc.address_flag +
                           " = \"127.0.0.1:" + p_file +
                           "\"\n[some-other-role]\nnot-a-flag-here = 1\n");
    const std::string env_addr = expected_env(rc.address_flag) + "=127.0.0.1:" + p_env;

    {  // (a) --config FILE: the role's section and the top-level keys apply
      node_process n(dir.path, rc.role + "-a", {rc.role, "--config", config});
      auto ready = n.wait_ready(rc.role);
      CHECK(ready["id"] == rc.role + "-file");
      CHECK(port_of(ready[rc.ready_key]) == p_file);
      auto [status, body] = mf::test::http_get(ready[rc.ready_key], "/metrics");
      CHECK(status == 200);
      CHECK_MESSAGE(body.find(rc.metric) != std::string::npos, body.substr(0, 400));
      CHECK(n.stop() == 0);
      check_all_json(rc.role, n.err());  // log-format came from the top level of the file
    }
    {  // (b) MODELFLEET_<FLAG> beats the file; the command line beats both
      node_process n(dir.path, rc.role + "-b", {rc.role, "--config", config, "--id", "cmd-id"},
                     {env_addr, "MODELFLEET_ID=env-id", "MODELFLEET_LOG_FORMAT=text"});
      auto ready = n.wait_ready(rc.role);
      CHECK(ready["id"] == "cmd-id");
      CHECK(port_of(ready[rc.ready_key]) == p_env);
      CHECK(n.stop() == 0);
      auto lines = lines_of(n.err());
      REQUIRE(!lines.empty());
      for (const auto& line : lines) CHECK_MESSAGE(!is_json_line(line), line);  // env: text
    }
    {  // (c) --log-format json on the command line, the rest from the environment
      node_process n(dir.path, rc.role + "-c", {rc.role, "--log-format", "json", "--id", "c1"},
                     {env_addr, "MODELFLEET_REDIS=" + redis.url(), "MODELFLEET_STORE=" + store,
                      "MODELFLEET_LOG_LEVEL=debug"});
      auto ready = n.wait_ready(rc.role);
      CHECK(port_of(ready[rc.ready_key]) == p_env);
      CHECK(n.stop() == 0);
      check_all_json(rc.role, n.err());
    }
  }
}

TEST_CASE("a bad config file is a usage error that names the problem") {
  temp_dir dir;
  for (const auto& rc : roles) {
    CAPTURE(rc.role);
    const std::string config = dir.path + "/bad-" + rc.role + ".ini";
    write_file(config, "[" + rc.role + "]\nid = x1\nno-such-flag = 3\n");
    child_process p(binary, {rc.role, "--config", config}, dir.path + "/bad-" + rc.role + ".log");
    CHECK(p.wait_for(10s) == 2);
    CHECK_MESSAGE(p.log().find("no-such-flag") != std::string::npos, p.log());

    write_file(config, "log-format = \"xml\"\n");
    child_process v(binary, {rc.role, "--id", "x1", "--config", config},
                    dir.path + "/badv-" + rc.role + ".log");
    CHECK(v.wait_for(10s) == 2);
    CHECK_MESSAGE(v.log().find("xml") != std::string::npos, v.log());

    child_process missing(binary, {rc.role, "--id", "x1", "--config", dir.path + "/nope.toml"},
                          dir.path + "/nope-" + rc.role + ".log");
    CHECK(missing.wait_for(10s) == 2);
  }
}

TEST_CASE("neither the admin token nor a tenant key appears in any node's log") {
  mf::test::redis_server_fixture redis;
  temp_dir dir;
  std::mt19937_64 rng{std::random_device{}()};
  std::string token = "adm";
  for (int i = 0; i < 4; ++i) token += std::to_string(rng());
  const std::vector<std::string> common{
      "--redis", redis.url(), "--store", "fs:" + dir.path + "/blobs", "--log-level", "debug"};
  auto with = [&](std::vector<std::string> args) {
    args.insert(args.end(), common.begin(), common.end());
    return args;
  };
  node_process coordinator(dir.path, "coordinator",
                           with({"coordinator", "--id", "c1", "--replicas", "1"}));
  coordinator.wait_ready("coordinator");
  node_process worker(dir.path, "worker", with({"worker", "--id", "w1", "--heartbeat-ms", "200"}));
  worker.wait_ready("worker");
  // The token comes in through the environment as ops/up and systemd pass it.
  // Every request logged (sampling 1 of 1), so the secrets check below covers request lines.
  node_process router(
      dir.path, "router",
      with({"router", "--id", "r1", "--http", "127.0.0.1:0", "--request-log-every", "1"}),
      {"MODELFLEET_ADMIN_TOKEN=" + token});
  const std::string url = router.wait_ready("router")["http"];
  REQUIRE(wait_until([&] { return mf::test::http_get(url, "/readyz").first == 200; }, 15s));

  auto cli = [&](const std::string& name, std::vector<std::string> args) {
    args.insert(args.end(), {"--url", url});
    child_process p(binary, args, dir.path + "/" + name + ".cli");
    auto rc = p.wait_for(20s);
    return std::make_pair(rc.value_or(-1), p.log());
  };
  auto [rc_create, created] = cli("create", {"tenants", "create", "acme", "--token", token});
  REQUIRE_MESSAGE(rc_create == 0, created);
  std::smatch m;
  REQUIRE_MESSAGE(std::regex_search(created, m, std::regex("api_key: (\\S+)")), created);
  const std::string key = m[1];
  REQUIRE(key.size() >= 16);
  // The key in use (tenant route), misused (admin route: refused) and a wrong token.
  auto [rc_list, listed] = cli("list", {"models", "list", "--tenant", "acme", "--token", key});
  CHECK_MESSAGE(rc_list == 0, listed);
  CHECK(cli("misuse", {"tenants", "list", "--token", key}).first == 1);
  CHECK(cli("wrong", {"tenants", "list", "--token", token + "x"}).first == 1);

  CHECK(router.stop() == 0);
  CHECK(worker.stop() == 0);
  CHECK(coordinator.stop() == 0);
  // The sampled request log saw the tenant creation and the refused admin call.
  const std::string router_log = router.all();
  CHECK(router_log.find("event=request method=PUT route=tenant_create status=201") !=
        std::string::npos);
  CHECK(router_log.find("status=403") != std::string::npos);
  for (const auto* n : {&router, &worker, &coordinator}) {
    const std::string log = n->all();
    CHECK(!log.empty());
    CHECK_MESSAGE(log.find(token) == std::string::npos, "admin token in " << n->err_path);
    CHECK_MESSAGE(log.find(key) == std::string::npos, "tenant key in " << n->err_path);
    // Not even a recognisable prefix of either.
    CHECK(log.find(token.substr(0, 12)) == std::string::npos);
    CHECK(log.find(key.substr(0, 12)) == std::string::npos);
  }
}

TEST_CASE("top-level --help lists every role and command; no placeholder subcommands remain") {
  temp_dir dir;
  child_process help(binary, {"--help"}, dir.path + "/top.help");
  REQUIRE(help.wait_for(10s) == 0);
  const std::string text = help.log();
  for (const char* cmd : {"worker", "router", "coordinator", "tenants", "models", "train", "jobs",
                          "predict", "nodes", "placement", "bench"}) {
    CAPTURE(cmd);
    CHECK(text.find("\n  " + std::string(cmd) + " ") != std::string::npos);
  }
  CHECK(text.find("not available") == std::string::npos);
  // drain / upload / download live under `nodes` and `models`: not top-level commands.
  for (const char* old : {"drain", "upload", "download"}) {
    CAPTURE(old);
    CHECK(text.find("\n  " + std::string(old) + " ") == std::string::npos);
    child_process p(binary, {old}, dir.path + "/" + old + ".log");
    CHECK(p.wait_for(10s) == 2);
    CHECK(p.log().find("not available") == std::string::npos);
  }
}
