#include "nodes/worker_config.hpp"

#include "nodes/common_flags.hpp"
#include "nodes/curve_option.hpp"
#include "nodes/size_parse.hpp"

namespace mf::nodes {

CLI::App* add_worker_command(CLI::App& app, worker_options& o) {
  auto* w = app.add_subcommand(
      "worker",
      "Run a worker node: hosts models in memory, answers predictions over ZeroMQ, trains jobs.\n"
      "Every flag can also be given as MODELFLEET_<FLAG> (e.g. MODELFLEET_MEMORY_BUDGET) or in\n"
      "the --config file (TOML/INI, keys = flag names, top level or in a [worker] section).");
  // Required, but checked after the config file is applied (it may come from there).
  w->add_option("--id", o.id, "Node id, unique in the cluster (name rule of API.md); required");
  w->add_option("--redis", o.redis, "Redis URL redis://[user:pass@]host:port/db")
      ->capture_default_str();
  w->add_option("--bind", o.bind,
                "ZeroMQ ROUTER endpoint for routers/coordinator (port 0 = pick a free port; the "
                "real endpoint is published in the node record)")
      ->capture_default_str();
  w->add_option("--memory-budget", o.memory_budget_text,
                "Memory for loaded models, e.g. 2GiB, 512MiB (LRU eviction above it)")
      ->capture_default_str()
      ->check([](const std::string& s) -> std::string {
        auto v = parse_size(s);
        return v ? std::string() : v.error().message;
      });
  w->add_option("--train-slots", o.train_slots, "Training jobs run concurrently (0 = no training)")
      ->capture_default_str();
  w->add_option("--store", o.store, "Blob store of artifacts: fs:/path or redis")
      ->capture_default_str();
  w->add_option("--admin-http", o.admin_http,
                "host:port of the admin HTTP port (/healthz, /readyz, /metrics); port 0 = free")
      ->capture_default_str();
  w->add_option("--key-prefix", o.key_prefix, "Prefix of every Redis key and of the events channel")
      ->capture_default_str();
  add_log_flags(*w, o.log_format, o.log_level);
  w->add_option("--threads", o.threads, "CAF scheduler threads (0 = one per core)")
      ->capture_default_str();
  w->add_option("--predictors", o.predictors, "Predictor actors (0 = 2 per scheduler thread)")
      ->capture_default_str();
  w->add_option("--scheduler", o.scheduler,
                "CAF scheduler policy: sharing (idle threads block) or stealing (idle threads "
                "poll every 50 us: lower wake-up latency, a core's worth of context switches)")
      ->capture_default_str()
      ->check(CLI::IsMember({"sharing", "stealing"}));
  w->add_option("--inline-loads", o.inline_loads,
                "Load small artifacts already in the page cache on the model host, without a "
                "loader round trip (cold-load cost on a cache miss)")
      ->capture_default_str();
  w->add_option("--loaders", o.loaders, "Loader threads (blob read + artifact deserialize)")
      ->capture_default_str()
      ->check(CLI::Range(1u, 64u));
  w->add_option("--heartbeat-ms", o.heartbeat_ms, "Node heartbeat period in Redis")
      ->capture_default_str()
      ->check(CLI::Range(50u, 60000u));
  w->add_option("--heartbeat-ttl-ms", o.heartbeat_ttl_ms,
                "Heartbeat TTL: the node is down this long after its last beat")
      ->capture_default_str()
      ->check(CLI::Range(100u, 600000u));
  w->add_option("--drain-timeout-ms", o.drain_timeout_ms,
                "On SIGTERM: longest wait for in-flight predictions before exiting")
      ->capture_default_str();
  w->add_option("--train-nice", o.train_nice,
                "nice value of training threads (keeps predict latency)")
      ->capture_default_str()
      ->check(CLI::Range(0, 19));
  w->add_option("--train-sched-idle", o.train_sched_idle,
                "Run training threads under SCHED_IDLE: a core goes to predictions first")
      ->capture_default_str();
  w->add_option(
       "--train-cores", o.train_cores,
       "CPUs training may use, the last ones of the node's set (-1 = all but one, 0 = all): "
       "the first core stays free for predictions")
      ->capture_default_str()
      ->check(CLI::Range(-1, 4096));
  w->add_option("--max-queue", o.max_queue,
                "Predict requests queued for predictors above which new ones get overloaded")
      ->capture_default_str();
  add_curve_keys_flag(*w, o.curve_keys);
  finish_role_flags(*w, [&o] {
    if (o.id.empty()) throw CLI::RequiredError("--id (or MODELFLEET_ID, or id in the config file)");
    o.memory_budget = *parse_size(o.memory_budget_text);
  });
  return w;
}

}  // namespace mf::nodes
