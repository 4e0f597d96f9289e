// bench_command: flags -> bench_options, run, print the summary, write the JSON report.
// Exit codes: 0 the run completed (its errors are in the report), 2 bad flags, 1 the run could
// not happen (target unreachable at setup, report not writable).
#include "nodes/bench/bench_command.hpp"

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>

#include "nodes/bench/bench_session.hpp"
#include "nodes/bench/density.hpp"
#include "nodes/bench/report.hpp"

namespace mf::bench {
namespace {

struct bench_flags {
  bench_options options;
  bool zmq_ceiling = false;
  bool zmq_relay = false;
  double duration_s = 10, warmup_s = 0;
  std::int64_t timeout_ms = 5000;
  std::int64_t send_tick_us = 0;
  std::string mix = "hot";
  std::string ops = "predict=1";
  std::string json_path;
  bool progress = false, no_progress = false, quiet = false;
  std::size_t density = 0;  // > 0: the in-process density mode (W6), no target
  std::string artifact;
};

mf::expected<op_weights> parse_ops(const std::string& text) {
  op_weights w{0, 0, 0};
  std::size_t at = 0;
  while (at < text.size()) {
    const auto comma = text.find(',', at);
    const std::string item = text.substr(at, comma == std::string::npos ? comma : comma - at);
    at = comma == std::string::npos ? text.size() : comma + 1;
    const auto eq = item.find('=');
    if (eq == std::string::npos) {
      return mf::make_error(mf::errc::invalid_field,
                            "--ops items are NAME=WEIGHT, got '" + item + "'");
    }
    const std::string name = item.substr(0, eq);
    double value = 0;
    try {
      value = std::stod(item.substr(eq + 1));
    } catch (...) {
      return mf::make_error(mf::errc::invalid_field,
                            "--ops weight is not a number: '" + item + "'");
    }
    if (name == "predict") {
      w.predict = value;
    } else if (name == "train") {
      w.train = value;
    } else if (name == "activate") {
      w.activate = value;
    } else {
      return mf::make_error(mf::errc::invalid_field,
                            "--ops knows predict, train, activate; got '" + name + "'");
    }
  }
  return w;
}

int write_report(const nlohmann::json& report, const std::string& path) {
  const std::string text = report.dump(2) + "\n";
  if (path == "-") {
    std::cout << text << std::flush;
    return 0;
  }
  const std::string tmp = path + ".tmp";
  std::ofstream out(tmp, std::ios::trunc);
  out << text;
  out.close();
  if (!out || std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::cerr << "modelfleet bench: cannot write " << path << "\n";
    return 1;
  }
  return 0;
}

int run_density_command(const bench_flags& f) {
  density_options d;
  d.models = f.density;
  d.artifact_path = f.artifact;
  d.features = f.options.features;
  d.progress = f.no_progress ? false : (f.progress || ::isatty(2));
  auto report = run_density(d);
  if (!report) {
    std::cerr << "modelfleet bench: " << report.error().message << "\n";
    return report.error().code == mf::errc::invalid_field ? 2 : 1;
  }
  if (!f.quiet) {
    std::cout << "density: " << d.models << " models, "
              << (*report)["bytes_per_model"].get<double>() << " bytes/model (RSS), "
              << (*report)["model_memory_bytes_per_model"].get<double>()
              << " bytes/model (memory_bytes), RSS "
              << (*report)["rss_after_bytes"].get<double>() / (1 << 20) << " MiB, load p50 "
              << (*report)["load_latency_us"]["p50"].get<double>() << " us\n";
  }
  return f.json_path.empty() ? 0 : write_report(*report, f.json_path);
}

int run_command(bench_flags& f) {
  bench_options& o = f.options;
  if (f.density > 0) return run_density_command(f);
  const int modes = !o.url.empty() + !o.front.empty() + f.zmq_ceiling;
  if (modes != 1) {
    std::cerr << "modelfleet bench: give exactly one of --url, --front, --zmq-ceiling, --density\n";
    return 2;
  }
  if (f.zmq_relay && !f.zmq_ceiling) {
    std::cerr << "modelfleet bench: --zmq-relay goes with --zmq-ceiling\n";
    return 2;
  }
  o.ceiling_relay = f.zmq_relay;
  o.target = f.zmq_ceiling     ? target_kind::zmq_ceiling
             : o.front.empty() ? target_kind::http
                               : target_kind::front;
  auto mix = parse_key_mix(f.mix);
  auto ops = parse_ops(f.ops);
  if (!mix || !ops) {
    std::cerr << "modelfleet bench: " << (!mix ? mix.error().message : ops.error().message) << "\n";
    return 2;
  }
  o.mix = *mix;
  o.ops = *ops;
  o.duration = std::chrono::milliseconds(static_cast<std::int64_t>(f.duration_s * 1000));
  o.warmup = std::chrono::milliseconds(static_cast<std::int64_t>(f.warmup_s * 1000));
  o.timeout = std::chrono::milliseconds(f.timeout_ms);
  if (f.send_tick_us < 0 || f.send_tick_us > 100'000) {
    std::cerr << "modelfleet bench: --send-tick-us must be in 0..100000\n";
    return 2;
  }
  o.send_tick = std::chrono::microseconds(f.send_tick_us);
  o.progress = f.no_progress ? false : (f.progress || ::isatty(2));

  auto report = run_bench(o);
  if (!report) {
    std::cerr << "modelfleet bench: " << report.error().message << "\n";
    return report.error().code == mf::errc::invalid_field ? 2 : 1;
  }
  if (!f.quiet) std::cout << summary_text(*report) << std::flush;
  return f.json_path.empty() ? 0 : write_report(*report, f.json_path);
}

}  // namespace

void add_bench_command(CLI::App& app) {
  auto flags = std::make_shared<bench_flags>();
  bench_options& o = flags->options;
  CLI::App* cmd = app.add_subcommand(
      "bench",
      "Load generator: HTTP (--url), the ZeroMQ front door (--front) or the raw ZeroMQ "
      "round-trip ceiling (--zmq-ceiling); closed loop, or open loop with --rate "
      "(latency from the intended send time: coordinated omission corrected)");
  cmd->add_option("--url", o.url,
                  "Base URL of a router (or any HTTP peer), e.g. http://127.0.0.1:8080")
      ->envname("MODELFLEET_BENCH_URL");
  cmd->add_option("--front", o.front, "ZeroMQ front door endpoint, e.g. tcp://127.0.0.1:7000");
  cmd->add_flag("--zmq-ceiling", flags->zmq_ceiling,
                "Raw DEALER/ROUTER round trips against an in-process echo ROUTER, with the "
                "predict frame sizes of --rows/--features");
  cmd->add_flag("--zmq-relay", flags->zmq_relay,
                "With --zmq-ceiling: the round trips cross a do-nothing ROUTER/DEALER relay "
                "(zmq_proxy, its own context) on the way, the two hops of a router in the path");
  cmd->add_option("--token", o.token, "Bearer token for HTTP (default: env MODELFLEET_TOKEN)")
      ->envname("MODELFLEET_TOKEN");
  cmd->add_option("-c,--connections", o.connections,
                  "HTTP keep-alive connections / ZeroMQ requests in flight (default 8)");
  cmd->add_option("--threads", o.threads,
                  "Load threads; connections and rate are split (default 1)");
  cmd->add_option("--rate", o.rate,
                  "Open loop: requests per second in total (default 0 = closed loop)");
  cmd->add_option("--send-tick-us", flags->send_tick_us,
                  "Open loop over HTTP: wake on a grid of this many microseconds and send every "
                  "request due by then, each still timed from its due time (default 0 = one wake "
                  "per request)");
  cmd->add_option("-d,--duration", flags->duration_s, "Measured seconds (default 10)");
  cmd->add_option("--warmup", flags->warmup_s, "Seconds of load before measuring (default 0)");
  cmd->add_option("--timeout-ms", flags->timeout_ms,
                  "Per-request timeout, also the drain bound (default 5000)");
  cmd->add_option("--mix", flags->mix, "Tenant mix: hot | uniform | zipf (default hot)");
  cmd->add_option("--tenants", o.tenants, "Tenants for uniform/zipf (default 1)");
  cmd->add_option("--zipf-s", o.zipf_s, "Zipf exponent (default 1.1)");
  cmd->add_option("--tenant-prefix", o.tenant_prefix,
                  "Tenant names are PREFIX0..PREFIX{N-1} (default bench-)");
  cmd->add_option("--model", o.model, "Model name (default m)");
  cmd->add_option("--rows", o.rows, "Rows per predict request (default 1)");
  cmd->add_option("--features", o.features, "Features per row (default 16)");
  cmd->add_option("--ops", flags->ops,
                  "Call mix, e.g. predict=0.98,train=0.01,activate=0.01 (default predict=1)");
  cmd->add_option("--predict-path", o.predict_path, "Predict path template ({tenant} {model})");
  cmd->add_option("--train-path", o.train_path, "Train path template");
  cmd->add_option("--activate-path", o.activate_path, "Activate path template ({version})");
  cmd->add_option("--train-algorithm", o.train_algorithm,
                  "Algorithm of train calls (default logistic_regression)");
  cmd->add_option("--train-rows", o.train_rows, "Rows in a train call's data (default 200)");
  cmd->add_option("--activate-version", o.activate_version,
                  "Version activate calls name (default 1)");
  cmd->add_option(
      "--metrics-url", o.metrics_urls,
      "Prometheus endpoint scraped before/after (repeatable): cache hits/misses/loads/evictions");
  cmd->add_option("--density", flags->density,
                  "W6 fast path: load N copies of a small model into a model cache in this "
                  "process and report RSS and bytes/model (no target)");
  cmd->add_option("--artifact", flags->artifact,
                  "Artifact for --density (default: a trained linear_regression, --features)");
  cmd->add_option("--seed", o.seed, "Random seed of bodies and choices (default 42)");
  cmd->add_option("--label", o.label, "Free text stored in the report (scenario name)");
  cmd->add_option("--json", flags->json_path, "Write the JSON report here ('-' = stdout)");
  cmd->add_flag("--progress", flags->progress,
                "Progress line on stderr even when it is not a terminal");
  cmd->add_flag("--no-progress", flags->no_progress, "No progress line");
  cmd->add_flag("-q,--quiet", flags->quiet, "No summary on stdout");
  cmd->callback([flags] {
    const int code = run_command(*flags);
    if (code != 0) throw CLI::RuntimeError(code);
  });
}

}  // namespace mf::bench
