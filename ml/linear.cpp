// linear: linear_regression (ridge), logistic_regression (multinomial), linear_svm,
// multiclass_linear. All four predict from one weight matrix + bias, so they share one compact
// model class.
#include <dlib/optimization.h>
#include <dlib/svm.h>
#include <dlib/svm_threaded.h>

#include <cmath>
#include <limits>

#include "ml/internal.hpp"

namespace mf::ml::detail {
namespace {

using sample = dlib::matrix<double, 0, 1>;
using linear_kernel = dlib::linear_kernel<sample>;

// How the outputs o = W x + b become a prediction.
enum class linear_kind : std::uint64_t {
  regression = 0,  // one output: the value
  sign = 1,        // one output: class 1 when o > 0 (linear_svm)
  softmax = 2,     // one output per class: probabilities (logistic_regression)
  argmax = 3,      // one output per class: the largest wins (multiclass_linear)
};

class linear_model final : public model {
 public:
  linear_model(model_meta meta, linear_kind kind, std::size_t n_out, std::vector<double> w,
               std::vector<double> b)
      : model(std::move(meta)), kind_(kind), n_out_(n_out), w_(std::move(w)), b_(std::move(b)) {}

  double predict_row(const double* x, double* probs, double* scratch) const override {
    outputs(x, scratch);
    switch (kind_) {
      case linear_kind::regression:
        return scratch[0];
      case linear_kind::sign:
        return scratch[0] > 0 ? 1.0 : 0.0;
      case linear_kind::softmax: {
        // exp() is most of a row's cost (W4 profile: 256-row requests), so each exponential is
        // taken once. Same operations in the same order as the plain softmax, so the same bits:
        // exp(best - best) is exactly 1 and the sum adds the terms in class order.
        const std::size_t best = argmax(scratch);
        if (n_out_ == 2) {
          const double other = std::exp(scratch[1 - best] - scratch[best]);
          const double sum = best == 0 ? 1.0 + other : other + 1.0;
          probs[0] = (best == 1 ? 1.0 : other) / sum;
          return static_cast<double>(best);
        }
        const double top = scratch[best];
        double sum = 0;
        for (std::size_t k = 0; k < n_out_; ++k) {
          scratch[k] = std::exp(scratch[k] - top);
          sum += scratch[k];
        }
        for (std::size_t k = 0; k < n_out_; ++k) probs[k] = scratch[k] / sum;
        return static_cast<double>(best);
      }
      case linear_kind::argmax:
        return static_cast<double>(argmax(scratch));
    }
    return 0;
  }
  double row_score(const double* x, double* scratch) const override {
    outputs(x, scratch);
    if (n_out_ == 1) return kind_ == linear_kind::sign ? scratch[0] : std::nan("");
    return n_out_ == 2 ? scratch[1] - scratch[0] : std::nan("");
  }
  std::size_t prob_columns() const override {
    if (kind_ != linear_kind::softmax) return 0;
    return n_out_ == 2 ? 1 : n_out_;
  }
  std::size_t scratch_size() const override { return n_out_; }
  std::size_t payload_memory_bytes() const override {
    return sizeof(*this) + heap_bytes(w_) + heap_bytes(b_);
  }
  void write_payload(std::string& out) const override {
    payload_writer w(out);
    w.tag("mf.linear");
    w.u64(static_cast<std::uint64_t>(kind_));
    w.u64(n_out_);
    w.f64s(w_);
    w.f64s(b_);
  }

 private:
  void outputs(const double* x, double* o) const {
    const std::size_t d = n_features();
    for (std::size_t k = 0; k < n_out_; ++k) {
      const double* wk = w_.data() + k * d;
      double s = b_[k];
      for (std::size_t j = 0; j < d; ++j) s += wk[j] * x[j];
      o[k] = s;
    }
  }
  std::size_t argmax(const double* o) const {
    std::size_t best = 0;
    for (std::size_t k = 1; k < n_out_; ++k) {
      if (o[k] > o[best]) best = k;
    }
    return best;
  }

