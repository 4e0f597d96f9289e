// registry: the algorithm table, each algorithm's params (names, defaults, ranges) and validation.
#include <cmath>
#include <span>
#include <string>

#include "ml/internal.hpp"
#include "ml/train.hpp"

namespace mf::ml {
namespace detail {

const algorithm_info* find_algorithm(std::string_view name) {
  static const algorithm_info table[] = {
      {"linear_regression", task::regression, true, 0, train_linear_regression, load_linear},
      {"logistic_regression", task::classification, true, 1000, train_logistic_regression,
       load_linear},
      {"linear_svm", task::classification, true, 2, train_linear_svm, load_linear},
      {"svm_rbf", task::classification, true, 100, train_svm_rbf, load_svm_rbf},
      {"krr_rbf", task::regression, true, 0, train_krr_rbf, load_krr_rbf},
      {"random_forest", task::regression, false, 0, train_random_forest, load_random_forest},
      {"multiclass_linear", task::classification, true, 1000, train_multiclass_linear, load_linear},
      {"kmeans", task::clustering, true, 0, train_kmeans, load_kmeans},
      {"mlp", task::classification, true, 1000, train_mlp, load_mlp},
  };
  for (const auto& a : table) {
    if (a.name == name) return &a;
  }
  return nullptr;
}

}  // namespace detail

namespace {

struct param_spec {
  std::string_view name;
  double default_value;
  double min;  // inclusive unless min_exclusive
  double max;  // inclusive
  bool integer;
  bool min_exclusive;
};

// The single source of truth for params; docs/ml.md mirrors it.
std::span<const param_spec> specs_of(std::string_view algorithm) {
  static const param_spec linear_regression[] = {{"lambda", 0.0, 0.0, 1e6, false, false}};
  static const param_spec logistic[] = {{"c", 1.0, 0.0, 1e6, false, true},
                                        {"max_iterations", 200, 1, 10000, true, false}};
  static const param_spec linear_svm[] = {{"c", 1.0, 0.0, 1e6, false, true}};
  static const param_spec svm_rbf[] = {{"c", 10.0, 0.0, 1e6, false, true},
                                       {"gamma", 0.0, 0.0, 1e3, false, false}};
  static const param_spec krr_rbf[] = {{"lambda", 0.0, 0.0, 1e6, false, false},
                                       {"gamma", 0.0, 0.0, 1e3, false, false}};
  static const param_spec random_forest[] = {
      {"trees", 100, 1, 1000, true, false},
      {"min_samples_per_leaf", 5, 1, 10000, true, false},
      {"feature_fraction", 1.0 / 3.0, 0.0, 1.0, false, true}};
  static const param_spec multiclass_linear[] = {{"c", 10.0, 0.0, 1e6, false, true}};
  static const param_spec kmeans[] = {{"k", 3, 1, 1000, true, false},
                                      {"max_iterations", 100, 1, 10000, true, false}};
  static const param_spec mlp[] = {{"hidden", 16, 1, 256, true, false},
                                   {"epochs", 150, 1, 5000, true, false},
                                   {"learning_rate", 0.01, 0.0, 1.0, false, true},
                                   {"batch_size", 32, 1, 4096, true, false}};
  if (algorithm == "linear_regression") return linear_regression;
  if (algorithm == "logistic_regression") return logistic;
  if (algorithm == "linear_svm") return linear_svm;
  if (algorithm == "svm_rbf") return svm_rbf;
  if (algorithm == "krr_rbf") return krr_rbf;
  if (algorithm == "random_forest") return random_forest;
  if (algorithm == "multiclass_linear") return multiclass_linear;
  if (algorithm == "kmeans") return kmeans;
  if (algorithm == "mlp") return mlp;
  return {};
}

std::string format_number(double v) {
  std::string s = std::to_string(v);
  while (s.size() > 1 && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

}  // namespace

bool is_known_algorithm(std::string_view algorithm) {
  return algorithm == "auto" || detail::find_algorithm(algorithm) != nullptr;
}

params default_params(std::string_view algorithm) {
  params out;
  for (const auto& s : specs_of(algorithm)) out.emplace(std::string(s.name), s.default_value);
  return out;
}

mf::expected<void> validate_params(std::string_view algorithm, const params& p) {
  if (!is_known_algorithm(algorithm)) {
    return mf::make_error(errc::invalid_input,
                          "unknown algorithm '" + std::string(algorithm) + "'");
  }
  const auto specs = specs_of(algorithm);
  for (const auto& [name, value] : p) {
    const param_spec* spec = nullptr;
    for (const auto& s : specs) {
      if (s.name == name) spec = &s;
    }
    const std::string where = "param '" + name + "' of " + std::string(algorithm);
    if (!spec) return mf::make_error(errc::invalid_input, "unknown " + where);
    if (!std::isfinite(value))
      return mf::make_error(errc::invalid_input, where + ": not a finite number");
    if (spec->integer && std::floor(value) != value) {
      return mf::make_error(errc::invalid_input, where + ": must be an integer");
    }
    const bool below = spec->min_exclusive ? value <= spec->min : value < spec->min;
    if (below || value > spec->max) {
      return mf::make_error(errc::invalid_input,
                            where + ": " + format_number(value) + " is outside " +
                                (spec->min_exclusive ? "(" : "[") + format_number(spec->min) +
                                ", " + format_number(spec->max) + "]");
    }
  }
  return {};
}

}  // namespace mf::ml
