// mlp: a small dlib dnn classifier (fc hidden, relu, fc hidden, relu, fc classes, softmax loss).
// The only file that includes dlib/dnn.h. Training drives the solvers directly (no trainer
// thread) so the seed, progress and cancellation are ours; the trained weights are then copied
// into plain matrices for a const, lock-free forward pass (dlib nets are not thread-safe).
#include <dlib/dnn.h>

#include <cmath>
#include <numeric>

#include "ml/internal.hpp"

namespace mf::ml::detail {
namespace {

using input_type = dlib::matrix<float, 0, 1>;
using net_type = dlib::loss_multiclass_log<
    dlib::fc<2, dlib::relu<dlib::fc<16, dlib::relu<dlib::fc<16, dlib::input<input_type>>>>>>>;

// One dense layer: out = relu?(x W + b), W is n_in x n_out row-major (dlib's fc_ layout).
struct dense_layer {
  std::size_t n_in = 0, n_out = 0;
  std::vector<double> w, b;
};

class mlp_model final : public model {
 public:
  mlp_model(model_meta meta, std::vector<dense_layer> layers)
      : model(std::move(meta)), layers_(std::move(layers)) {
    for (const auto& l : layers_) widest_ = std::max(widest_, l.n_out);
  }

  double predict_row(const double* x, double* probs, double* scratch) const override {
    const double* out = forward(x, scratch);
    const std::size_t k = layers_.back().n_out;
    std::size_t best = 0;
    for (std::size_t c = 1; c < k; ++c) {
      if (out[c] > out[best]) best = c;
    }
    double sum = 0;
    for (std::size_t c = 0; c < k; ++c) sum += std::exp(out[c] - out[best]);
    if (k == 2) {
      probs[0] = std::exp(out[1] - out[best]) / sum;
    } else {
      for (std::size_t c = 0; c < k; ++c) probs[c] = std::exp(out[c] - out[best]) / sum;
    }
    return static_cast<double>(best);
  }
  double row_score(const double* x, double* scratch) const override {
    if (layers_.back().n_out != 2) return std::nan("");
    const double* out = forward(x, scratch);
    return out[1] - out[0];
  }
  std::size_t prob_columns() const override {
    const std::size_t k = layers_.back().n_out;
    return k == 2 ? 1 : k;
  }
  std::size_t scratch_size() const override { return 2 * widest_; }
  std::size_t payload_memory_bytes() const override {
    std::size_t bytes = sizeof(*this) + heap_bytes(layers_);
    for (const auto& l : layers_) bytes += heap_bytes(l.w) + heap_bytes(l.b);
    return bytes;
  }
  void write_payload(std::string& out) const override {
    payload_writer w(out);
    w.tag("mf.mlp");
    w.u64(layers_.size());
    for (const auto& l : layers_) {
      w.u64(l.n_in);
      w.u64(l.n_out);
      w.f64s(l.w);
      w.f64s(l.b);
    }
  }

 private:
  // Ping-pongs between the two halves of scratch; returns the final logits.
  const double* forward(const double* x, double* scratch) const {
    const double* in = x;
    double* out = scratch;
    for (std::size_t li = 0; li < layers_.size(); ++li) {
      const auto& l = layers_[li];
      for (std::size_t o = 0; o < l.n_out; ++o) out[o] = l.b[o];
      for (std::size_t i = 0; i < l.n_in; ++i) {
        const double xi = in[i];
        const double* wi = l.w.data() + i * l.n_out;
        for (std::size_t o = 0; o < l.n_out; ++o) out[o] += xi * wi[o];
      }
      if (li + 1 < layers_.size()) {
        for (std::size_t o = 0; o < l.n_out; ++o) out[o] = std::max(0.0, out[o]);
      }
      in = out;
      out = (out == scratch) ? scratch + widest_ : scratch;
    }
    return in;
  }

