// kernel: svm_rbf (binary, multiclass one-vs-one) and krr_rbf (kernel ridge regression). The dlib
// decision functions are flattened into plain vectors: compact, const and lock-free to evaluate.
#include <dlib/svm.h>

#include <cmath>

#include "ml/internal.hpp"

namespace mf::ml::detail {
namespace {

using sample = dlib::matrix<double, 0, 1>;
using rbf_kernel = dlib::radial_basis_kernel<sample>;

// f(x) = sum_i alpha_i exp(-gamma |x - sv_i|²) - b, as dlib defines it.
struct rbf_expansion {
  double gamma = 0;
  double b = 0;
  std::vector<double> alpha;
  std::vector<double> sv;  // alpha.size() x n_features, row-major

  double operator()(const double* x, std::size_t d) const {
    double s = 0;
    for (std::size_t i = 0; i < alpha.size(); ++i) {
      const double* v = sv.data() + i * d;
      double dist = 0;
      for (std::size_t j = 0; j < d; ++j) dist += (x[j] - v[j]) * (x[j] - v[j]);
      s += alpha[i] * std::exp(-gamma * dist);
    }
    return s - b;
  }
  std::size_t heap() const { return heap_bytes(alpha) + heap_bytes(sv); }
  void write(payload_writer& w) const {
    w.f64(gamma);
    w.f64(b);
    w.f64s(alpha);
    w.f64s(sv);
  }
  static rbf_expansion read(payload_reader& in, std::size_t d) {
    rbf_expansion e;
    e.gamma = in.finite_f64();
    e.b = in.finite_f64();
    e.alpha = in.f64s_upto(in.remaining());
    if (d != 0 && e.alpha.size() > in.remaining() / d) throw payload_error("payload: too short");
    e.sv = in.f64s(e.alpha.size() * d);
    return e;
  }
  static rbf_expansion from(const dlib::decision_function<rbf_kernel>& df, std::size_t d) {
    rbf_expansion e;
    e.gamma = df.kernel_function.gamma;
    e.b = df.b;
    e.alpha.assign(df.alpha.begin(), df.alpha.end());
    e.sv.reserve(e.alpha.size() * d);
    for (long i = 0; i < df.basis_vectors.size(); ++i) {
      for (std::size_t j = 0; j < d; ++j) e.sv.push_back(df.basis_vectors(i)(static_cast<long>(j)));
    }
    return e;
  }
};

struct svm_machine {
  std::size_t positive = 1, negative = 0;  // class indices voted for by f > 0 / f <= 0
  rbf_expansion f;
};

class svm_rbf_model final : public model {
 public:
  svm_rbf_model(model_meta meta, std::vector<svm_machine> machines)
      : model(std::move(meta)), machines_(std::move(machines)) {}

  double predict_row(const double* x, double*, double* votes) const override {
    const std::size_t k = meta().classes.size();
    std::fill(votes, votes + k, 0.0);
    for (const auto& m : machines_) votes[m.f(x, n_features()) > 0 ? m.positive : m.negative] += 1;
    std::size_t best = 0;
    for (std::size_t c = 1; c < k; ++c) {
      if (votes[c] > votes[best]) best = c;
    }
    return static_cast<double>(best);
  }
  double row_score(const double* x, double*) const override {
    return machines_.size() == 1 ? machines_[0].f(x, n_features()) : std::nan("");
  }
  std::size_t scratch_size() const override { return meta().classes.size(); }
  std::size_t payload_memory_bytes() const override {
    std::size_t bytes = sizeof(*this) + heap_bytes(machines_);
    for (const auto& m : machines_) bytes += m.f.heap();
    return bytes;
  }
  void write_payload(std::string& out) const override {
    payload_writer w(out);
    w.tag("mf.svm_rbf");
    w.u64(machines_.size());
    for (const auto& m : machines_) {
      w.u64(m.positive);
      w.u64(m.negative);
      m.f.write(w);
    }
  }

