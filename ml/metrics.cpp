// metrics: validation metrics of classifiers and regressors, and which of two values is better.
#include <algorithm>
#include <cmath>
#include <numeric>

#include "ml/internal.hpp"
#include "ml/train.hpp"

namespace mf::ml {
namespace detail {
namespace {

// Rank-based AUC (Mann-Whitney U), ties get the average rank. NaN when one class is missing.
double auc(const std::vector<std::size_t>& truth, const std::vector<double>& scores) {
  std::vector<std::size_t> order(truth.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(),
            [&](std::size_t a, std::size_t b) { return scores[a] < scores[b]; });
  double positives = 0, rank_sum = 0;
  for (std::size_t i = 0; i < order.size();) {
    std::size_t j = i;
    while (j < order.size() && scores[order[j]] == scores[order[i]]) ++j;
    const double average_rank = (static_cast<double>(i + j) + 1.0) / 2.0;  // ranks are 1-based
    for (std::size_t k = i; k < j; ++k) {
      if (truth[order[k]] == 1) {
        rank_sum += average_rank;
        positives += 1;
      }
    }
    i = j;
  }
  const double negatives = static_cast<double>(truth.size()) - positives;
  if (positives == 0 || negatives == 0) return std::nan("");
  return (rank_sum - positives * (positives + 1) / 2.0) / (positives * negatives);
}

}  // namespace

metrics classification_metrics(const std::vector<std::size_t>& truth,
                               const std::vector<std::size_t>& predicted,
                               const std::vector<double>& scores, std::size_t n_classes) {
  metrics m;
  m.primary = "accuracy";
  const auto n = static_cast<double>(truth.size());
  std::vector<double> tp(n_classes), fp(n_classes), fn(n_classes);
  double correct = 0;
  for (std::size_t i = 0; i < truth.size(); ++i) {
    if (truth[i] == predicted[i]) {
      correct += 1;
      tp[truth[i]] += 1;
    } else {
      fp[predicted[i]] += 1;
      fn[truth[i]] += 1;
    }
  }
  m.values["accuracy"] = n > 0 ? correct / n : 0.0;
  auto ratio = [](double a, double b) { return b > 0 ? a / b : 0.0; };
  auto per_class = [&](std::size_t c, double& precision, double& recall, double& f1) {
    precision = ratio(tp[c], tp[c] + fp[c]);
    recall = ratio(tp[c], tp[c] + fn[c]);
    f1 = ratio(2 * precision * recall, precision + recall);
  };
  double precision = 0, recall = 0, f1 = 0;
  if (n_classes == 2) {
    per_class(1, precision, recall, f1);
    bool have_scores = scores.size() == truth.size() && !scores.empty();
    for (double s : scores) have_scores = have_scores && !std::isnan(s);
    if (have_scores) {
      const double a = auc(truth, scores);
      if (!std::isnan(a)) m.values["auc"] = a;
    }
  } else {
    // Macro averages: every class counts the same whatever its size.
    for (std::size_t c = 0; c < n_classes; ++c) {
      double p, r, f;
      per_class(c, p, r, f);
      precision += p / static_cast<double>(n_classes);
      recall += r / static_cast<double>(n_classes);
      f1 += f / static_cast<double>(n_classes);
    }
  }
  m.values["precision"] = precision;
  m.values["recall"] = recall;
  m.values["f1"] = f1;
  return m;
}

metrics regression_metrics(const std::vector<double>& truth, const std::vector<double>& predicted) {
  metrics m;
  m.primary = "rmse";
  const auto n = static_cast<double>(truth.size());
  double se = 0, ae = 0, mean = 0;
  for (double t : truth) mean += t / n;
  double ss_tot = 0;
  for (std::size_t i = 0; i < truth.size(); ++i) {
    const double e = predicted[i] - truth[i];
    se += e * e;
    ae += std::abs(e);
    ss_tot += (truth[i] - mean) * (truth[i] - mean);
  }
  m.values["rmse"] = std::sqrt(se / n);
  m.values["mae"] = ae / n;
  // A constant target has no variance to explain: R² is 1 for a perfect fit, else 0.
  m.values["r2"] = ss_tot > 0 ? 1.0 - se / ss_tot : (se == 0 ? 1.0 : 0.0);
  return m;
}

}  // namespace detail

bool better_than(std::string_view metric, double candidate, double incumbent) {
  if (std::isnan(candidate)) return false;
  if (std::isnan(incumbent)) return true;
  const bool lower_is_better = metric == "rmse" || metric == "mae" || metric == "inertia";
  return lower_is_better ? candidate < incumbent : candidate > incumbent;
}

}  // namespace mf::ml
