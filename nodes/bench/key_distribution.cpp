// key_distribution: zipf by inverse CDF (binary search over the precomputed CDF): exact for
// any s, O(log n) a draw, no rejection loop.
#include "nodes/bench/key_distribution.hpp"

#include <algorithm>
#include <cmath>

namespace mf::bench {

mf::expected<key_mix> parse_key_mix(std::string_view text) {
  if (text == "hot") return key_mix::hot;
  if (text == "uniform") return key_mix::uniform;
  if (text == "zipf") return key_mix::zipf;
  return mf::make_error(mf::errc::invalid_field,
                        "key mix must be hot, uniform or zipf, got '" + std::string(text) + "'");
}

std::string_view to_string(key_mix mix) noexcept {
  switch (mix) {
    case key_mix::hot:
      return "hot";
    case key_mix::uniform:
      return "uniform";
    case key_mix::zipf:
      return "zipf";
  }
  return "hot";
}

mf::expected<key_distribution> key_distribution::create(key_mix mix, std::size_t n, double s) {
  if (n == 0) return mf::make_error(mf::errc::invalid_field, "key count must be >= 1");
  if (n > 100'000'000) return mf::make_error(mf::errc::invalid_field, "key count must be <= 1e8");
  key_distribution d;
  d.mix_ = mix;
  d.n_ = mix == key_mix::hot ? 1 : n;
  if (mix == key_mix::zipf) {
    if (!(s > 0) || !std::isfinite(s)) {
      return mf::make_error(mf::errc::invalid_field, "zipf exponent must be > 0");
    }
    d.cdf_.resize(n);
    double total = 0;
    for (std::size_t i = 0; i < n; ++i) {
      total += std::pow(static_cast<double>(i + 1), -s);
      d.cdf_[i] = total;
    }
    for (double& c : d.cdf_) c /= total;
    d.cdf_.back() = 1.0;
  }
  return d;
}

std::size_t key_distribution::next(std::mt19937_64& rng) const {
  switch (mix_) {
    case key_mix::hot:
      return 0;
    case key_mix::uniform:
      return std::uniform_int_distribution<std::size_t>(0, n_ - 1)(rng);
    case key_mix::zipf: {
      const double u = std::uniform_real_distribution<double>(0.0, 1.0)(rng);
      auto it = std::lower_bound(cdf_.begin(), cdf_.end(), u);
      if (it == cdf_.end()) --it;
      return static_cast<std::size_t>(it - cdf_.begin());
    }
  }
  return 0;
}

double key_distribution::probability(std::size_t index) const noexcept {
  if (index >= n_) return 0;
  switch (mix_) {
    case key_mix::hot:
      return 1.0;
    case key_mix::uniform:
      return 1.0 / static_cast<double>(n_);
    case key_mix::zipf:
      return index == 0 ? cdf_[0] : cdf_[index] - cdf_[index - 1];
  }
  return 0;
}

}  // namespace mf::bench
