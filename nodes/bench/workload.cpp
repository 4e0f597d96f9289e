// workload: random but reproducible (seeded) request bodies. Train data follow a linear rule
// so a classifier really has something to learn.
#include "nodes/bench/workload.hpp"

#include <cstdio>

namespace mf::bench {
namespace {

void append_number(std::string& out, double v) {
  char buf[32];
  const int n = std::snprintf(buf, sizeof buf, "%.5f", v);
  out.append(buf, static_cast<std::size_t>(n));
}

void append_row(std::string& out, const double* row, std::size_t n) {
  out += '[';
  for (std::size_t j = 0; j < n; ++j) {
    if (j) out += ',';
    append_number(out, row[j]);
  }
  out += ']';
}

std::string replace_all(std::string text, std::string_view from, std::string_view to) {
  for (std::size_t at = text.find(from); at != std::string::npos;
       at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

}  // namespace

std::string_view to_string(op_kind op) noexcept {
  switch (op) {
    case op_kind::predict:
      return "predict";
    case op_kind::train:
      return "train";
    case op_kind::activate:
      return "activate";
  }
  return "predict";
}

mf::expected<workload> workload::create(const bench_options& o) {
  if (o.rows == 0 || o.rows > 10'000) {
    return mf::make_error(mf::errc::invalid_field, "rows per request must be in 1..10000");
  }
  if (o.features == 0 || o.features > 100'000) {
    return mf::make_error(mf::errc::invalid_field, "feature count must be in 1..100000");
  }
  const double w[op_kind_count] = {o.ops.predict, o.ops.train, o.ops.activate};
  double total = 0;
  for (double x : w) {
    if (!(x >= 0)) return mf::make_error(mf::errc::invalid_field, "mix weights must be >= 0");
    total += x;
  }
  if (!(total > 0)) return mf::make_error(mf::errc::invalid_field, "mix weights sum to 0");
  auto keys = key_distribution::create(o.mix, o.tenants, o.zipf_s);
  if (!keys) return std::move(keys).error();

  workload wl;
  wl.keys_ = std::move(*keys);
  double run = 0;
  for (std::size_t i = 0; i < op_kind_count; ++i) {
    run += w[i] / total;
    wl.cumulative_[i] = run;
  }
  wl.cumulative_[op_kind_count - 1] = 1.0;
  wl.prefix_ = o.tenant_prefix;
  wl.model_ = o.model;
  wl.predict_path_ = o.predict_path;
  wl.train_path_ = o.train_path;
  wl.activate_path_ = o.activate_path;
  wl.activate_version_ = o.activate_version;
  wl.rows_ = o.rows;
  wl.n_features_ = o.features;

  std::mt19937_64 rng(o.seed);
  std::uniform_real_distribution<double> value(-1.0, 1.0);
  for (std::size_t b = 0; b < body_pool_size; ++b) {
    std::vector<double> f(o.rows * o.features);
    for (double& x : f) x = value(rng);
    std::string body = "{\"instances\":[";
    for (std::size_t r = 0; r < o.rows; ++r) {
      if (r) body += ',';
      append_row(body, f.data() + r * o.features, o.features);
    }
    body += "]}";
    wl.predict_bodies_.push_back(std::move(body));
    wl.feature_pool_.push_back(std::move(f));
  }

  if (o.ops.train > 0) {
    const std::size_t n = std::max<std::size_t>(o.train_rows, 4);
    std::string features = "[", labels = "[";
    std::vector<double> row(o.features);
    for (std::size_t r = 0; r < n; ++r) {
      double score = 0;
      for (std::size_t j = 0; j < o.features; ++j) {
        row[j] = value(rng);
        score += (j % 2 ? -0.5 : 1.0) * row[j];
      }
      if (r) {
        features += ',';
        labels += ',';
      }
      append_row(features, row.data(), o.features);
      // Alternate the first labels so both classes exist even for tiny data sets.
      labels += (r < 2 ? r % 2 == 0 : score > 0) ? '1' : '0';
    }
    wl.train_body_ = "{\"algorithm\":\"" + o.train_algorithm +
                     "\",\"data\":{\"features\":" + features + "],\"labels\":" + labels +
                     "]},\"activate\":\"never\"}";
  }
  return wl;
}

planned_request workload::next(std::mt19937_64& rng) const {
  planned_request r;
  if (cumulative_[0] < 1.0) {
    const double u = std::uniform_real_distribution<double>(0.0, 1.0)(rng);
    std::size_t i = 0;
    while (i + 1 < op_kind_count && u >= cumulative_[i]) ++i;
    r.op = static_cast<op_kind>(i);
  }
  r.tenant = keys_.next(rng);
  r.body = static_cast<std::size_t>(rng() % body_pool_size);
  return r;
}

std::string workload::tenant_name(std::size_t index) const {
  return prefix_ + std::to_string(index);
}

std::string workload::path(op_kind op, std::size_t tenant) const {
  const std::string& t = op == op_kind::predict ? predict_path_
                         : op == op_kind::train ? train_path_
                                                : activate_path_;
  std::string p = replace_all(t, "{tenant}", tenant_name(tenant));
  p = replace_all(std::move(p), "{model}", model_);
  return replace_all(std::move(p), "{version}", std::to_string(activate_version_));
}

const std::string& workload::http_body(const planned_request& r) const {
  switch (r.op) {
    case op_kind::predict:
      return predict_bodies_[r.body];
    case op_kind::train:
      return train_body_;
    case op_kind::activate:
      return empty_;
  }
  return empty_;
}

}  // namespace mf::bench
