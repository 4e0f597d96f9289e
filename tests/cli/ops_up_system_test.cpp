// System test of the one-command cluster: ./ops/up on a free HTTP port in a temp data dir, the
// real `modelfleet` CLI driven through tenant -> train (CSV) -> predict -> activate ->
// download/upload -> drain, then ./ops/down; and ops/up twice / ops/down leaving no process.
// Skipped (with a message) when this build's modelfleet has no router/coordinator/worker yet.
#include <doctest/doctest.h>
#include <signal.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "tests/support/free_port.hpp"
#include "tests/support/wait_until.hpp"

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

const std::string source_dir = MF_SOURCE_DIR;
const std::string binary = MF_BINARY_DIR "/nodes/modelfleet";

struct shell_result {
  int code = -1;
  std::string output;  // stdout + stderr
};

std::string quote(const std::string& s) {
  std::string out = "'";
  for (const char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

// Runs `command` through /bin/sh with `env` exported; captures both streams.
shell_result sh(const std::string& command, const std::map<std::string, std::string>& env) {
  std::string line;
  for (const auto& [k, v] : env) line += k + "=" + quote(v) + " ";
  line += command + " 2>&1";
  shell_result result;
  FILE* pipe = ::popen(line.c_str(), "r");
  REQUIRE(pipe != nullptr);
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) result.output.append(buf, n);
  const int status = ::pclose(pipe);
  result.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

bool roles_available() {
  if (!fs::exists(binary)) return false;
  for (const char* role : {"router", "coordinator", "worker"}) {
    if (sh(quote(binary) + " " + role + " --help", {}).code != 0) return false;
  }
  return true;
}

int pid_of(const fs::path& pid_file) {
  std::ifstream in(pid_file);
  int pid = -1;
  in >> pid;
  return pid;
}

// Running, not a zombie: a stopped node is re-parented to PID 1, which (in some containers)
// never reaps it, so kill(pid, 0) alone would still succeed.
bool alive(int pid) {
  if (pid <= 0 || ::kill(pid, 0) != 0) return false;
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("State:", 0) == 0) return line.find('Z') == std::string::npos;
  }
  return false;
}

