// report: the JSON report and the human summary of one bench run. Pure functions; thread-safe.
#pragma once

#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "nodes/bench/bench_options.hpp"
#include "nodes/bench/run_result.hpp"

namespace mf::bench {

// Metrics difference per scraped endpoint (url -> series -> after - before).
using scraped_deltas = std::map<std::string, std::map<std::string, double>>;

// Schema (docs/benchmarks.md, "Load benchmarks"): tool, label, started_at, target, load,
// workload, results {requests, ok, errors, throughput_rps, ok_rps, rows_per_s, errors_by_code,
// latency_us {p50,p90,p99,p999,max,mean}, by_op}, timeline [...], cache, metrics.
nlohmann::json make_report(const bench_options& options, const run_result& result,
                           const scraped_deltas& metrics, const std::string& started_at);

// Latency fields in microseconds.
nlohmann::json latency_json(const latency_histogram& h);
// The histogram itself (non-empty buckets as parallel arrays low_ns, width_ns, count, plus
// min_ns and max_ns), so runs can be pooled exactly: bench/run merges rounds of a scenario.
nlohmann::json histogram_json(const latency_histogram& h);

// A few lines for a terminal.
std::string summary_text(const nlohmann::json& report);

}  // namespace mf::bench
