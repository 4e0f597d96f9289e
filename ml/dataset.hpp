// dataset: parses training data from JSON ({"features":[[..]],"labels":[..]}) or CSV (header row).
// Stateless functions, thread-safe. Errors name the row and column at fault.
#pragma once

#include <cstddef>
#include <string_view>

#include "common/expected.hpp"
#include "ml/model.hpp"

namespace mf::ml {

inline constexpr std::size_t max_dataset_features = 100000;  // columns per row

// "labels" may be absent (kmeans). Every value must be a finite number; rows equally long.
mf::expected<dataset> parse_json_dataset(std::string_view json);
// First line is the header. label_column names the label column (empty: no labels); every other
// column is a feature. Fields may be double-quoted ("" escapes a quote); CRLF is accepted.
mf::expected<dataset> parse_csv_dataset(std::string_view csv, std::string_view label_column);

}  // namespace mf::ml
