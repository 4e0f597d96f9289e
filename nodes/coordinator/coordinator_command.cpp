#include "nodes/coordinator/coordinator_command.hpp"

#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <iostream>
#include <memory>

#include <spdlog/spdlog.h>

#include "actors/coordinator/coordinator_config.hpp"
#include "actors/coordinator/coordinator_metrics.hpp"
#include "actors/coordinator/coordinator_service.hpp"
#include "nodes/admin_http.hpp"
#include "nodes/common_flags.hpp"
#include "nodes/curve_option.hpp"
#include "nodes/logging.hpp"

namespace mf::coordinator {
namespace {

// Blocks until SIGTERM or SIGINT. The signals are blocked in every thread (the mask is set
// before any thread starts, and threads inherit it), so only this sigwait sees them.
int wait_for_stop_signal(const sigset_t& set) {
  int sig = 0;
  while (sigwait(&set, &sig) != 0) {
  }
  return sig;
}

struct log_settings {
  std::string format = "text";
  std::string level = "info";
};

int run(const coordinator_config& config, const log_settings& log) {
  mf::nodes::setup_logging(log.format, log.level, config.id);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);

  coordinator_metrics metrics;
  coordinator_service service(config, metrics);
  if (auto started = service.start(); !started) {
    spdlog::error("coordinator {}: cannot start: {}", config.id, started.error().message);
    return 1;
  }
  using mf::nodes::http_answer;
  auto admin =
      mf::nodes::admin_http::start(config.admin_http, [&](const std::string& path) -> http_answer {
        if (path == "/healthz") return {200, "application/json", R"({"status":"ok"})"};
        if (path == "/readyz") {
          return service.redis_ok()
                     ? http_answer{200, "application/json", R"({"status":"ready"})"}
                     : http_answer{503, "application/json", R"({"status":"redis down"})"};
        }
        if (path == "/metrics")
          return {200, "text/plain; version=0.0.4", metrics.prometheus_text()};
        return {404, "application/json",
                R"({"error":{"code":"not_found","message":"no such admin route"}})"};
      });
  if (!admin) {
    spdlog::error("coordinator {}: {}", config.id, admin.error().message);
    service.stop();
    return 1;
  }
  const std::string admin_url = (*admin)->url();
  spdlog::info("event=started admin={} replicas={} lease_ttl_ms={}", admin_url, config.replicas,
               config.lease_ttl_ms);
  // The ready line is a protocol line for supervisors (ops/up): plain text on stdout always.
  std::cout << "modelfleet coordinator " << config.id << " ready admin=" << admin_url << std::endl;
  const int sig = wait_for_stop_signal(set);
  spdlog::info("coordinator {}: signal {}, stopping", config.id, sig);
  (*admin)->stop();
  service.stop();
  return 0;
}

std::string default_id() {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0) return "c1";
  return std::string("c-") + host;
}

}  // namespace

void add_coordinator_command(CLI::App& app) {
  auto config = std::make_shared<coordinator_config>();
  config->id = default_id();
  CLI::App* cmd = app.add_subcommand(
      "coordinator",
      "Run a coordinator: training jobs, versions, activation policy, placement manager. "
      "Several may run; one leads through a Redis lease.");
  cmd->add_option("--id", config->id, "Node id (lease owner)")->capture_default_str();
  cmd->add_option("--redis", config->redis_url, "Redis URL redis://[user:pass@]host:port/db")
      ->capture_default_str();
  cmd->add_option("--key-prefix", config->key_prefix, "Registry key prefix in Redis")
      ->capture_default_str();
  cmd->add_option("--store", config->store, "Blob store: fs:/path or redis")->capture_default_str();
  cmd->add_option("--replicas", config->replicas,
                  "Placement replication factor (workers per tenant)")
      ->check(CLI::Range(1, 16))
      ->capture_default_str();
  cmd->add_option("--load-bound", config->load_bound, "Placement per-node load bound (x mean)")
      ->check(CLI::Range(1.0, 10.0))
      ->capture_default_str();
  cmd->add_option("--lease-ttl-ms", config->lease_ttl_ms,
                  "Leader lease TTL; a standby takes over within about this time")
      ->check(CLI::Range(300, 60000))
      ->capture_default_str();
  cmd->add_option("--renew-interval-ms", config->renew_interval_ms, "Lease renewal period")
      ->check(CLI::Range(50, 30000))
      ->capture_default_str();
  cmd->add_option("--placement-interval-ms", config->placement_interval_ms,
                  "Membership poll period of the placement manager")
      ->check(CLI::Range(50, 60000))
      ->capture_default_str();
  cmd->add_option("--move-grace-ms", config->move_grace_ms,
                  "Longest time a moving tenant's old owners stay placed while new ones load")
      ->check(CLI::Range(0, 600000))
      ->capture_default_str();
  cmd->add_option("--max-attempts", config->max_attempts,
                  "Training attempts of a job (worker deaths) before it fails")
      ->check(CLI::Range(1, 20))
      ->capture_default_str();
  cmd->add_option("--retention", config->retention,
                  "Versions kept per model (the active one is always kept too)")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  cmd->add_option("--assign-timeout-ms", config->assign_timeout_ms,
                  "Re-queue an attempt a live worker never acknowledged within this time")
      ->check(CLI::Range(500, 3600000))
      ->capture_default_str();
  cmd->add_option("--admin-http", config->admin_http,
                  "host:port of /healthz and /metrics (0 = free port)")
      ->capture_default_str();
  auto log = std::make_shared<log_settings>();
  mf::nodes::add_log_flags(*cmd, log->format, log->level);
  mf::nodes::add_curve_keys_flag(*cmd, config->curve_keys);
  mf::nodes::finish_role_flags(*cmd, [config, log] {
    if (!mf::nodes::load_curve_keys_flag(config->curve_keys, config->curve)) std::exit(2);
    std::exit(run(*config, *log));
  });
}

}  // namespace mf::coordinator
