// latency_histogram: log-linear histogram of durations in nanoseconds (HdrHistogram-style:
// 128 linear sub-buckets per power of two, so any quantile is within 0.4 % of the true value
// from 1 µs to 68 s). Not thread-safe: one per thread, merged at the end.
#pragma once

#include <cstdint>
#include <vector>

namespace mf::bench {

class latency_histogram {
 public:
  // Values above this are clamped to it (and still counted); max() stays exact.
  static constexpr std::uint64_t max_trackable_ns = (std::uint64_t{1} << 36) - 1;  // ~68.7 s

  latency_histogram();

  void record(std::uint64_t ns) noexcept;
  void merge(const latency_histogram& other) noexcept;
  void reset() noexcept;

  std::uint64_t count() const noexcept { return count_; }
  std::uint64_t min() const noexcept { return count_ == 0 ? 0 : min_; }
  std::uint64_t max() const noexcept { return max_; }
  double mean() const noexcept;
  // The value at quantile q in [0, 1] (0.99 = p99): the midpoint of the bucket holding the
  // ceil(q * count)-th smallest value, clamped to [min, max]. 0 when empty.
  std::uint64_t quantile(double q) const noexcept;
  // How many values fell in bucket `index` (0 .. bucket_count()-1).
  std::uint64_t count_in(std::size_t index) const noexcept { return buckets_[index]; }

  // Bucket layout, exposed for tests.
  static std::size_t bucket_of(std::uint64_t ns) noexcept;
  static std::uint64_t bucket_low(std::size_t index) noexcept;
  static std::uint64_t bucket_width(std::size_t index) noexcept;
  static std::size_t bucket_count() noexcept;

 private:
  std::vector<std::uint64_t> buckets_;
  std::uint64_t count_ = 0;
  std::uint64_t min_ = 0;
  std::uint64_t max_ = 0;
  long double sum_ = 0;
};

}  // namespace mf::bench
