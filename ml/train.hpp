// train: turns a dataset into a validated model (holdout split, metrics, progress, cancellation).
// Thread-safe: train() keeps no shared state; run several trainings concurrently.
#pragma once

#include <string_view>

#include "common/expected.hpp"
#include "ml/model.hpp"

namespace mf::ml {

// algorithm: one of linear_regression, logistic_regression, linear_svm, svm_rbf, krr_rbf,
// random_forest, multiclass_linear, kmeans, mlp, auto. Errors: invalid_input (names the bad
// param/row/label), cancelled.
mf::expected<trained_model> train(std::string_view algorithm, const params&, const dataset&,
                                  const train_options&);

bool is_known_algorithm(std::string_view algorithm);
// Unknown names, non-finite, non-integer (for integer params) or out-of-range values ->
// invalid_input.
mf::expected<void> validate_params(std::string_view algorithm, const params&);
// The documented default of every param of `algorithm` (empty for unknown algorithms).
params default_params(std::string_view algorithm);

// True when `candidate` is strictly better than `incumbent` for `metric` (rmse, mae, inertia are
// lower-is-better; everything else higher-is-better). NaN is never better; anything beats NaN.
bool better_than(std::string_view metric, double candidate, double incumbent);

}  // namespace mf::ml
