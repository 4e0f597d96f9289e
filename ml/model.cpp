// model: input validation, feature scaling and label mapping shared by every algorithm.
#include "ml/model.hpp"

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "ml/internal.hpp"

namespace mf::ml {

model::model(model_meta meta) : meta_(std::move(meta)) {}
model::~model() = default;

double model::row_score(const double*, double*) const {
  return std::numeric_limits<double>::quiet_NaN();
}

std::size_t model::memory_bytes() const {
  using detail::heap_bytes;
  std::size_t bytes = payload_memory_bytes() + meta_.algorithm.capacity();
  bytes +=
      heap_bytes(meta_.classes) + heap_bytes(meta_.scale_mean) + heap_bytes(meta_.scale_inv_std);
  // A std::map node is ~48 bytes of bookkeeping plus the key string's heap (if not SSO) and value.
  for (const auto& [name, value] : meta_.validation.values) {
    (void)value;
    bytes += 48 + sizeof(std::string) + sizeof(double) + (name.size() > 15 ? name.capacity() : 0);
  }
  return bytes;
}

mf::expected<void> model::predict(std::span<const double> rows, std::size_t n_rows,
                                  prediction& out) const {
  out.values.clear();
  out.probabilities.clear();
  out.n_prob_columns = prob_columns();
  const std::size_t d = meta_.n_features;
  if (n_rows == 0 || rows.size() / d != n_rows || rows.size() % d != 0) {
    return mf::make_error(errc::invalid_input, "expected " + std::to_string(n_rows) + " rows of " +
                                                   std::to_string(d) + " features (" +
                                                   std::to_string(n_rows * d) + " values), got " +
                                                   std::to_string(rows.size()) + " values");
  }
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (!std::isfinite(rows[i])) {
      return mf::make_error(errc::invalid_input, "row " + std::to_string(i / d) + ", feature " +
                                                     std::to_string(i % d) +
                                                     ": not a finite number");
    }
  }
  const bool scaled = !meta_.scale_mean.empty();
  const bool classifier = !meta_.classes.empty();
  const std::size_t n_prob = prob_columns();
  // One buffer per call: the scaled row followed by the algorithm's scratch space.
  std::vector<double> buffer((scaled ? d : 0) + scratch_size());
  double* scaled_row = buffer.data();
  double* scratch = buffer.data() + (scaled ? d : 0);
  out.values.resize(n_rows);
  out.probabilities.resize(n_rows * n_prob);
  for (std::size_t r = 0; r < n_rows; ++r) {
    const double* x = rows.data() + r * d;
    if (scaled) {
      for (std::size_t j = 0; j < d; ++j)
        scaled_row[j] = (x[j] - meta_.scale_mean[j]) * meta_.scale_inv_std[j];
      x = scaled_row;
    }
    const double v =
        predict_row(x, n_prob ? out.probabilities.data() + r * n_prob : nullptr, scratch);
    if (classifier) {
      // Algorithms return a class index; anything out of range is a bug, not user input.
      const bool ok = v >= 0 && v < static_cast<double>(meta_.classes.size());
      out.values[r] = meta_.classes[ok ? static_cast<std::size_t>(v) : 0];
    } else {
      out.values[r] = v;
    }
  }
  return {};
}

}  // namespace mf::ml
