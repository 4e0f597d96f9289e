// fake_model: an mf::ml::model whose prediction is a fixed value and whose size is chosen,
// for cache/host tests that must not pay for training. Immutable, thread-safe like any model.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "ml/model.hpp"

namespace mf::test {

class fake_model final : public mf::ml::model {
 public:
  // `payload_bytes` is really allocated (and touched) so RSS tests see it.
  // `calls`, if given, counts evaluated rows (to prove a request was NOT computed).
  fake_model(std::size_t n_features, double value, std::size_t payload_bytes,
             std::atomic<int>* calls = nullptr)
      : model(meta(n_features)), value_(value), payload_(payload_bytes, 'x'), calls_(calls) {}

  static std::shared_ptr<const mf::ml::model> make(std::size_t n_features, double value,
                                                   std::size_t payload_bytes = 0,
                                                   std::atomic<int>* calls = nullptr) {
    return std::make_shared<const fake_model>(n_features, value, payload_bytes, calls);
  }

 protected:
  double predict_row(const double*, double*, double*) const override {
    if (calls_) calls_->fetch_add(1);
    return value_;
  }
  std::size_t payload_memory_bytes() const override { return payload_.capacity(); }
  void write_payload(std::string&) const override {}

 private:
  static mf::ml::model_meta meta(std::size_t n_features) {
    mf::ml::model_meta m;
    m.algorithm = "linear_regression";
    m.n_features = n_features;
    return m;
  }
  double value_;
  std::string payload_;
  std::atomic<int>* calls_;
};

}  // namespace mf::test
