// Tests of latency_histogram: bucket layout and quantile error <= 1 % over 1 us .. 60 s.
#include "nodes/bench/histogram.hpp"
#include "nodes/bench/report.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

using mf::bench::latency_histogram;

namespace {
double relative_error(double got, double want) {
  return std::abs(got - want) / want;
}
}  // namespace

TEST_CASE("every value falls in a bucket no wider than 1/128 of its low edge") {
  std::mt19937_64 rng(1);
  std::uniform_real_distribution<double> exponent(0.0, 36.0);
  for (int i = 0; i < 100'000; ++i) {
    const auto v = static_cast<std::uint64_t>(std::pow(2.0, exponent(rng)));
    const auto b = latency_histogram::bucket_of(v);
    REQUIRE(b < latency_histogram::bucket_count());
    const auto low = latency_histogram::bucket_low(b);
    const auto width = latency_histogram::bucket_width(b);
    REQUIRE(low <= v);
    REQUIRE(v < low + width);
    if (v >= 256) REQUIRE(static_cast<double>(width) / static_cast<double>(low) <= 1.0 / 128);
  }
  CHECK(latency_histogram::bucket_of(latency_histogram::max_trackable_ns) ==
        latency_histogram::bucket_count() - 1);
}

TEST_CASE("quantiles are within 1 % of the exact ones from 1 us to 60 s") {
  std::mt19937_64 rng(7);
  // Log-uniform over [1 us, 60 s]: every decade of the range gets values.
  std::uniform_real_distribution<double> log_value(std::log(1e3), std::log(60e9));
  std::vector<std::uint64_t> values;
  latency_histogram h;
  for (int i = 0; i < 200'000; ++i) {
    const auto v = static_cast<std::uint64_t>(std::exp(log_value(rng)));
    values.push_back(v);
    h.record(v);
  }
  std::sort(values.begin(), values.end());
  CHECK(h.count() == values.size());
  CHECK(h.min() == values.front());
  CHECK(h.max() == values.back());
  for (double q : {0.001, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 0.999, 0.9999, 1.0}) {
    const auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(values.size())));
    const double exact = static_cast<double>(values[std::max<std::size_t>(rank, 1) - 1]);
    CAPTURE(q);
    CHECK(relative_error(static_cast<double>(h.quantile(q)), exact) <= 0.01);
  }
}

TEST_CASE("a single repeated value is reported within 1 % at every decade") {
  for (std::uint64_t v = 1'000; v <= 60'000'000'000ULL; v = v * 10 + 7) {
    latency_histogram h;
    for (int i = 0; i < 1000; ++i) h.record(v);
    CAPTURE(v);
    CHECK(relative_error(static_cast<double>(h.quantile(0.5)), static_cast<double>(v)) <= 0.01);
    CHECK(relative_error(static_cast<double>(h.quantile(0.999)), static_cast<double>(v)) <= 0.01);
    CHECK(h.mean() == doctest::Approx(static_cast<double>(v)));
  }
}

TEST_CASE("merge equals recording everything in one histogram; reset empties") {
  latency_histogram a, b, all;
  for (std::uint64_t i = 1; i <= 5000; ++i) {
    (i % 3 ? a : b).record(i * 977);
    all.record(i * 977);
  }
  a.merge(b);
  CHECK(a.count() == all.count());
  CHECK(a.min() == all.min());
  CHECK(a.max() == all.max());
  for (double q : {0.1, 0.5, 0.99}) CHECK(a.quantile(q) == all.quantile(q));
  a.reset();
  CHECK(a.count() == 0);
  CHECK(a.quantile(0.5) == 0);
}

TEST_CASE("values beyond the range are clamped but counted, max stays exact") {
  latency_histogram h;
  h.record(100'000'000'000ULL);  // 100 s
  h.record(0);
  CHECK(h.count() == 2);
  CHECK(h.max() == 100'000'000'000ULL);
  CHECK(h.quantile(1.0) <= h.max());
  CHECK(h.quantile(0.5) == 0);
}

TEST_CASE("histogram_json lists exactly the non-empty buckets: re-recording them reproduces it") {
  latency_histogram h;
  for (std::uint64_t i = 1; i <= 3000; ++i) h.record(i * i * 131);
  const auto j = mf::bench::histogram_json(h);
  const auto& low = j.at("low_ns");
  const auto& count = j.at("count");
  REQUIRE(low.size() == count.size());
  REQUIRE(j.at("width_ns").size() == low.size());
  CHECK(j.at("min_ns") == h.min());
  CHECK(j.at("max_ns") == h.max());
  latency_histogram again;
  std::uint64_t total = 0;
  for (std::size_t i = 0; i < low.size(); ++i) {
    const auto n = count[i].get<std::uint64_t>();
    CHECK(n > 0);
    total += n;
    const auto at = low[i].get<std::uint64_t>();
    CHECK(latency_histogram::bucket_width(latency_histogram::bucket_of(at)) ==
          j.at("width_ns")[i].get<std::uint64_t>());
    for (std::uint64_t k = 0; k < n; ++k) again.record(at);
  }
  CHECK(total == h.count());
  for (double q : {0.01, 0.5, 0.9, 0.99, 0.999}) {
    // Same bucket, so the same midpoint unless clamped to min/max, which differ here.
    const auto b = latency_histogram::bucket_of(h.quantile(q));
    CHECK(latency_histogram::bucket_of(again.quantile(q)) == b);
  }
}
