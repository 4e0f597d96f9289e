// predict_json: parses a REST predict body {"instances":[[...]],"version":N} with simdjson
// into one flat row-major feature buffer. Thread-safe (one simdjson parser per thread).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "common/expected.hpp"

namespace mf::router {

struct predict_limits {
  std::size_t max_instances = 10'000;  // API.md: up to 10,000 instances a request
  std::size_t max_features = 100'000;  // per instance; mirrors protocol::max_features
};

struct predict_body {
  std::uint32_t n_features = 0;
  std::vector<double> features;  // rows() * n_features doubles, row-major
  std::optional<std::int64_t> version;

  std::size_t rows() const { return n_features == 0 ? 0 : features.size() / n_features; }
};

// Errors: malformed JSON -> malformed_json (400); missing/wrong-typed fields -> invalid_field
// (400); empty instances, ragged rows, non-numbers, NaN/Inf, too many instances ->
// invalid_input (422) with a message naming the instance and feature index.
mf::expected<predict_body> parse_predict_body(std::string_view body,
                                              const predict_limits& limits = {});

}  // namespace mf::router
