// Tests of the tenant mixes: hot, uniform and zipf draw with the promised frequencies.
#include "nodes/bench/key_distribution.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <vector>

using namespace mf::bench;

TEST_CASE("hot always picks key 0") {
  auto d = key_distribution::create(key_mix::hot, 100);
  REQUIRE(d);
  std::mt19937_64 rng(3);
  for (int i = 0; i < 1000; ++i) REQUIRE(d->next(rng) == 0);
  CHECK(d->size() == 1);
}

TEST_CASE("uniform spreads evenly over N keys") {
  auto d = key_distribution::create(key_mix::uniform, 10);
  REQUIRE(d);
  std::mt19937_64 rng(5);
  std::vector<int> counts(10, 0);
  const int draws = 200'000;
  for (int i = 0; i < draws; ++i) ++counts.at(d->next(rng));
  for (int c : counts) CHECK(std::abs(c - draws / 10) < draws / 10 * 0.05);
}

TEST_CASE("zipf frequencies follow rank^-s") {
  const double s = 1.1;
  const std::size_t n = 1000;
  auto d = key_distribution::create(key_mix::zipf, n, s);
  REQUIRE(d);
  double harmonic = 0;
  for (std::size_t k = 1; k <= n; ++k) harmonic += std::pow(static_cast<double>(k), -s);
  CHECK(d->probability(0) == doctest::Approx(1.0 / harmonic).epsilon(1e-9));
  CHECK(d->probability(0) / d->probability(1) == doctest::Approx(std::pow(2.0, s)));

  std::mt19937_64 rng(11);
  std::vector<int> counts(n, 0);
  const int draws = 500'000;
  for (int i = 0; i < draws; ++i) ++counts.at(d->next(rng));
  for (std::size_t k : {0u, 1u, 2u, 9u, 99u}) {
    const double expected = d->probability(k) * draws;
    CAPTURE(k);
    // Within 5 standard deviations of the binomial count.
    CHECK(std::abs(counts[k] - expected) < 5 * std::sqrt(expected));
  }
  int top_ten = 0;
  for (std::size_t k = 0; k < 10; ++k) top_ten += counts[k];
  double top_ten_p = 0;
  for (std::size_t k = 0; k < 10; ++k) top_ten_p += d->probability(k);
  CHECK(static_cast<double>(top_ten) / draws == doctest::Approx(top_ten_p).epsilon(0.02));
}

TEST_CASE("bad parameters are errors") {
  CHECK_FALSE(key_distribution::create(key_mix::uniform, 0));
  CHECK_FALSE(key_distribution::create(key_mix::zipf, 10, 0.0));
  CHECK_FALSE(key_distribution::create(key_mix::zipf, 10, -1.0));
  CHECK_FALSE(parse_key_mix("pareto"));
  CHECK(*parse_key_mix("zipf") == key_mix::zipf);
}
