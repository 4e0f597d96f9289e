// kmeans: dlib's center picking + Lloyd iterations (one dlib call per iteration, so progress and
// cancellation are honoured between iterations); predicts the nearest center's id.
#include <dlib/clustering.h>

#include <cmath>
#include <limits>

#include "ml/internal.hpp"

namespace mf::ml::detail {
namespace {

using sample = dlib::matrix<double, 0, 1>;

class kmeans_model final : public model {
 public:
  kmeans_model(model_meta meta, std::size_t k, std::vector<double> centers)
      : model(std::move(meta)), k_(k), centers_(std::move(centers)) {}

  double predict_row(const double* x, double*, double*) const override {
    double best = 0;
    return static_cast<double>(nearest(x, best));
  }
  double row_score(const double* x, double*) const override {
    double best = 0;
    nearest(x, best);
    return best;
  }
  std::size_t payload_memory_bytes() const override { return sizeof(*this) + heap_bytes(centers_); }
  void write_payload(std::string& out) const override {
    payload_writer w(out);
    w.tag("mf.kmeans");
    w.u64(k_);
    w.f64s(centers_);
  }

 private:
  std::size_t nearest(const double* x, double& best_dist) const {
    const std::size_t d = n_features();
    std::size_t best = 0;
    best_dist = std::numeric_limits<double>::infinity();
    for (std::size_t c = 0; c < k_; ++c) {
      double dist = 0;
      for (std::size_t j = 0; j < d; ++j)
        dist += (x[j] - centers_[c * d + j]) * (x[j] - centers_[c * d + j]);
      if (dist < best_dist) {
        best_dist = dist;
        best = c;
      }
    }
    return best;
  }

  std::size_t k_;
  std::vector<double> centers_;  // k x n_features, in the scaled space
};

}  // namespace

std::unique_ptr<model> train_kmeans(model_meta meta, const train_set& set, const params& p,
                                    const train_context& ctx) {
  const std::size_t d = set.n_features;
  const auto k = static_cast<std::size_t>(p.at("k"));
  const auto max_iter = static_cast<std::size_t>(p.at("max_iterations"));
  if (k > set.n_rows) {
    throw train_input_error("k = " + std::to_string(k) + " exceeds the " +
                            std::to_string(set.n_rows) + " training rows");
  }
  std::vector<sample> xs(set.n_rows);
  for (std::size_t i = 0; i < set.n_rows; ++i) {
    xs[i].set_size(static_cast<long>(d));
    for (std::size_t j = 0; j < d; ++j) xs[i](static_cast<long>(j)) = set.row(i)[j];
  }
  std::vector<sample> centers;
  dlib::pick_initial_centers(static_cast<long>(k), centers, xs, dlib::linear_kernel<sample>());
  for (std::size_t it = 0; it < max_iter; ++it) {
    ctx.check_cancel();
    const auto before = centers;
    dlib::find_clusters_using_kmeans(xs, centers, 1);
    ctx.report(static_cast<double>(it + 1) / static_cast<double>(max_iter));
    bool moved = false;
    for (std::size_t c = 0; c < k && !moved; ++c)
      moved = dlib::max(dlib::abs(centers[c] - before[c])) > 0;
    if (!moved) break;
  }
  std::vector<double> flat(k * d);
  for (std::size_t c = 0; c < k; ++c) {
    for (std::size_t j = 0; j < d; ++j) flat[c * d + j] = centers[c](static_cast<long>(j));
  }
  return std::make_unique<kmeans_model>(std::move(meta), k, std::move(flat));
}

std::unique_ptr<model> load_kmeans(model_meta meta, payload_reader& in) {
  in.expect_tag("mf.kmeans");
  const std::size_t k = in.u64(1000);
  if (k == 0 || k > in.remaining() / std::max<std::size_t>(meta.n_features, 1)) {
    throw payload_error("payload: bad number of centers");
  }
  auto centers = in.f64s(k * meta.n_features);
  return std::make_unique<kmeans_model>(std::move(meta), k, std::move(centers));
}

}  // namespace mf::ml::detail