  linear_kind kind_;
  std::size_t n_out_;
  std::vector<double> w_;  // n_out x n_features, row-major
  std::vector<double> b_;  // n_out
};

std::vector<sample> to_samples(const train_set& set) {
  std::vector<sample> out(set.n_rows);
  for (std::size_t i = 0; i < set.n_rows; ++i) {
    out[i].set_size(static_cast<long>(set.n_features));
    for (std::size_t j = 0; j < set.n_features; ++j) out[i](static_cast<long>(j)) = set.row(i)[j];
  }
  return out;
}

// A dlib linear-kernel decision function f(x) = sum_i alpha_i <sv_i, x> - b, collapsed to w·x + b'.
std::unique_ptr<model> from_linear_df(model_meta meta, linear_kind kind,
                                      const dlib::decision_function<linear_kernel>& df) {
  const std::size_t d = meta.n_features;
  std::vector<double> w(d, 0.0);
  for (long i = 0; i < df.basis_vectors.size(); ++i) {
    for (std::size_t j = 0; j < d; ++j)
      w[j] += df.alpha(i) * df.basis_vectors(i)(static_cast<long>(j));
  }
  return std::make_unique<linear_model>(std::move(meta), kind, 1, std::move(w),
                                        std::vector<double>{-df.b});
}

// Stops dlib's optimizer on convergence, after max_iter, or when the job is cancelled.
class guarded_stop {
 public:
  guarded_stop(const train_context& ctx, double min_delta, unsigned long max_iter)
      : ctx_(ctx), inner_(min_delta, max_iter), max_iter_(max_iter) {}
  template <class T>
  bool should_continue_search(const T& x, double f, const T& g) {
    ctx_.check_cancel();
    ctx_.report(static_cast<double>(++iter_) / static_cast<double>(max_iter_));
    return inner_.should_continue_search(x, f, g);
  }