struct cluster_dir {
  fs::path dir;
  std::map<std::string, std::string> env;
  explicit cluster_dir(int workers, bool demo) {
    dir = fs::temp_directory_path() /
          ("mf_ops_up_" + std::to_string(::getpid()) + "_" + std::to_string(workers));
    fs::remove_all(dir);
    env = {{"MODELFLEET_DATA_DIR", dir.string()},
           {"MODELFLEET_HTTP_PORT", std::to_string(mf::test::free_tcp_port())},
           {"MODELFLEET_BINARY", binary},
           {"MODELFLEET_ADMIN_TOKEN", "system-test-token"},
           {"MODELFLEET_WORKERS", std::to_string(workers)},
           {"MODELFLEET_SKIP_DEMO", demo ? "0" : "1"}};
  }
  ~cluster_dir() {
    // Whatever happened in the test, leave no process and no data behind.
    sh(quote(source_dir + "/ops/down") + " --purge", env);
  }
  std::string url() const { return "http://127.0.0.1:" + env.at("MODELFLEET_HTTP_PORT"); }
  shell_result up() const { return sh(quote(source_dir + "/ops/up"), env); }
  shell_result down() const { return sh(quote(source_dir + "/ops/down"), env); }
  shell_result cli(const std::string& args) const {
    return sh(quote(binary) + " " + args,
              {{"MODELFLEET_URL", url()}, {"MODELFLEET_TOKEN", "system-test-token"}});
  }
  // A CLI command that may need a moment (placement reaching the workers): retried to a deadline.
  shell_result cli_eventually(const std::string& args) const {
    shell_result last;
    mf::test::wait_until([&] { return (last = cli(args)).code == 0; }, 30000ms, 250ms);
    return last;
  }
};

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("ops/up, the CLI end to end, ops/down") {
  if (!roles_available()) {
    MESSAGE("skipped: " << binary << " lacks the router/coordinator/worker roles in this build");
    return;
  }
  cluster_dir cluster(2, /*demo=*/true);
  const auto up = cluster.up();
  INFO(up.output);
  REQUIRE(up.code == 0);
  CHECK(contains(up.output, "ModelFleet is up (2 workers, 2 replicas per tenant"));
  CHECK(contains(up.output, "API:          " + cluster.url()));
  CHECK(contains(up.output, "Admin UI:     " + cluster.url() + "/admin/"));
  // The admin UI is served (GET) and HEAD answers the same status without a body.
  CHECK(sh("curl -s -o /dev/null -w '%{http_code}' " + cluster.url() + "/admin/", {}).output ==
        "200");
  CHECK(
      sh("curl -s -I -o /dev/null -w '%{http_code} %{size_download}' " + cluster.url() + "/admin/",
         {})
          .output == "200 0");
  CHECK(contains(up.output, "Admin token:  system-test-token"));
  CHECK(contains(up.output, "demo       prediction works"));
  CHECK(contains(up.output,
                 "curl -sS -X POST '" + cluster.url() + "/v1/tenants/demo/models/churn/predict'"));
  for (const char* node : {"redis", "coordinator", "router", "worker-1", "worker-2"}) {
    CHECK_MESSAGE(alive(pid_of(cluster.dir / "run" / (std::string(node) + ".pid"))), node);
    CHECK(fs::exists(cluster.dir / "log" / (std::string(node) + ".log")));
  }
  std::ifstream token_file(cluster.dir / "admin.token");
  std::string token;
  std::getline(token_file, token);
  CHECK(token == "system-test-token");

  const std::string csv = quote(source_dir + "/ops/demo/churn.csv");
  const std::string rows = quote(source_dir + "/ops/demo/rows.csv");

  auto created = cluster.cli("tenants create acme");
  INFO(created.output);
  REQUIRE(created.code == 0);
  CHECK(contains(created.output, "tenant acme created"));
  CHECK(cluster.cli("tenants create acme").code == 1);  // 409 conflict
  CHECK(contains(cluster.cli("tenants list").output, "acme"));

  auto trained = cluster.cli(
      "train --tenant acme --model churn --algorithm logistic_regression "
      "--csv " +
      csv + " --label churned --activate always");
  INFO(trained.output);
  REQUIRE(trained.code == 0);
  CHECK(contains(trained.output, "succeeded: acme/churn version 1 (active)"));
  CHECK(contains(trained.output, "accuracy="));

  auto predicted = cluster.cli_eventually("predict --tenant acme --model churn --csv " + rows);
  INFO(predicted.output);
  REQUIRE(predicted.code == 0);
  CHECK(contains(predicted.output, "model acme/churn version 1"));
  CHECK(contains(predicted.output, "\n3  "));  // one line per row of rows.csv

  auto second = cluster.cli(
      "train --tenant acme --model churn --algorithm logistic_regression "
      "--csv " +
      csv + " --label churned --activate never --json");
  REQUIRE(second.code == 0);
  CHECK(nlohmann::json::parse(second.output)["version"] == 2);
  CHECK(contains(cluster.cli("models activate --tenant acme --model churn --version 2").output,
                 "version 2 is active"));
  auto shown = cluster.cli("models show --tenant acme --model churn --json");
  REQUIRE(shown.code == 0);
  CHECK(nlohmann::json::parse(shown.output)["active_version"] == 2);

  const auto artifact = (cluster.dir / "v1.mfm").string();
  auto downloaded = cluster.cli("models download --tenant acme --model churn --version 1 --out " +
                                quote(artifact));
  INFO(downloaded.output);
  REQUIRE(downloaded.code == 0);
  CHECK(fs::file_size(artifact) > 0);
  auto uploaded = cluster.cli("models upload --tenant acme --model copy --file " + quote(artifact) +
                              " --activate always");
  INFO(uploaded.output);
  REQUIRE(uploaded.code == 0);
  CHECK(contains(uploaded.output, "uploaded acme/copy version 1 (active)"));
  auto copy_predicted =
      cluster.cli_eventually("predict --tenant acme --model copy --csv " + rows + " --output json");
  REQUIRE(copy_predicted.code == 0);
  CHECK(nlohmann::json::parse(copy_predicted.output)["predictions"].size() == 3);
  // The uploaded copy of version 1 answers exactly like version 1 of the original.
  auto original_v1 = cluster.cli("predict --tenant acme --model churn --version 1 --csv " + rows +
                                 " --output json");
  REQUIRE(original_v1.code == 0);
  CHECK(nlohmann::json::parse(copy_predicted.output)["predictions"] ==
        nlohmann::json::parse(original_v1.output)["predictions"]);

  auto nodes = cluster.cli("nodes list");
  CHECK(contains(nodes.output, "worker-1"));
  CHECK(contains(nodes.output, "worker-2"));
  auto drained = cluster.cli("nodes drain worker-1 --wait 30");
  INFO(drained.output);
  CHECK(drained.code == 0);
  CHECK(contains(drained.output, "node worker-1: drained"));
  auto placement = cluster.cli("placement --tenant acme --json");
  REQUIRE(placement.code == 0);
  CHECK(!contains(placement.output, "worker-1"));
  CHECK(cluster.cli_eventually("predict --tenant acme --model churn --csv " + rows).code == 0);
  CHECK(cluster.cli("nodes undrain worker-1").code == 0);
  CHECK(cluster.cli("predict --tenant nobody --model churn --json '[[1,2,3,4]]'").code == 1);

  std::map<std::string, int> pids;
  for (const char* node : {"redis", "coordinator", "router", "worker-1", "worker-2"}) {
    pids[node] = pid_of(cluster.dir / "run" / (std::string(node) + ".pid"));
  }
  const auto down = cluster.down();
  INFO(down.output);
  CHECK(down.code == 0);
  for (const auto& [node, pid] : pids) {
    CHECK_MESSAGE(!alive(pid), node);
    CHECK(!fs::exists(cluster.dir / "run" / (node + ".pid")));
  }
  CHECK(fs::exists(cluster.dir / "redis"));  // data kept
}

