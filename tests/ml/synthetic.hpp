// synthetic: seeded toy datasets every ml test can learn (circle, blobs, linear/nonlinear targets).
// Pure functions; thread-safe.
#pragma once

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "ml/model.hpp"

namespace mf::ml::test {

// Two classes: inside (label 1) or outside (0) the circle of radius sqrt(0.5) in [-1,1]².
inline dataset circle(std::size_t n, std::uint64_t seed = 1) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(-1, 1);
  dataset d;
  d.n_features = 2;
  for (std::size_t i = 0; i < n; ++i) {
    const double x = u(rng), y = u(rng);
    d.features.insert(d.features.end(), {x, y});
    d.labels.push_back(x * x + y * y < 0.5 ? 1 : 0);
  }
  return d;
}

// Linearly separable: label = labels[1] when w·x > 0 (with a margin), in `dims` dimensions.
inline dataset separable(std::size_t n, std::size_t dims, double neg = 0, double pos = 1,
                         std::uint64_t seed = 2) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> g(0, 1);
  dataset d;
  d.n_features = dims;
  while (d.rows() < n) {
    std::vector<double> x(dims);
    double s = 0;
    for (std::size_t j = 0; j < dims; ++j) {
      x[j] = g(rng) * (1.0 + static_cast<double>(j));
      s += x[j] * (j % 2 ? -1.0 : 1.0) / (1.0 + static_cast<double>(j));
    }
    if (std::abs(s) < 0.2) continue;  // keep a margin
    d.features.insert(d.features.end(), x.begin(), x.end());
    d.labels.push_back(s > 0 ? pos : neg);
  }
  return d;
}

// Gaussian blobs around well separated centers; label = the blob's entry in `labels`.
inline dataset blobs(std::size_t per_blob, const std::vector<double>& labels, std::size_t dims = 2,
                     std::uint64_t seed = 3) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> g(0, 0.5);
  dataset d;
  d.n_features = dims;
  for (std::size_t i = 0; i < per_blob; ++i) {
    for (std::size_t b = 0; b < labels.size(); ++b) {
      for (std::size_t j = 0; j < dims; ++j)
        d.features.push_back(g(rng) + (j == b % dims ? 5.0 * (1 + b / dims) : 0.0));
      d.labels.push_back(labels[b]);
    }
  }
  return d;
}

// y = 3 x0 - 2 x1 + 0.5 x2 + 1 + small noise.
inline dataset linear_target(std::size_t n, std::uint64_t seed = 4) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(-2, 2);
  std::normal_distribution<double> noise(0, 0.1);
  dataset d;
  d.n_features = 3;
  for (std::size_t i = 0; i < n; ++i) {
    const double a = u(rng), b = u(rng), c = u(rng);
    d.features.insert(d.features.end(), {a, b, c});
    d.labels.push_back(3 * a - 2 * b + 0.5 * c + 1 + noise(rng));
  }
  return d;
}

// y = sin(2 x0) + x1², not linear in the features.
inline dataset nonlinear_target(std::size_t n, std::uint64_t seed = 5) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(-2, 2);
  dataset d;
  d.n_features = 2;
  for (std::size_t i = 0; i < n; ++i) {
    const double a = u(rng), b = u(rng);
    d.features.insert(d.features.end(), {a, b});
    d.labels.push_back(std::sin(2 * a) + b * b);
  }
  return d;
}

// Random rows of `dims` features, for predict-only uses (benchmarks, round trips).
inline std::vector<double> random_rows(std::size_t n, std::size_t dims, std::uint64_t seed = 6) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(-2, 2);
  std::vector<double> out(n * dims);
  for (auto& v : out) v = u(rng);
  return out;
}

}  // namespace mf::ml::test
