// model: the trained-model value types of mf::ml (dataset, params, metrics, prediction) and the
// immutable `model` interface. A model is immutable after training/loading: predict() is const and
// safe to call concurrently from many threads without a lock.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/expected.hpp"

namespace mf::ml {

// Dense, row-major training data: rows() * n_features doubles, one label per row (or none, kmeans).
struct dataset {
  std::size_t n_features = 0;
  std::vector<double> features;  // n_rows * n_features
  std::vector<double> labels;    // empty for kmeans
  std::size_t rows() const { return n_features == 0 ? 0 : features.size() / n_features; }
};

// Numeric hyper-parameters by name; every algorithm documents its names and defaults (docs/ml.md).
using params = std::map<std::string, double>;

struct train_options {
  double validation_split = 0.2;              // fraction of rows held out for metrics, in [0, 0.9]
  std::uint64_t seed = 42;                    // same seed + same data -> same split and same model
  std::function<void(double)> on_progress;    // 0..1, called from the training thread; may be empty
  const std::atomic<bool>* cancel = nullptr;  // checked between iterations -> errc::cancelled
};

struct metrics {
  std::map<std::string, double>
      values;           // accuracy, precision, recall, f1, auc, rmse, mae, r2, inertia
  std::string primary;  // the one that decides `if_better` and `auto`
};

struct prediction {
  std::vector<double> values;         // per row: original class label, number, or cluster id
  std::vector<double> probabilities;  // empty, or n_rows * n_prob_columns
  std::size_t n_prob_columns =
      0;  // 1 for binary (P(positive = larger label)), n_classes for multiclass
};

// Everything the artifact envelope carries besides the payload (see ml/artifact.hpp).
struct model_meta {
  std::string algorithm;
  std::size_t n_features = 0;
  std::vector<double> classes;  // classifiers: original labels, ascending; class index = position
  std::vector<double> scale_mean;  // empty, or n_features: x' = (x - mean) * inv_std
  std::vector<double> scale_inv_std;
  metrics validation;
  std::int64_t created_unix_ms = 0;
};

class model_access;  // ml-internal: sets metrics after validation, writes payloads

class model {
 public:
  virtual ~model();
  model(const model&) = delete;
  model& operator=(const model&) = delete;

  std::string_view algorithm() const { return meta_.algorithm; }
  std::size_t n_features() const { return meta_.n_features; }
  const metrics& validation_metrics() const { return meta_.validation; }
  const model_meta& meta() const { return meta_; }
  // Honest estimate of the heap footprint (object + owned vectors + metadata), for cache budgets.
  std::size_t memory_bytes() const;
  std::size_t n_prob_columns() const { return prob_columns(); }

  // rows: n_rows * n_features finite doubles. Wrong sizes or non-finite values -> invalid_input.
  // `out` is cleared first (its capacity reused) and filled with one value per row.
  mf::expected<void> predict(std::span<const double> rows, std::size_t n_rows,
                             prediction& out) const;

 protected:
  explicit model(model_meta meta);

  // One scaled row -> class index (classifiers) or value. Fills prob_columns() probabilities when
  // non-zero. `scratch` holds scratch_size() doubles owned by the calling thread.
  virtual double predict_row(const double* x, double* probs, double* scratch) const = 0;
  // Binary classifiers: a score increasing with P(class 1), for the AUC. kmeans: the squared
  // distance to the nearest center, for the inertia. NaN otherwise.
  virtual double row_score(const double* x, double* scratch) const;
  virtual std::size_t prob_columns() const { return 0; }
  virtual std::size_t scratch_size() const { return 0; }
  virtual std::size_t payload_memory_bytes() const = 0;
  // Serializes the algorithm's parameters (dlib serialization primitives) into `out`.
  virtual void write_payload(std::string& out) const = 0;

 private:
  friend class model_access;
  model_meta meta_;
};

struct trained_model {
  std::shared_ptr<const mf::ml::model> model;
  mf::ml::metrics metrics;
  std::vector<std::pair<std::string, mf::ml::metrics>> candidates;  // auto: every candidate tried
};

}  // namespace mf::ml