TEST_CASE("ops/up twice is idempotent; ops/down leaves no process behind") {
  if (!roles_available()) {
    MESSAGE("skipped: " << binary << " lacks the router/coordinator/worker roles in this build");
    return;
  }
  cluster_dir cluster(1, /*demo=*/false);
  const auto first = cluster.up();
  INFO(first.output);
  REQUIRE(first.code == 0);
  CHECK(contains(first.output, "(1 workers, 1 replicas per tenant"));
  std::map<std::string, int> pids;
  for (const char* node : {"redis", "coordinator", "router", "worker-1"}) {
    pids[node] = pid_of(cluster.dir / "run" / (std::string(node) + ".pid"));
    CHECK(alive(pids[node]));
  }
  const auto again = cluster.up();
  INFO(again.output);
  CHECK(again.code == 0);
  CHECK(contains(again.output, "already up"));
  for (const auto& [node, pid] : pids) {
    CHECK(pid_of(cluster.dir / "run" / (node + ".pid")) == pid);  // nothing restarted
  }

  // A node that died is noticed: the next ops/up replaces the partial cluster.
  ::kill(pids["worker-1"], SIGKILL);
  CHECK(mf::test::wait_until([&] { return !alive(pids["worker-1"]); }, 5000ms));
  const auto repaired = cluster.up();
  INFO(repaired.output);
  CHECK(repaired.code == 0);
  CHECK(contains(repaired.output, "only partly running"));
  for (const auto& [node, pid] : pids) CHECK(!alive(pid));  // the old survivors were stopped
  std::map<std::string, int> now;
  for (const char* node : {"redis", "coordinator", "router", "worker-1"}) {
    now[node] = pid_of(cluster.dir / "run" / (std::string(node) + ".pid"));
    CHECK(alive(now[node]));
  }
  CHECK(sh("curl -s -o /dev/null -w '%{http_code}' " + cluster.url() + "/readyz", {}).output ==
        "200");

  const auto down = cluster.down();
  CHECK(down.code == 0);
  for (const auto& [node, pid] : now) CHECK_MESSAGE(!alive(pid), node);
  CHECK(cluster.down().code == 0);  // nothing left to stop: still fine
  CHECK(sh(quote(source_dir + "/ops/down") + " --purge", cluster.env).code == 0);
  CHECK(!fs::exists(cluster.dir));
}
