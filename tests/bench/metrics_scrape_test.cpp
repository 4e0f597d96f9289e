// Tests of the Prometheus text parsing and the cache summary of metric deltas.
#include "nodes/bench/metrics_scrape.hpp"

#include <doctest/doctest.h>

using namespace mf::bench;

TEST_CASE("parse_prometheus reads samples, keeps labels, skips comments and junk") {
  const auto m = parse_prometheus(
      "# HELP mf_cache_hits_total hits\n"
      "# TYPE mf_cache_hits_total counter\n"
      "mf_cache_hits_total{node=\"w 1\"} 42\n"
      "mf_models_loaded 3 1700000000000\n"
      "garbage\n"
      "mf_bad_value{a=\"b\"} x\n"
      "mf_cache_evictions_total 1e3");
  CHECK(m.size() == 3);
  CHECK(m.at("mf_cache_hits_total{node=\"w 1\"}") == 42);
  CHECK(m.at("mf_models_loaded") == 3);
  CHECK(m.at("mf_cache_evictions_total") == 1000);
}

TEST_CASE("delta and cache summary") {
  const std::map<std::string, double> before = {
      {"mf_cache_hits_total", 10}, {"mf_cache_misses_total", 1}, {"mf_models_loaded", 5}};
  const std::map<std::string, double> after = {{"mf_cache_hits_total", 110},
                                               {"mf_cache_misses_total", 4},
                                               {"mf_model_loads_total{w=\"1\"}", 3},
                                               {"mf_cache_evictions_total", 2},
                                               {"mf_models_loaded", 7},
                                               {"mf_model_load_seconds_count", 3}};
  const auto d = metrics_delta(before, after);
  CHECK(d.at("mf_cache_hits_total") == 100);
  CHECK(d.count("mf_model_loads_total{w=\"1\"}") == 1);
  const auto c = summarize_cache(d);
  CHECK(c.hits == 100);
  CHECK(c.misses == 3);
  CHECK(c.loads == 3);  // not the _count of the histogram, not the models_loaded gauge
  CHECK(c.evictions == 2);
}

TEST_CASE("cache summary of a worker's page counts each load once") {
  // Every worker series whose name holds "load", "hit", "miss" or "evict": only the four
  // cache counters count (an earlier summary added inline loads, failures, skipped preloads
  // and the pending gauge to the loads).
  const std::map<std::string, double> delta = {
      {"modelfleet_worker_cache_hits_total{node=\"w1\"}", 90},
      {"modelfleet_worker_cache_misses_total{node=\"w1\"}", 10},
      {"modelfleet_worker_cache_loads_total{node=\"w1\"}", 12},
      {"modelfleet_worker_cache_inline_loads_total{node=\"w1\"}", 11},
      {"modelfleet_worker_cache_load_failures_total{node=\"w1\"}", 1},
      {"modelfleet_worker_preloads_skipped_total{node=\"w1\"}", 7},
      {"modelfleet_worker_cache_evictions_total{node=\"w1\"}", 9},
      {"modelfleet_worker_models_loaded{node=\"w1\"}", 3},
      {"modelfleet_worker_loads_pending{node=\"w1\"}", 2}};
  const auto c = summarize_cache(delta);
  CHECK(c.hits == 90);
  CHECK(c.misses == 10);
  CHECK(c.loads == 12);
  CHECK(c.evictions == 9);
}
