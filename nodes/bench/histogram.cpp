// latency_histogram: values below 256 ns get one bucket each; above, the power of two holding
// the value is split into 128 equal buckets (width / low <= 1/128).
#include "nodes/bench/histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace mf::bench {
namespace {
constexpr unsigned sub_bits = 7;
constexpr std::uint64_t sub_count = std::uint64_t{1} << sub_bits;  // 128
constexpr std::uint64_t linear_limit = sub_count * 2;              // 256: exact below
constexpr unsigned top_exponent = 35;  // 2^35..2^36-1 is the last octave
}  // namespace

std::size_t latency_histogram::bucket_count() noexcept {
  return linear_limit + (top_exponent - sub_bits) * sub_count;
}

std::size_t latency_histogram::bucket_of(std::uint64_t ns) noexcept {
  ns = std::min(ns, max_trackable_ns);
  if (ns < linear_limit) return static_cast<std::size_t>(ns);
  const unsigned exponent = static_cast<unsigned>(std::bit_width(ns)) - 1;  // >= 8
  const unsigned shift = exponent - sub_bits;
  const std::uint64_t sub = (ns >> shift) - sub_count;
  return static_cast<std::size_t>(linear_limit + (exponent - sub_bits - 1) * sub_count + sub);
}

std::uint64_t latency_histogram::bucket_low(std::size_t index) noexcept {
  if (index < linear_limit) return index;
  const std::size_t octave = (index - linear_limit) / sub_count;  // 0 = exponent 8
  const std::uint64_t sub = (index - linear_limit) % sub_count;
  const unsigned shift = static_cast<unsigned>(octave) + 1;
  return (sub_count + sub) << shift;
}

std::uint64_t latency_histogram::bucket_width(std::size_t index) noexcept {
  if (index < linear_limit) return 1;
  return std::uint64_t{1} << ((index - linear_limit) / sub_count + 1);
}

latency_histogram::latency_histogram() : buckets_(bucket_count(), 0) {}

void latency_histogram::record(std::uint64_t ns) noexcept {
  ++buckets_[bucket_of(ns)];
  if (count_ == 0 || ns < min_) min_ = ns;
  if (ns > max_) max_ = ns;
  ++count_;
  sum_ += static_cast<long double>(ns);
}

void latency_histogram::merge(const latency_histogram& other) noexcept {
  if (other.count_ == 0) return;
  for (std::size_t i = 0; i < buckets_.size(); ++i) buckets_[i] += other.buckets_[i];
  if (count_ == 0 || other.min_ < min_) min_ = other.min_;
  max_ = std::max(max_, other.max_);
  count_ += other.count_;
  sum_ += other.sum_;
}

void latency_histogram::reset() noexcept {
  std::fill(buckets_.begin(), buckets_.end(), 0);
  count_ = min_ = max_ = 0;
  sum_ = 0;
}

double latency_histogram::mean() const noexcept {
  return count_ == 0 ? 0.0 : static_cast<double>(sum_ / static_cast<long double>(count_));
}

std::uint64_t latency_histogram::quantile(double q) const noexcept {
  if (count_ == 0) return 0;
  q = std::clamp(q, 0.0, 1.0);
  auto rank = static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(count_)));
  rank = std::clamp<std::uint64_t>(rank, 1, count_);
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < buckets_.size(); ++i) {
    seen += buckets_[i];
    if (seen >= rank) {
      const std::uint64_t mid = bucket_low(i) + bucket_width(i) / 2;
      return std::clamp(mid, min_, max_);
    }
  }
  return max_;
}

}  // namespace mf::bench
