// report: everything the runner (bench/run) and the plots read comes from this JSON.
#include "nodes/bench/report.hpp"

#include <cstdio>

#include "nodes/bench/metrics_scrape.hpp"

namespace mf::bench {
namespace {

double us(std::uint64_t ns) {
  return static_cast<double>(ns) / 1000.0;
}

std::string_view target_name(target_kind t) {
  switch (t) {
    case target_kind::http:
      return "http";
    case target_kind::front:
      return "front";
    case target_kind::zmq_ceiling:
      return "zmq_ceiling";
  }
  return "http";
}

}  // namespace

nlohmann::json latency_json(const latency_histogram& h) {
  return {{"count", h.count()},
          {"min", us(h.min())},
          {"mean", h.mean() / 1000.0},
          {"p50", us(h.quantile(0.50))},
          {"p90", us(h.quantile(0.90))},
          {"p99", us(h.quantile(0.99))},
          {"p999", us(h.quantile(0.999))},
          {"max", us(h.max())}};
}

nlohmann::json histogram_json(const latency_histogram& h) {
  nlohmann::json low = nlohmann::json::array(), width = nlohmann::json::array(),
                 count = nlohmann::json::array();
  for (std::size_t i = 0; i < latency_histogram::bucket_count(); ++i) {
    if (h.count_in(i) == 0) continue;
    low.push_back(latency_histogram::bucket_low(i));
    width.push_back(latency_histogram::bucket_width(i));
    count.push_back(h.count_in(i));
  }
  return {{"low_ns", low},
          {"width_ns", width},
          {"count", count},
          {"min_ns", h.min()},
          {"max_ns", h.max()}};
}

nlohmann::json make_report(const bench_options& o, const run_result& r,
                           const scraped_deltas& metrics, const std::string& started_at) {
  using nlohmann::json;
  json target = {{"kind", target_name(o.target)}};
  if (o.target == target_kind::http) target["url"] = o.url;
  if (o.target == target_kind::front) target["front"] = o.front;
  if (o.target == target_kind::zmq_ceiling) target["hops"] = o.ceiling_relay ? 2 : 1;

  latency_histogram all;
  std::uint64_t completed = 0, ok = 0;
  json errors = json::object(), by_op = json::object();
  for (std::size_t i = 0; i < op_kind_count; ++i) {
    const op_result& op = r.ops[i];
    all.merge(op.latency);
    completed += op.completed;
    ok += op.ok;
    for (const auto& [key, n] : op.errors) {
      errors[key] = errors.value(key, std::uint64_t{0}) + n;
    }
    if (op.completed == 0) continue;
    by_op[std::string(to_string(static_cast<op_kind>(i)))] = {
        {"requests", op.completed},
        {"ok", op.ok},
        {"errors_by_code", op.errors},
        {"latency_us", latency_json(op.latency)}};
  }
  const double secs = r.measured_seconds > 0 ? r.measured_seconds : 1.0;

  json timeline = json::array();
  for (std::size_t s = 0; s < r.timeline.size(); ++s) {
    const timeline_second& t = r.timeline[s];
    timeline.push_back({{"t", s + 1},
                        {"completed", t.completed},
                        {"ok", t.ok},
                        {"rows_ok", t.rows_ok},
                        {"p50_us", us(t.latency.quantile(0.5))},
                        {"p99_us", us(t.latency.quantile(0.99))},
                        {"max_us", us(t.latency.max())}});
  }

  json per_endpoint = json::object();
  std::map<std::string, double> total;
  for (const auto& [url, delta] : metrics) {
    per_endpoint[url] = delta;
    for (const auto& [series, d] : delta) total[series] += d;
  }
  const cache_counts cache = summarize_cache(total);

  return {{"tool", "modelfleet bench"},
          {"label", o.label},
          {"started_at", started_at},
          {"target", target},
          {"load",
           {{"mode", o.rate > 0 ? "open" : "closed"},
            {"connections", o.connections},
            {"threads", o.threads},
            {"rate", o.rate},
            {"send_tick_us", o.send_tick.count()},
            {"duration_s", static_cast<double>(o.duration.count()) / 1000.0},
            {"warmup_s", static_cast<double>(o.warmup.count()) / 1000.0},
            {"timeout_ms", o.timeout.count()}}},
          {"workload",
           {{"mix", to_string(o.mix)},
            {"tenants", o.tenants},
            {"zipf_s", o.zipf_s},
            {"model", o.model},
            {"rows", o.rows},
            {"features", o.features},
            {"ops",
             {{"predict", o.ops.predict}, {"train", o.ops.train}, {"activate", o.ops.activate}}}}},
          {"results",
           {{"requests", completed},
            {"ok", ok},
            {"errors", completed - ok},
            {"sent", r.sent},
            {"missed_sends", r.missed_sends},
            {"unfinished", r.unfinished},
            {"seconds", secs},
            {"throughput_rps", static_cast<double>(completed) / secs},
            {"ok_rps", static_cast<double>(ok) / secs},
            {"rows_per_s", static_cast<double>(r.rows_ok) / secs},
            {"errors_by_code", errors},
            {"latency_us", latency_json(all)},
            {"latency_histogram", histogram_json(all)},
            {"by_op", by_op}}},
          {"timeline", timeline},
          {"cache",
           {{"hits", cache.hits},
            {"misses", cache.misses},
            {"loads", cache.loads},
            {"evictions", cache.evictions}}},
          {"metrics", per_endpoint}};
}

std::string summary_text(const nlohmann::json& report) {
  const auto& res = report["results"];
  const auto& lat = res["latency_us"];
  char buf[1024];
  std::snprintf(
      buf, sizeof buf,
      "%s %s  %s loop, %llu connections, %.1f s\n"
      "  requests %llu  ok %llu  errors %llu  (%llu unsent, %llu cut off)\n"
      "  throughput %.0f req/s  (ok %.0f req/s, %.0f rows/s)\n"
      "  latency us  p50 %.0f  p90 %.0f  p99 %.0f  p99.9 %.0f  max %.0f\n",
      report["target"]["kind"].get<std::string>().c_str(),
      report["label"].get<std::string>().c_str(), report["load"]["mode"].get<std::string>().c_str(),
      report["load"]["connections"].get<unsigned long long>(), res["seconds"].get<double>(),
      res["requests"].get<unsigned long long>(), res["ok"].get<unsigned long long>(),
      res["errors"].get<unsigned long long>(), res["missed_sends"].get<unsigned long long>(),
      res["unfinished"].get<unsigned long long>(), res["throughput_rps"].get<double>(),
      res["ok_rps"].get<double>(), res["rows_per_s"].get<double>(), lat["p50"].get<double>(),
      lat["p90"].get<double>(), lat["p99"].get<double>(), lat["p999"].get<double>(),
      lat["max"].get<double>());
  std::string out = buf;
  for (const auto& [code, n] : res["errors_by_code"].items()) {
    out += "  error " + code + ": " + std::to_string(n.get<unsigned long long>()) + "\n";
  }
  const auto& cache = report["cache"];
  if (!report["metrics"].empty()) {
    std::snprintf(buf, sizeof buf, "  cache  hits %.0f  misses %.0f  loads %.0f  evictions %.0f\n",
                  cache["hits"].get<double>(), cache["misses"].get<double>(),
                  cache["loads"].get<double>(), cache["evictions"].get<double>());
    out += buf;
  }
  return out;
}

}  // namespace mf::bench