 private:
  const train_context& ctx_;
  dlib::objective_delta_stop_strategy inner_;
  unsigned long max_iter_;
  unsigned long iter_ = 0;
};

}  // namespace

std::unique_ptr<model> train_linear_regression(model_meta meta, const train_set& set,
                                               const params& p, const train_context& ctx) {
  dlib::rr_trainer<linear_kernel> trainer;
  trainer.set_lambda(p.at("lambda"));  // 0: chosen by leave-one-out cross-validation
  const auto samples = to_samples(set);
  ctx.report(0.1);
  return from_linear_df(std::move(meta), linear_kind::regression, trainer.train(samples, set.y));
}

std::unique_ptr<model> train_linear_svm(model_meta meta, const train_set& set, const params& p,
                                        const train_context& ctx) {
  dlib::svm_c_linear_trainer<linear_kernel> trainer;
  trainer.set_c(p.at("c"));
  std::vector<double> y(set.n_rows);
  for (std::size_t i = 0; i < set.n_rows; ++i) y[i] = set.y[i] == 1.0 ? 1.0 : -1.0;
  ctx.report(0.1);
  return from_linear_df(std::move(meta), linear_kind::sign, trainer.train(to_samples(set), y));
}

std::unique_ptr<model> train_multiclass_linear(model_meta meta, const train_set& set,
                                               const params& p, const train_context& ctx) {
  dlib::svm_multiclass_linear_trainer<linear_kernel, unsigned long> trainer;
  trainer.set_c(p.at("c"));
  trainer.set_num_threads(1);  // the worker runs several jobs; one thread each keeps them fair
  std::vector<unsigned long> y(set.n_rows);
  for (std::size_t i = 0; i < set.n_rows; ++i) y[i] = static_cast<unsigned long>(set.y[i]);
  ctx.report(0.1);
  const auto df = trainer.train(to_samples(set), y);
  const std::size_t d = set.n_features, k = set.n_classes;
  std::vector<double> w(k * d, 0.0), b(k, -std::numeric_limits<double>::infinity());
  // dlib orders rows by the labels it saw; a class absent from training never wins.
  const auto& labels = df.get_labels();
  for (std::size_t r = 0; r < labels.size(); ++r) {
    const std::size_t c = labels[r];
    for (std::size_t j = 0; j < d; ++j)
      w[c * d + j] = df.weights(static_cast<long>(r), static_cast<long>(j));
    b[c] = -df.b(static_cast<long>(r));
  }
  for (auto& v : b) {
    if (std::isinf(v)) v = -1e300;  // finite so the artifact keeps its "all finite" invariant
  }
  return std::make_unique<linear_model>(std::move(meta), linear_kind::argmax, k, std::move(w),
                                        std::move(b));
}

std::unique_ptr<model> train_logistic_regression(model_meta meta, const train_set& set,
                                                 const params& p, const train_context& ctx) {
  // Multinomial logistic regression: minimise mean cross-entropy + ||W||² / (2 c n) with L-BFGS.
  const std::size_t d = set.n_features, k = set.n_classes, n = set.n_rows;
  const double l2 = 1.0 / (p.at("c") * static_cast<double>(n));
  const auto max_iter = static_cast<unsigned long>(p.at("max_iterations"));
  std::vector<double> z(k);
  auto objective = [&](const sample& theta, sample* grad) {
    double loss = 0;
    if (grad) *grad = dlib::zeros_matrix<double>(theta.size(), 1);
    for (std::size_t i = 0; i < n; ++i) {
      const double* x = set.row(i);
      double zmax = -std::numeric_limits<double>::infinity();
      for (std::size_t c = 0; c < k; ++c) {
        double s = theta(static_cast<long>(k * d + c));
        for (std::size_t j = 0; j < d; ++j) s += theta(static_cast<long>(c * d + j)) * x[j];
        z[c] = s;
        zmax = std::max(zmax, s);
      }
      double sum = 0;
      for (std::size_t c = 0; c < k; ++c) sum += std::exp(z[c] - zmax);
      const auto yi = static_cast<std::size_t>(set.y[i]);
      loss += (std::log(sum) + zmax - z[yi]) / static_cast<double>(n);
      if (grad) {
        for (std::size_t c = 0; c < k; ++c) {
          const double g =
              (std::exp(z[c] - zmax) / sum - (c == yi ? 1.0 : 0.0)) / static_cast<double>(n);
          for (std::size_t j = 0; j < d; ++j) (*grad)(static_cast<long>(c * d + j)) += g * x[j];
          (*grad)(static_cast<long>(k * d + c)) += g;
        }
      }
    }
    for (std::size_t i = 0; i < k * d; ++i) {
      loss += 0.5 * l2 * theta(static_cast<long>(i)) * theta(static_cast<long>(i));
      if (grad) (*grad)(static_cast<long>(i)) += l2 * theta(static_cast<long>(i));
    }
    return loss;
  };
  sample theta = dlib::zeros_matrix<double>(static_cast<long>(k * d + k), 1);
  dlib::find_min(
      dlib::lbfgs_search_strategy(10), guarded_stop(ctx, 1e-10, max_iter),
      [&](const sample& t) { return objective(t, nullptr); },
      [&](const sample& t) {
        sample g;
        objective(t, &g);
        return g;
      },
      theta, -1.0);
  std::vector<double> w(k * d), b(k);
  for (std::size_t i = 0; i < k * d; ++i) w[i] = theta(static_cast<long>(i));
  for (std::size_t c = 0; c < k; ++c) b[c] = theta(static_cast<long>(k * d + c));
  return std::make_unique<linear_model>(std::move(meta), linear_kind::softmax, k, std::move(w),
                                        std::move(b));
}

std::unique_ptr<model> load_linear(model_meta meta, payload_reader& in) {
  in.expect_tag("mf.linear");
  const auto kind = static_cast<linear_kind>(in.u64(3));
  const std::size_t n_out = in.u64(1000000);
  const std::string& a = meta.algorithm;
  const bool kind_ok =
      (a == "linear_regression" && kind == linear_kind::regression && n_out == 1) ||
      (a == "linear_svm" && kind == linear_kind::sign && n_out == 1) ||
      (a == "logistic_regression" && kind == linear_kind::softmax &&
       n_out == meta.classes.size()) ||
      (a == "multiclass_linear" && kind == linear_kind::argmax && n_out == meta.classes.size());
  if (!kind_ok) throw payload_error("payload: linear model does not match the envelope");
  if (n_out > in.remaining() / std::max<std::size_t>(meta.n_features, 1))
    throw payload_error("payload: too short");
  auto w = in.f64s(n_out * meta.n_features);
  auto b = in.f64s(n_out);
  return std::make_unique<linear_model>(std::move(meta), kind, n_out, std::move(w), std::move(b));
}

}  // namespace mf::ml::detail
