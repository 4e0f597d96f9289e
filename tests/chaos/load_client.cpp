// load_client: open-loop pacing (request i is due at t0 + i/rate) over keep-alive clients.
#include "tests/chaos/load_client.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "tests/chaos/http.hpp"

namespace mf::chaos {

double now_ms() {
  static const auto base = std::chrono::steady_clock::now();
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - base).count();
}

steady_load::steady_load(load_options options) : options_(std::move(options)) {}

steady_load::~steady_load() {
  stop();
}

void steady_load::start() {
  t0_ = now_ms();
  for (int i = 0; i < options_.threads; ++i) threads_.emplace_back([this, i] { run(i); });
}

void steady_load::stop() {
  stop_ = true;
  for (auto& t : threads_) t.join();
  threads_.clear();
}

std::vector<outcome> steady_load::outcomes() const {
  std::lock_guard lock(mutex_);
  return outcomes_;
}

void steady_load::run(int) {
  http_client client;
  std::vector<outcome> mine;
  while (!stop_) {
    const std::size_t i = next_++;
    const double due = t0_ + 1000.0 * static_cast<double>(i) / options_.rate_per_s;
    // Pacing wait (this is the schedule of a load generator, not synchronisation).
    while (!stop_ && now_ms() < due)
      std::this_thread::sleep_for(std::chrono::microseconds(
          static_cast<long>(std::min(2000.0, (due - now_ms()) * 1000.0)) + 1));
    if (stop_) break;
    const load_request r = options_.make(i);
    outcome o;
    o.start_ms = now_ms();
    o.status = client.request(r.method, r.url, r.body, r.headers, options_.timeout).status;
    o.latency_ms = now_ms() - o.start_ms;
    mine.push_back(o);
    ++completed_;
  }
  std::lock_guard lock(mutex_);
  outcomes_.insert(outcomes_.end(), mine.begin(), mine.end());
}

nlohmann::json load_summary::to_json() const {
  nlohmann::json statuses = nlohmann::json::object();
  for (const auto& [s, n] : by_status) statuses[std::to_string(s)] = n;
  return {{"total", total},
          {"ok", ok},
          {"failed", failed},
          {"by_status", statuses},
          {"first_failure_ms", first_failure_ms},
          {"last_failure_end_ms", last_failure_end_ms},
          {"failure_window_ms", window_ms},
          {"p50_ms", p50_ms},
          {"p99_ms", p99_ms},
          {"max_ms", max_ms},
          {"achieved_rate_per_s", achieved_rate}};
}

load_summary summarize(const std::vector<outcome>& outcomes, double event_ms,
                       const std::function<bool(long)>& is_ok) {
  load_summary s;
  std::vector<double> lat;
  double first = 0, last = 0, begin = 1e300, end = 0;
  bool any = false;
  for (const auto& o : outcomes) {
    ++s.total;
    ++s.by_status[o.status];
    begin = std::min(begin, o.start_ms);
    end = std::max(end, o.start_ms + o.latency_ms);
    const bool ok = is_ok ? is_ok(o.status) : (o.status >= 200 && o.status < 300);
    if (ok) {
      ++s.ok;
      lat.push_back(o.latency_ms);
      continue;
    }
    ++s.failed;
    if (!any || o.start_ms < first) first = o.start_ms;
    last = std::max(last, o.start_ms + o.latency_ms);
    any = true;
  }
  if (any) {
    s.first_failure_ms = first - event_ms;
    s.last_failure_end_ms = last - event_ms;
    s.window_ms = last - first;
  }
  std::sort(lat.begin(), lat.end());
  auto pct = [&](double p) {
    if (lat.empty()) return 0.0;
    return lat[std::min(lat.size() - 1,
                        static_cast<std::size_t>(p * static_cast<double>(lat.size())))];
  };
  s.p50_ms = pct(0.50);
  s.p99_ms = pct(0.99);
  s.max_ms = lat.empty() ? 0 : lat.back();
  if (end > begin) s.achieved_rate = 1000.0 * static_cast<double>(s.total) / (end - begin);
  return s;
}

std::string write_figures(const std::string& name, const nlohmann::json& figures) {
  const auto dir = std::filesystem::path(MF_BINARY_DIR) / "chaos-results";
  std::filesystem::create_directories(dir);
  const auto path = dir / (name + ".json");
  std::ofstream(path) << figures.dump(2) << "\n";
  return path.string();
}

}  // namespace mf::chaos