 private:
  std::vector<svm_machine> machines_;
};

class krr_model final : public model {
 public:
  krr_model(model_meta meta, rbf_expansion f) : model(std::move(meta)), f_(std::move(f)) {}
  double predict_row(const double* x, double*, double*) const override {
    return f_(x, n_features());
  }
  std::size_t payload_memory_bytes() const override { return sizeof(*this) + f_.heap(); }
  void write_payload(std::string& out) const override {
    payload_writer w(out);
    w.tag("mf.krr_rbf");
    f_.write(w);
  }

 private:
  rbf_expansion f_;
};

sample to_sample(const double* x, std::size_t d) {
  sample s(static_cast<long>(d));
  for (std::size_t j = 0; j < d; ++j) s(static_cast<long>(j)) = x[j];
  return s;
}

double gamma_of(const params& p, std::size_t d) {
  // Features are standardized, so 1/d puts a typical squared distance near 1 (2 on average).
  return p.at("gamma") > 0 ? p.at("gamma") : 1.0 / static_cast<double>(d);
}

}  // namespace

std::unique_ptr<model> train_svm_rbf(model_meta meta, const train_set& set, const params& p,
                                     const train_context& ctx) {
  const std::size_t d = set.n_features, k = set.n_classes;
  dlib::svm_c_trainer<rbf_kernel> trainer;
  trainer.set_c(p.at("c"));
  trainer.set_kernel(rbf_kernel(gamma_of(p, d)));
  std::vector<svm_machine> machines;
  const std::size_t n_pairs = k * (k - 1) / 2;
  // One-vs-one: a machine per pair of classes; the cancel flag is honoured between machines.
  for (std::size_t neg = 0; neg < k; ++neg) {
    for (std::size_t pos = neg + 1; pos < k; ++pos) {
      ctx.check_cancel();
      std::vector<sample> xs;
      std::vector<double> ys;
      for (std::size_t i = 0; i < set.n_rows; ++i) {
        const auto c = static_cast<std::size_t>(set.y[i]);
        if (c != pos && c != neg) continue;
        xs.push_back(to_sample(set.row(i), d));
        ys.push_back(c == pos ? 1.0 : -1.0);
      }
      machines.push_back({pos, neg, rbf_expansion::from(trainer.train(xs, ys), d)});
      ctx.report(static_cast<double>(machines.size()) / static_cast<double>(n_pairs));
    }
  }
  return std::make_unique<svm_rbf_model>(std::move(meta), std::move(machines));
}

std::unique_ptr<model> train_krr_rbf(model_meta meta, const train_set& set, const params& p,
                                     const train_context& ctx) {
  const std::size_t d = set.n_features;
  dlib::krr_trainer<rbf_kernel> trainer;
  trainer.set_kernel(rbf_kernel(gamma_of(p, d)));
  trainer.set_lambda(p.at("lambda"));  // 0: chosen by leave-one-out cross-validation
  std::vector<sample> xs(set.n_rows);
  for (std::size_t i = 0; i < set.n_rows; ++i) xs[i] = to_sample(set.row(i), d);
  ctx.report(0.1);
  return std::make_unique<krr_model>(std::move(meta),
                                     rbf_expansion::from(trainer.train(xs, set.y), d));
}

std::unique_ptr<model> load_svm_rbf(model_meta meta, payload_reader& in) {
  in.expect_tag("mf.svm_rbf");
  const std::size_t k = meta.classes.size();
  const std::size_t n = in.u64(k * (k - 1) / 2);
  if (n != k * (k - 1) / 2) throw payload_error("payload: wrong number of one-vs-one machines");
  std::vector<svm_machine> machines(n);
  for (auto& m : machines) {
    m.positive = in.u64(k - 1);
    m.negative = in.u64(k - 1);
    m.f = rbf_expansion::read(in, meta.n_features);
  }
  return std::make_unique<svm_rbf_model>(std::move(meta), std::move(machines));
}

std::unique_ptr<model> load_krr_rbf(model_meta meta, payload_reader& in) {
  in.expect_tag("mf.krr_rbf");
  auto f = rbf_expansion::read(in, meta.n_features);
  return std::make_unique<krr_model>(std::move(meta), std::move(f));
}

}  // namespace mf::ml::detail
