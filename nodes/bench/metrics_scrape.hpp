// metrics_scrape: reads a Prometheus text endpoint (a worker's or router's /metrics) before
// and after a run and reduces the difference to cache hits/misses/loads/evictions. Stateless
// functions; thread-safe.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <string_view>

#include "common/expected.hpp"

namespace mf::bench {

// "name{labels}" -> value for every sample line; comments and malformed lines are skipped.
std::map<std::string, double> parse_prometheus(std::string_view text);

mf::expected<std::map<std::string, double>> scrape_metrics(const std::string& url,
                                                           std::chrono::milliseconds timeout);

// after - before for every series present after (absent before = 0); unchanged series dropped.
std::map<std::string, double> metrics_delta(const std::map<std::string, double>& before,
                                            const std::map<std::string, double>& after);

struct cache_counts {
  double hits = 0, misses = 0, loads = 0, evictions = 0;
};
// Sums the deltas of counters (`_total`) whose last word is hits / misses / loads /
// evictions, over all labels; gauges and histogram series are ignored, and so is a breakdown
// `<prefix>_<detail>_<kind>_total` when `<prefix>_<kind>_total` is scraped too (the worker's
// cache_inline_loads_total is part of cache_loads_total).
cache_counts summarize_cache(const std::map<std::string, double>& delta);

}  // namespace mf::bench
