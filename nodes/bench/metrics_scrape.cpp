// metrics_scrape: one blocking GET per endpoint (libcurl easy); runs outside the load window.
#include "nodes/bench/metrics_scrape.hpp"

#include <curl/curl.h>

#include <cstdlib>
#include <memory>
#include <set>
#include <string>

namespace mf::bench {
namespace {

size_t append_body(char* data, size_t size, size_t n, void* user) {
  auto* body = static_cast<std::string*>(user);
  if (body->size() > (std::size_t{32} << 20)) return 0;  // a metrics page is never this big
  body->append(data, size * n);
  return size * n;
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

}  // namespace

std::map<std::string, double> parse_prometheus(std::string_view text) {
  std::map<std::string, double> out;
  while (!text.empty()) {
    const auto eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text = eol == std::string_view::npos ? std::string_view{} : text.substr(eol + 1);
    if (line.empty() || line.front() == '#') continue;
    // The series ends at the first space outside the label braces.
    std::size_t end = 0;
    bool in_labels = false;
    for (; end < line.size(); ++end) {
      if (line[end] == '{') in_labels = true;
      if (line[end] == '}') in_labels = false;
      if (line[end] == ' ' && !in_labels) break;
    }
    if (end == 0 || end >= line.size()) continue;
    const std::string value(line.substr(end + 1, line.find(' ', end + 1) - end - 1));
    char* parsed_end = nullptr;
    const double v = std::strtod(value.c_str(), &parsed_end);
    if (parsed_end == value.c_str()) continue;
    out[std::string(line.substr(0, end))] = v;
  }
  return out;
}

mf::expected<std::map<std::string, double>> scrape_metrics(const std::string& url,
                                                           std::chrono::milliseconds timeout) {
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> easy(curl_easy_init(), &curl_easy_cleanup);
  if (!easy) return mf::make_error(mf::errc::internal, "curl_easy_init failed");
  std::string body;
  curl_easy_setopt(easy.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(easy.get(), CURLOPT_WRITEFUNCTION, append_body);
  curl_easy_setopt(easy.get(), CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(easy.get(), CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
  curl_easy_setopt(easy.get(), CURLOPT_NOSIGNAL, 1L);
  const CURLcode code = curl_easy_perform(easy.get());
  if (code != CURLE_OK) {
    return mf::make_error(mf::errc::unavailable, url + ": " + curl_easy_strerror(code));
  }
  long status = 0;
  curl_easy_getinfo(easy.get(), CURLINFO_RESPONSE_CODE, &status);
  if (status != 200) {
    return mf::make_error(mf::errc::unavailable, url + ": HTTP " + std::to_string(status));
  }
  return parse_prometheus(body);
}

std::map<std::string, double> metrics_delta(const std::map<std::string, double>& before,
                                            const std::map<std::string, double>& after) {
  std::map<std::string, double> out;
  for (const auto& [series, value] : after) {
    const auto it = before.find(series);
    const double d = value - (it == before.end() ? 0.0 : it->second);
    if (d != 0) out[series] = d;
  }
  return out;
}

cache_counts summarize_cache(const std::map<std::string, double>& delta) {
  std::set<std::string_view> names;
  for (const auto& [series, d] : delta)
    names.insert(std::string_view(series).substr(0, series.find('{')));
  cache_counts c;
  for (const auto& [series, d] : delta) {
    const std::string_view name = std::string_view(series).substr(0, series.find('{'));
    if (!ends_with(name, "_total")) continue;  // counters only: not gauges, not histograms
    const std::string_view stem = name.substr(0, name.size() - 6);
    const auto cut = stem.rfind('_');
    if (cut == std::string_view::npos) continue;
    const std::string_view kind = stem.substr(cut + 1);
    // A breakdown (cache_inline_loads_total beside cache_loads_total) is already in its
    // parent's count.
    if (const auto up = stem.rfind('_', cut - 1);
        up != std::string_view::npos &&
        names.count(std::string(stem.substr(0, up + 1)) + std::string(kind) + "_total"))
      continue;
    if (kind == "hits") {
      c.hits += d;
    } else if (kind == "misses") {
      c.misses += d;
    } else if (kind == "loads") {
      c.loads += d;
    } else if (kind == "evictions") {
      c.evictions += d;
    }
  }
  return c;
}

}  // namespace mf::bench
