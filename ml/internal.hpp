// internal: what the algorithm files share with train/artifact code (registry, training context,
// payload reader/writer). Not part of the public API. Stateless declarations; thread-safe.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "common/expected.hpp"
#include "ml/model.hpp"

namespace mf::ml {

// The friend through which ml/ code reaches model internals.
class model_access {
 public:
  static void set_metrics(model& m, metrics v) { m.meta_.validation = std::move(v); }
  static void set_created(model& m, std::int64_t ms) { m.meta_.created_unix_ms = ms; }
  static void write_payload(const model& m, std::string& out) { m.write_payload(out); }
  static double row_score(const model& m, const double* x, double* scratch) {
    return m.row_score(x, scratch);
  }
  static std::size_t scratch_size(const model& m) { return m.scratch_size(); }
};

namespace detail {

enum class task { regression, classification, clustering };

// Thrown inside training code when the cancel flag is seen; turned into errc::cancelled by train().
struct cancelled_error {};
// Thrown for a bad training set (e.g. one class only); turned into errc::invalid_input by train().
struct train_input_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};
// Thrown by payload_reader on anything malformed; turned into errc::invalid_input by load_artifact.
struct payload_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Training rows after scaling: row-major x, y = class index (classifiers) or target value.
struct train_set {
  std::size_t n_features = 0;
  std::size_t n_rows = 0;
  std::size_t n_classes = 0;  // classifiers only
  std::vector<double> x;
  std::vector<double> y;
  const double* row(std::size_t i) const { return x.data() + i * n_features; }
};

// Progress in [from, to] of the overall 0..1 range, and the cancel flag.
class train_context {
 public:
  train_context(const train_options& o, double from, double to, std::uint64_t seed)
      : options_(o), from_(from), to_(to), seed_(seed) {}
  bool cancelled() const {
    return options_.cancel && options_.cancel->load(std::memory_order_relaxed);
  }
  void check_cancel() const {
    if (cancelled()) throw cancelled_error{};
  }
  void report(double fraction) const {
    if (options_.on_progress)
      options_.on_progress(from_ + (to_ - from_) * std::clamp(fraction, 0.0, 1.0));
  }
  std::uint64_t seed() const { return seed_; }

 private:
  const train_options& options_;
  double from_, to_;
  std::uint64_t seed_;
};

using train_fn = std::unique_ptr<model> (*)(model_meta, const train_set&, const params&,
                                            const train_context&);
class payload_reader;
using load_fn = std::unique_ptr<model> (*)(model_meta, payload_reader&);

struct algorithm_info {
  std::string_view name;
  task kind;
  bool scaled;              // standardize features (scaler saved in the model)
  std::size_t max_classes;  // classifiers: 2 for binary-only algorithms
  train_fn train;
  load_fn load;
};
const algorithm_info* find_algorithm(std::string_view name);  // nullptr for unknown and "auto"

// Writes dlib serialization primitives; doubles travel as their exact 64-bit patterns.
class payload_writer {
 public:
  explicit payload_writer(std::string& out);
  ~payload_writer();
  payload_writer(const payload_writer&) = delete;
  payload_writer& operator=(const payload_writer&) = delete;
  void tag(std::string_view t);
  void u64(std::uint64_t v);
  void f64(double v);
  void f64s(const std::vector<double>& v);
  void u32s(const std::vector<std::uint32_t>& v);
  void f32s(const std::vector<float>& v);

 private:
  struct stream;  // one ostream appending to the string, built once
  std::unique_ptr<stream> out_;
};

// Reads what payload_writer wrote, from memory. Every count is capped by the bytes left, so a
// hostile payload cannot make it allocate more than the payload's own size; throws payload_error.
class payload_reader {
 public:
  explicit payload_reader(std::string_view bytes);
  ~payload_reader();
  payload_reader(const payload_reader&) = delete;
  payload_reader& operator=(const payload_reader&) = delete;
  void expect_tag(std::string_view t);
  std::uint64_t u64(std::uint64_t max);
  double f64();
  double finite_f64();
  std::vector<double> f64s(std::size_t expected_count);  // exact count required
  std::vector<double> f64s_upto(std::size_t max_count);
  std::vector<std::uint32_t> u32s_upto(std::size_t max_count);
  std::vector<float> f32s_upto(std::size_t max_count);
  bool at_end() const { return remaining() == 0; }
  std::size_t remaining() const;

 private:
  std::uint64_t read_u64();
  struct stream;  // one istream over the bytes, built once (dlib reads through it)
  std::unique_ptr<stream> in_;
};

// Algorithm entry points (one .cpp per family keeps dlib's compile cost where it belongs).
std::unique_ptr<model> train_linear_regression(model_meta, const train_set&, const params&,
                                               const train_context&);
std::unique_ptr<model> train_logistic_regression(model_meta, const train_set&, const params&,
                                                 const train_context&);
std::unique_ptr<model> train_linear_svm(model_meta, const train_set&, const params&,
                                        const train_context&);
std::unique_ptr<model> train_multiclass_linear(model_meta, const train_set&, const params&,
                                               const train_context&);
std::unique_ptr<model> load_linear(model_meta, payload_reader&);
std::unique_ptr<model> train_svm_rbf(model_meta, const train_set&, const params&,
                                     const train_context&);
std::unique_ptr<model> load_svm_rbf(model_meta, payload_reader&);
std::unique_ptr<model> train_krr_rbf(model_meta, const train_set&, const params&,
                                     const train_context&);
std::unique_ptr<model> load_krr_rbf(model_meta, payload_reader&);
std::unique_ptr<model> train_random_forest(model_meta, const train_set&, const params&,
                                           const train_context&);
std::unique_ptr<model> load_random_forest(model_meta, payload_reader&);
std::unique_ptr<model> train_kmeans(model_meta, const train_set&, const params&,
                                    const train_context&);
std::unique_ptr<model> load_kmeans(model_meta, payload_reader&);
std::unique_ptr<model> train_mlp(model_meta, const train_set&, const params&, const train_context&);
std::unique_ptr<model> load_mlp(model_meta, payload_reader&);

// The artifact envelope around a payload (artifact.cpp); exposed for the fuzz targets, which
// wrap arbitrary payloads in valid envelopes to reach the payload parsers.
std::string encode_artifact(const model_meta& meta, std::string_view payload);

// Validation metrics (metrics.cpp). Classes are indices 0..n_classes-1; class 1 is "positive"
// when binary. `scores` (binary only, may be empty or NaN) feed the AUC.
metrics classification_metrics(const std::vector<std::size_t>& truth,
                               const std::vector<std::size_t>& predicted,
                               const std::vector<double>& scores, std::size_t n_classes);
metrics regression_metrics(const std::vector<double>& truth, const std::vector<double>& predicted);

// Heap bytes of a vector's buffer.
template <class T>
std::size_t heap_bytes(const std::vector<T>& v) {
  return v.capacity() * sizeof(T);
}

}  // namespace detail
}  // namespace mf::ml
