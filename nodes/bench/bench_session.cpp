// bench_session: a metrics endpoint that cannot be read is reported (metrics_errors), not fatal:
// the load numbers are still worth having.
#include "nodes/bench/bench_session.hpp"

#include <ctime>

#include "nodes/bench/load_driver.hpp"
#include "nodes/bench/metrics_scrape.hpp"
#include "nodes/bench/report.hpp"

namespace mf::bench {
namespace {

std::string utc_now() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace

mf::expected<nlohmann::json> run_bench(const bench_options& options) {
  const auto scrape_timeout = std::chrono::milliseconds(5000);
  std::map<std::string, std::map<std::string, double>> before;
  nlohmann::json metrics_errors = nlohmann::json::object();
  for (const auto& url : options.metrics_urls) {
    auto m = scrape_metrics(url, scrape_timeout);
    if (m) {
      before[url] = std::move(*m);
    } else {
      metrics_errors[url] = m.error().message;
    }
  }
  const std::string started_at = utc_now();
  auto result = run_load(options);
  if (!result) return std::move(result).error();

  scraped_deltas deltas;
  for (const auto& [url, old] : before) {
    auto m = scrape_metrics(url, scrape_timeout);
    if (!m) {
      metrics_errors[url] = m.error().message;
      continue;
    }
    deltas[url] = metrics_delta(old, *m);
  }
  try {
    nlohmann::json report = make_report(options, *result, deltas, started_at);
    if (!metrics_errors.empty()) report["metrics_errors"] = metrics_errors;
    return report;
  } catch (const std::exception& e) {
    return mf::make_error(mf::errc::internal, std::string("report: ") + e.what());
  }
}

}  // namespace mf::bench
