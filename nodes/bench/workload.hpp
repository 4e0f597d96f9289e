// workload: turns bench_options into concrete requests (which call, which tenant, which
// body). Bodies are generated once up front so the load loop only picks among them. Immutable
// after create(); threads share one workload, each drawing with its own random engine.
#pragma once

#include <cstddef>
#include <random>
#include <string>
#include <vector>

#include "common/expected.hpp"
#include "nodes/bench/bench_options.hpp"
#include "nodes/bench/key_distribution.hpp"

namespace mf::bench {

enum class op_kind { predict = 0, train = 1, activate = 2 };
inline constexpr std::size_t op_kind_count = 3;
std::string_view to_string(op_kind op) noexcept;

struct planned_request {
  op_kind op = op_kind::predict;
  std::size_t tenant = 0;  // key index
  std::size_t body = 0;    // index into the op's body pool
};

class workload {
 public:
  static constexpr std::size_t body_pool_size = 32;

  static mf::expected<workload> create(const bench_options& options);

  planned_request next(std::mt19937_64& rng) const;

  std::string tenant_name(std::size_t index) const;
  // Path (no scheme/host) of the call for this tenant, templates expanded.
  std::string path(op_kind op, std::size_t tenant) const;
  // JSON body of the call (empty for activate).
  const std::string& http_body(const planned_request& r) const;
  // Row-major features of a predict pool entry (for the ZeroMQ front door).
  const std::vector<double>& features(std::size_t body) const { return feature_pool_[body]; }
  std::size_t rows() const noexcept { return rows_; }
  std::size_t n_features() const noexcept { return n_features_; }
  const std::string& model() const noexcept { return model_; }

 private:
  key_distribution keys_;
  double cumulative_[op_kind_count] = {1, 1, 1};
  std::string prefix_, model_, predict_path_, train_path_, activate_path_;
  std::int64_t activate_version_ = 1;
  std::size_t rows_ = 1, n_features_ = 1;
  std::vector<std::vector<double>> feature_pool_;
  std::vector<std::string> predict_bodies_;
  std::string train_body_;
  std::string empty_;
};

}  // namespace mf::bench
