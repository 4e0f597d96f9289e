// libFuzzer target: any byte string as a REST predict body through the router's simdjson
// parser. It must never crash or throw; failures are typed (400/422 codes only); a success is
// a sane flat buffer (rows * n_features doubles, all finite, within the limits).
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "nodes/router/predict_json.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  mf::router::predict_limits limits;
  limits.max_instances = 64;  // small caps keep runs fast; the checks are the same
  limits.max_features = 64;
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  auto out = mf::router::parse_predict_body(body, limits);
  if (!out) {
    const auto code = out.error().code;
    if (code != mf::errc::invalid_input && code != mf::errc::malformed_json &&
        code != mf::errc::invalid_field && code != mf::errc::payload_too_large)
      std::abort();
    return 0;
  }
  if (out->n_features == 0 || out->n_features > limits.max_features) std::abort();
  if (out->features.size() % out->n_features != 0) std::abort();
  if (out->rows() == 0 || out->rows() > limits.max_instances) std::abort();
  for (const double v : out->features)
    if (!std::isfinite(v)) std::abort();
  return 0;
}
