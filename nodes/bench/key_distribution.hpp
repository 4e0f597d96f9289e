// key_distribution: which tenant a request goes to — one hot tenant, uniform over N, or
// zipf(s) over N (rank 1 most popular). Immutable after create(); next() is const, so threads
// may share one distribution, each with its own random engine.
#pragma once

#include <cstddef>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "common/expected.hpp"

namespace mf::bench {

enum class key_mix { hot, uniform, zipf };

mf::expected<key_mix> parse_key_mix(std::string_view text);
std::string_view to_string(key_mix mix) noexcept;

class key_distribution {
 public:
  // n >= 1 keys (hot uses key 0 only); zipf needs s > 0. Zipf precomputes the CDF (8 bytes a
  // key), so n is capped at 100 million.
  static mf::expected<key_distribution> create(key_mix mix, std::size_t n, double s = 1.0);

  // A key index in [0, n).
  std::size_t next(std::mt19937_64& rng) const;

  key_mix mix() const noexcept { return mix_; }
  std::size_t size() const noexcept { return n_; }
  // Probability of key `index` under this distribution (for tests and reports).
  double probability(std::size_t index) const noexcept;

 private:
  key_mix mix_ = key_mix::hot;
  std::size_t n_ = 1;
  std::vector<double> cdf_;  // zipf only
};

}  // namespace mf::bench
