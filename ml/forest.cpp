// forest: random_forest regression (dlib's trainer), flattened into plain arrays for prediction.
#include <dlib/random_forest.h>

#include <cmath>

#include "ml/internal.hpp"

namespace mf::ml::detail {
namespace {

using trainer_type = dlib::random_forest_regression_trainer<dlib::dense_feature_extractor>;

// dlib's layout: node i < n_nodes splits on feature[i] (value < threshold -> left); an index
// >= n_nodes names leaf (index - n_nodes). Children always come after their parent, which the
// loader checks so a walk always terminates inside the arrays.
struct tree {
  std::vector<std::uint32_t> left, right, feature;
  std::vector<float> threshold;
  std::vector<float> leaves;

  float operator()(const double* x) const {
    std::uint32_t i = 0;
    const auto n = static_cast<std::uint32_t>(left.size());
    while (i < n) i = x[feature[i]] < threshold[i] ? left[i] : right[i];
    return leaves[i - n];
  }
  std::size_t heap() const {
    return heap_bytes(left) + heap_bytes(right) + heap_bytes(feature) + heap_bytes(threshold) +
           heap_bytes(leaves);
  }
};

class forest_model final : public model {
 public:
  forest_model(model_meta meta, std::vector<tree> trees)
      : model(std::move(meta)), trees_(std::move(trees)) {}

  double predict_row(const double* x, double*, double*) const override {
    double sum = 0;
    for (const auto& t : trees_) sum += t(x);
    return sum / static_cast<double>(trees_.size());
  }
  std::size_t payload_memory_bytes() const override {
    std::size_t bytes = sizeof(*this) + heap_bytes(trees_);
    for (const auto& t : trees_) bytes += t.heap();
    return bytes;
  }
  void write_payload(std::string& out) const override {
    payload_writer w(out);
    w.tag("mf.random_forest");
    w.u64(trees_.size());
    for (const auto& t : trees_) {
      w.u32s(t.left);
      w.u32s(t.right);
      w.u32s(t.feature);
      w.f32s(t.threshold);
      w.f32s(t.leaves);
    }
  }

 private:
  std::vector<tree> trees_;
};

}  // namespace

std::unique_ptr<model> train_random_forest(model_meta meta, const train_set& set, const params& p,
                                           const train_context& ctx) {
  const std::size_t d = set.n_features;
  std::vector<dlib::matrix<double, 0, 1>> xs(set.n_rows);
  for (std::size_t i = 0; i < set.n_rows; ++i) {
    xs[i].set_size(static_cast<long>(d));
    for (std::size_t j = 0; j < d; ++j) xs[i](static_cast<long>(j)) = set.row(i)[j];
  }
  const auto n_trees = static_cast<std::size_t>(p.at("trees"));
  constexpr std::size_t chunk = 10;  // trees per dlib call: the cancel/progress granularity
  std::vector<tree> trees;
  trees.reserve(n_trees);
  for (std::size_t done = 0; done < n_trees;) {
    ctx.check_cancel();
    const std::size_t now = std::min(chunk, n_trees - done);
    trainer_type trainer;
    trainer.set_num_trees(now);
    trainer.set_min_samples_per_leaf(static_cast<std::size_t>(p.at("min_samples_per_leaf")));
    trainer.set_feature_subsampling_fraction(p.at("feature_fraction"));
    trainer.set_seed(std::to_string(ctx.seed()) + "/" + std::to_string(done));
    const auto forest = trainer.train(xs, set.y);
    const auto& nodes = forest.get_internal_tree_nodes();
    const auto& leaves = forest.get_tree_leaves();
    for (std::size_t t = 0; t < nodes.size(); ++t) {
      tree out;
      for (const auto& n : nodes[t]) {
        out.left.push_back(n.left);
        out.right.push_back(n.right);
        out.feature.push_back(n.split_feature);
        out.threshold.push_back(n.split_threshold);
      }
      out.leaves = leaves[t];
      trees.push_back(std::move(out));
    }
    done += now;
    ctx.report(static_cast<double>(done) / static_cast<double>(n_trees));
  }
  return std::make_unique<forest_model>(std::move(meta), std::move(trees));
}

std::unique_ptr<model> load_random_forest(model_meta meta, payload_reader& in) {
  in.expect_tag("mf.random_forest");
  const std::size_t n_trees = in.u64(std::min<std::size_t>(100000, in.remaining()));
  if (n_trees == 0) throw payload_error("payload: a forest needs at least one tree");
  std::vector<tree> trees(n_trees);
  for (auto& t : trees) {
    t.left = in.u32s_upto(0xfffffff);
    t.right = in.u32s_upto(t.left.size());
    t.feature = in.u32s_upto(t.left.size());
    t.threshold = in.f32s_upto(t.left.size());
    t.leaves = in.f32s_upto(0xfffffff);
    const std::size_t n = t.left.size();
    if (t.right.size() != n || t.feature.size() != n || t.threshold.size() != n ||
        t.leaves.empty()) {
      throw payload_error("payload: inconsistent tree");
    }
    const std::size_t end = n + t.leaves.size();
    for (std::size_t i = 0; i < n; ++i) {
      if (t.left[i] <= i || t.right[i] <= i || t.left[i] >= end || t.right[i] >= end ||
          t.feature[i] >= meta.n_features) {
        throw payload_error("payload: tree node " + std::to_string(i) + " points outside its tree");
      }
    }
  }
  return std::make_unique<forest_model>(std::move(meta), std::move(trees));
}

}  // namespace mf::ml::detail