  std::vector<dense_layer> layers_;
  std::size_t widest_ = 0;
};

template <class fc_layer>
dense_layer extract(fc_layer& l) {
  const auto& params = l.layer_details().get_layer_params();
  dense_layer out;
  out.n_out = l.layer_details().get_num_outputs();
  out.n_in = params.size() / out.n_out - 1;  // weights then one bias per output
  const float* p = params.host();
  out.w.assign(p, p + out.n_in * out.n_out);
  out.b.assign(p + out.n_in * out.n_out, p + (out.n_in + 1) * out.n_out);
  return out;
}

// Re-initialises an fc layer from our seeded generator (dlib's own init draws from std::rand,
// which is global and shared between threads): uniform +-sqrt(6/(in+out)), zero bias.
template <class fc_layer>
void seeded_init(fc_layer& l, dlib::rand& rng) {
  auto& params = l.layer_details().get_layer_params();
  const std::size_t n_out = l.layer_details().get_num_outputs();
  const std::size_t n_in = params.size() / n_out - 1;
  const double limit = std::sqrt(6.0 / static_cast<double>(n_in + n_out));
  float* p = params.host();
  for (std::size_t i = 0; i < n_in * n_out; ++i)
    p[i] = static_cast<float>((rng.get_random_double() * 2 - 1) * limit);
  for (std::size_t i = n_in * n_out; i < params.size(); ++i) p[i] = 0.0f;
}

}  // namespace

std::unique_ptr<model> train_mlp(model_meta meta, const train_set& set, const params& p,
                                 const train_context& ctx) {
  const std::size_t d = set.n_features, k = set.n_classes;
  const auto hidden = static_cast<long>(p.at("hidden"));
  const auto epochs = static_cast<std::size_t>(p.at("epochs"));
  const auto batch = static_cast<std::size_t>(p.at("batch_size"));
  const double lr = p.at("learning_rate");

  std::vector<input_type> xs(set.n_rows);
  std::vector<unsigned long> ys(set.n_rows);
  for (std::size_t i = 0; i < set.n_rows; ++i) {
    xs[i].set_size(static_cast<long>(d));
    for (std::size_t j = 0; j < d; ++j)
      xs[i](static_cast<long>(j)) = static_cast<float>(set.row(i)[j]);
    ys[i] = static_cast<unsigned long>(set.y[i]);
  }

  net_type net;
  // layer<1> is the output fc, layer<3> and layer<5> the hidden ones (relu in between).
  dlib::layer<1>(net).layer_details().set_num_outputs(static_cast<long>(k));
  dlib::layer<3>(net).layer_details().set_num_outputs(hidden);
  dlib::layer<5>(net).layer_details().set_num_outputs(hidden);
  dlib::resizable_tensor x;
  net.to_tensor(xs.begin(), xs.begin() + 1, x);
  net.forward(x);  // allocates the parameters, which we then overwrite deterministically
  dlib::rand rng(std::to_string(ctx.seed()));
  seeded_init(dlib::layer<1>(net), rng);
  seeded_init(dlib::layer<3>(net), rng);
  seeded_init(dlib::layer<5>(net), rng);

  std::vector<dlib::adam> solvers(net_type::num_computational_layers,
                                  dlib::adam(0.0005, 0.9, 0.999));
  std::vector<std::size_t> order(set.n_rows);
  std::iota(order.begin(), order.end(), 0);
  std::vector<input_type> bx;
  std::vector<unsigned long> by;
  for (std::size_t epoch = 0; epoch < epochs; ++epoch) {
    ctx.check_cancel();
    for (std::size_t i = order.size(); i > 1; --i)
      std::swap(order[i - 1], order[rng.get_random_64bit_number() % i]);
    for (std::size_t start = 0; start < order.size(); start += batch) {
      const std::size_t end = std::min(order.size(), start + batch);
      bx.clear();
      by.clear();
      for (std::size_t i = start; i < end; ++i) {
        bx.push_back(xs[order[i]]);
        by.push_back(ys[order[i]]);
      }
      net.to_tensor(bx.begin(), bx.end(), x);
      net.compute_parameter_gradients(x, by.begin());
      net.update_parameters(solvers, lr);
    }
    ctx.report(static_cast<double>(epoch + 1) / static_cast<double>(epochs));
  }
  std::vector<dense_layer> layers{extract(dlib::layer<5>(net)), extract(dlib::layer<3>(net)),
                                  extract(dlib::layer<1>(net))};
  for (const auto& l : layers) {
    for (double v : l.w) {
      if (!std::isfinite(v)) throw train_input_error("training diverged; lower learning_rate");
    }
  }
  return std::make_unique<mlp_model>(std::move(meta), std::move(layers));
}

std::unique_ptr<model> load_mlp(model_meta meta, payload_reader& in) {
  in.expect_tag("mf.mlp");
  const std::size_t n = in.u64(3);
  if (n != 3) throw payload_error("payload: an mlp has 3 layers");
  std::vector<dense_layer> layers(n);
  std::size_t expected_in = meta.n_features;
  for (std::size_t i = 0; i < n; ++i) {
    auto& l = layers[i];
    l.n_in = in.u64(100000);
    l.n_out = in.u64(4096 > meta.classes.size() ? 4096 : meta.classes.size());
    const std::size_t want_out = i + 1 == n ? meta.classes.size() : l.n_out;
    if (l.n_in != expected_in || l.n_out == 0 || l.n_out != want_out || l.n_out > in.remaining() ||
        l.n_in > in.remaining() / l.n_out) {
      throw payload_error("payload: mlp layer " + std::to_string(i) + " has the wrong shape");
    }
    l.w = in.f64s(l.n_in * l.n_out);
    l.b = in.f64s(l.n_out);
    expected_in = l.n_out;
  }
  return std::make_unique<mlp_model>(std::move(meta), std::move(layers));
}

}  // namespace mf::ml::detail
