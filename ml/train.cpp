// train: dataset checks, label mapping, seeded holdout split, scaling, validation and `auto`.
#include "ml/train.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <exception>
#include <new>
#include <optional>
#include <set>
#include <string>

#include "ml/internal.hpp"

namespace mf::ml {
namespace {

using detail::task;

// splitmix64: a tiny seeded generator whose sequence is the same on every platform.
struct splitmix64 {
  std::uint64_t state;
  std::uint64_t next() {
    std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
};

mf::error invalid(std::string message) {
  return mf::make_error(errc::invalid_input, std::move(message));
}

bool is_integer_label(double v) {
  return std::floor(v) == v && std::abs(v) < 9.0e15;
}

mf::expected<void> check_dataset(const dataset& data, bool needs_labels) {
  const std::size_t d = data.n_features;
  if (d == 0) return invalid("dataset has no features");
  if (d > 100000) return invalid("dataset has " + std::to_string(d) + " features; at most 100000");
  if (data.features.size() % d != 0) {
    return invalid("features hold " + std::to_string(data.features.size()) +
                   " values, not a multiple of " + std::to_string(d) + " features");
  }
  const std::size_t n = data.rows();
  if (n < 4) return invalid("dataset has " + std::to_string(n) + " rows; at least 4 are needed");
  for (std::size_t i = 0; i < data.features.size(); ++i) {
    if (!std::isfinite(data.features[i])) {
      return invalid("row " + std::to_string(i / d) + ", feature " + std::to_string(i % d) +
                     ": not finite");
    }
  }
  if (!needs_labels) return {};
  if (data.labels.size() != n) {
    return invalid("dataset has " + std::to_string(n) + " rows but " +
                   std::to_string(data.labels.size()) + " labels");
  }
  for (std::size_t i = 0; i < n; ++i) {
    if (!std::isfinite(data.labels[i]))
      return invalid("label of row " + std::to_string(i) + ": not finite");
  }
  return {};
}

// Seeded holdout split. Classifiers are split per class (stratified) so every class keeps at
// least one training row; returns {train rows, validation rows}.
std::pair<std::vector<std::size_t>, std::vector<std::size_t>> split_rows(
    std::size_t n, const std::vector<double>& y_class, double fraction, std::uint64_t seed,
    std::size_t n_classes) {
  std::vector<std::size_t> order(n);
  for (std::size_t i = 0; i < n; ++i) order[i] = i;
  splitmix64 rng{seed};
  for (std::size_t i = n; i > 1; --i) std::swap(order[i - 1], order[rng.next() % i]);
  std::vector<std::size_t> train_rows, val_rows;
  auto take = [&](const std::vector<std::size_t>& group) {
    auto n_val =
        static_cast<std::size_t>(std::floor(static_cast<double>(group.size()) * fraction + 0.5));
    if (n_val >= group.size()) n_val = group.size() > 0 ? group.size() - 1 : 0;
    val_rows.insert(val_rows.end(), group.begin(),
                    group.begin() + static_cast<std::ptrdiff_t>(n_val));
    train_rows.insert(train_rows.end(), group.begin() + static_cast<std::ptrdiff_t>(n_val),
                      group.end());
  };
  if (n_classes > 0) {
    std::vector<std::vector<std::size_t>> by_class(n_classes);
    for (std::size_t i : order) by_class[static_cast<std::size_t>(y_class[i])].push_back(i);
    for (const auto& g : by_class) take(g);
  } else {
    take(order);
  }
  return {std::move(train_rows), std::move(val_rows)};
}

std::int64_t now_unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

mf::expected<std::shared_ptr<const model>> train_one(const detail::algorithm_info& info,
                                                     const params& given, const dataset& data,
                                                     const train_options& options, double from,
                                                     double to) {
  if (auto ok = check_dataset(data, info.kind != task::clustering); !ok) return ok.error();
  const std::size_t n = data.rows(), d = data.n_features;
  model_meta meta;
  meta.algorithm = std::string(info.name);
  meta.n_features = d;
  meta.created_unix_ms = now_unix_ms();

  std::vector<double> y;  // class index or target, per row
  if (info.kind == task::classification) {
    std::set<double> distinct;
    for (std::size_t i = 0; i < n; ++i) {
      if (!is_integer_label(data.labels[i])) {
        return invalid("label of row " + std::to_string(i) + ": " + meta.algorithm +
                       " needs integer class labels");
      }
      distinct.insert(data.labels[i]);
      if (distinct.size() > info.max_classes) break;
    }
    if (distinct.size() < 2)
      return invalid(meta.algorithm + " needs at least 2 classes in the labels");
    if (distinct.size() > info.max_classes) {
      return invalid(meta.algorithm + " supports at most " + std::to_string(info.max_classes) +
                     " classes" +
                     (info.max_classes == 2 ? " (binary); use multiclass_linear or svm_rbf" : ""));
    }
    meta.classes.assign(distinct.begin(), distinct.end());
    y.resize(n);
    for (std::size_t i = 0; i < n; ++i) {
      y[i] = static_cast<double>(
          std::lower_bound(meta.classes.begin(), meta.classes.end(), data.labels[i]) -
          meta.classes.begin());
    }
  } else if (info.kind == task::regression) {
    y = data.labels;
  }

  if (!(options.validation_split >= 0.0 && options.validation_split <= 0.9)) {
    return invalid("validation_split must be in [0, 0.9]");
  }
  // Named references, not a structured binding: clang 14 cannot capture those in lambdas.
  auto split = split_rows(n, y, options.validation_split, options.seed, meta.classes.size());
  std::vector<std::size_t>& train_rows = split.first;
  std::vector<std::size_t>& val_rows = split.second;
  if (train_rows.size() < 2) return invalid("too few training rows after the validation split");
  // No holdout (validation_split 0 or a tiny dataset): metrics are measured on the training rows.
  if (val_rows.empty()) val_rows = train_rows;

  params resolved = default_params(info.name);
  for (const auto& [k, v] : given) resolved[k] = v;

  std::vector<double> mean(d, 0.0), inv_std(d, 1.0);
  if (info.scaled) {
    const auto m = static_cast<double>(train_rows.size());
    for (std::size_t r : train_rows) {
      for (std::size_t j = 0; j < d; ++j) mean[j] += data.features[r * d + j] / m;
    }
    for (std::size_t j = 0; j < d; ++j) {
      double var = 0;
      for (std::size_t r : train_rows) {
        const double e = data.features[r * d + j] - mean[j];
        var += e * e / m;
      }
      // A constant column carries no signal; leave it centred but unscaled.
      inv_std[j] = var > 1e-24 ? 1.0 / std::sqrt(var) : 1.0;
    }
    meta.scale_mean = mean;
    meta.scale_inv_std = inv_std;
  }
  auto scale_row = [&](std::size_t r, double* out) {
    for (std::size_t j = 0; j < d; ++j) {
      const double v = data.features[r * d + j];
      out[j] = info.scaled ? (v - mean[j]) * inv_std[j] : v;
    }
  };

  detail::train_set set;
  set.n_features = d;
  set.n_rows = train_rows.size();
  set.n_classes = meta.classes.size();
  set.x.resize(set.n_rows * d);
  if (info.kind != task::clustering) set.y.resize(set.n_rows);
  for (std::size_t i = 0; i < set.n_rows; ++i) {
    scale_row(train_rows[i], set.x.data() + i * d);
    if (!set.y.empty()) set.y[i] = y[train_rows[i]];
  }

  const detail::train_context ctx(options, from, from + 0.95 * (to - from), options.seed);
  ctx.check_cancel();
  std::unique_ptr<model> trained = info.train(std::move(meta), set, resolved, ctx);
  ctx.check_cancel();

  // Validation on the held-out rows, through the same predict path callers use.
  std::vector<double> val_x(val_rows.size() * d);
  for (std::size_t i = 0; i < val_rows.size(); ++i) {
    std::copy_n(data.features.begin() + static_cast<std::ptrdiff_t>(val_rows[i] * d), d,
                val_x.begin() + i * d);
  }
  prediction pred;
  if (auto ok = trained->predict(val_x, val_rows.size(), pred); !ok) return ok.error();
  std::vector<double> scaled(d), scratch(model_access::scratch_size(*trained));
  auto score = [&](std::size_t i) {
    scale_row(val_rows[i], scaled.data());
    return model_access::row_score(*trained, scaled.data(), scratch.data());
  };
  metrics m;
  if (info.kind == task::classification) {
    const auto& classes = trained->meta().classes;
    std::vector<std::size_t> truth(val_rows.size()), predicted(val_rows.size());
    std::vector<double> scores;
    for (std::size_t i = 0; i < val_rows.size(); ++i) {
      truth[i] = static_cast<std::size_t>(y[val_rows[i]]);
      predicted[i] = static_cast<std::size_t>(
          std::lower_bound(classes.begin(), classes.end(), pred.values[i]) - classes.begin());
      if (classes.size() == 2) scores.push_back(score(i));
    }
    m = detail::classification_metrics(truth, predicted, scores, classes.size());
  } else if (info.kind == task::regression) {
    std::vector<double> truth(val_rows.size());
    for (std::size_t i = 0; i < val_rows.size(); ++i) truth[i] = y[val_rows[i]];
    m = detail::regression_metrics(truth, pred.values);
  } else {
    double inertia = 0;
    for (std::size_t i = 0; i < val_rows.size(); ++i)
      inertia += score(i) / static_cast<double>(val_rows.size());
    m.values["inertia"] = inertia;
    m.primary = "inertia";
  }
  model_access::set_metrics(*trained, std::move(m));
  ctx.report(1.0);
  if (options.on_progress) options.on_progress(to);
  return std::shared_ptr<const model>(std::move(trained));
}

// Runs train_one with every exception of the algorithm code turned into an mf::error.
mf::expected<std::shared_ptr<const model>> guarded_train(const detail::algorithm_info& info,
                                                         const params& p, const dataset& data,
                                                         const train_options& options, double from,
                                                         double to) {
  try {
    return train_one(info, p, data, options, from, to);
  } catch (const detail::cancelled_error&) {
    return mf::make_error(errc::cancelled, "training cancelled");
  } catch (const detail::train_input_error& e) {
    return invalid(std::string(info.name) + ": " + e.what());
  } catch (const std::bad_alloc&) {
    return mf::make_error(errc::internal,
                          std::string(info.name) + ": out of memory while training");
  } catch (const std::exception& e) {
    return mf::make_error(errc::internal, std::string(info.name) + " training failed: " + e.what());
  } catch (...) {
    return mf::make_error(errc::internal, std::string(info.name) + " training failed");
  }
}

// `auto` rule: integer labels with 2..20 distinct values are classes; anything else is a
// regression target.
bool looks_like_classes(const std::vector<double>& labels) {
  std::set<double> distinct;
  for (double v : labels) {
    if (!is_integer_label(v)) return false;
    distinct.insert(v);
    if (distinct.size() > 20) return false;
  }
  return distinct.size() >= 2;
}

mf::expected<trained_model> train_auto(const dataset& data, const train_options& options) {
  if (data.labels.empty()) return invalid("auto needs labels (use kmeans for clustering)");
  if (auto ok = check_dataset(data, true); !ok) return ok.error();
  static const std::string_view classifiers[] = {"logistic_regression", "svm_rbf", "mlp"};
  static const std::string_view regressors[] = {"linear_regression", "krr_rbf", "random_forest"};
  const auto& names = looks_like_classes(data.labels) ? classifiers : regressors;
  const double step = 1.0 / static_cast<double>(std::size(names));
  trained_model best;
  std::optional<mf::error> last_error;
  for (std::size_t i = 0; i < std::size(names); ++i) {
    const auto* info = detail::find_algorithm(names[i]);
    auto r = guarded_train(*info, {}, data, options, step * static_cast<double>(i),
                           step * static_cast<double>(i + 1));
    if (!r) {
      if (r.error().code == errc::cancelled) return std::move(r).error();
      last_error =
          std::move(r).error();  // e.g. a candidate that cannot fit this data: try the next
      continue;
    }
    const metrics& m = (*r)->validation_metrics();
    best.candidates.emplace_back(std::string(names[i]), m);
    const auto value = [](const metrics& x) {
      auto it = x.values.find(x.primary);
      return it == x.values.end() ? std::nan("") : it->second;
    };
    if (!best.model || better_than(m.primary, value(m), value(best.metrics))) {
      best.model = *r;
      best.metrics = m;
    }
  }
  if (!best.model) return last_error ? *last_error : invalid("auto: no candidate could be trained");
  return best;
}

}  // namespace

mf::expected<trained_model> train(std::string_view algorithm, const params& p, const dataset& data,
                                  const train_options& options) {
  if (auto ok = validate_params(algorithm, p); !ok) return ok.error();
  if (options.on_progress) options.on_progress(0.0);
  if (algorithm == "auto") return train_auto(data, options);
  auto r = guarded_train(*detail::find_algorithm(algorithm), p, data, options, 0.0, 1.0);
  if (!r) return std::move(r).error();
  trained_model out;
  out.metrics = (*r)->validation_metrics();
  out.model = std::move(*r);
  return out;
}

}  // namespace mf::ml
