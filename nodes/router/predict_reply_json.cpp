#include "nodes/router/predict_reply_json.hpp"

#include "common/json_escape.hpp"

#include <charconv>
#include <cmath>
#include <cstdint>

namespace mf::router {
namespace {

void append_string(std::string& out, std::string_view s) {
  out.push_back('"');
  mf::append_json_escaped(out, s);
  out.push_back('"');
}

// A double as nlohmann dumps it: shortest round-trip digits, ".0" on integral values, null for
// NaN and infinities (JSON has no spelling for them).
void append_double(std::string& out, double v) {
  if (!std::isfinite(v)) {
    out.append("null");
    return;
  }
  // Same notation choice as nlohmann: fixed for decimal exponents -4..14, else scientific
  // (shortest round-trip digits either way).
  char buf[40];
  auto sci = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
  std::string_view text(buf, static_cast<std::size_t>(sci.ptr - buf));
  int exponent = 0;
  if (auto e = text.find('e'); e != std::string_view::npos) {
    auto digits = text.substr(e + 1);
    if (!digits.empty() && digits.front() == '+') digits.remove_prefix(1);
    std::from_chars(digits.data(), digits.data() + digits.size(), exponent);
  }
  if (exponent >= -4 && exponent <= 14) {
    auto fixed = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed);
    text = std::string_view(buf, static_cast<std::size_t>(fixed.ptr - buf));
    out.append(text);
    if (text.find('.') == std::string_view::npos) out.append(".0");
    return;
  }
  out.append(text);
}

void append_int(std::string& out, std::int64_t v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, static_cast<std::size_t>(end - buf));
}

// Predictions that are whole numbers (class labels, cluster ids) read as integers.
void append_prediction(std::string& out, double v) {
  // Range first: converting NaN or an out-of-range double to an integer is undefined.
  if (v > -9.0e15 && v < 9.0e15 && v == static_cast<double>(static_cast<std::int64_t>(v)))
    append_int(out, static_cast<std::int64_t>(v));
  else
    append_double(out, v);
}

}  // namespace

std::string predict_reply_json(std::string_view fallback_model,
                               const mf::protocol::predict_reply& reply) {
  std::string out;
  out.reserve(64 + reply.model.size() + fallback_model.size() + reply.predictions.size() * 8 +
              reply.probabilities.size() * 22);
  out.append("{\"model\":");
  append_string(out, reply.model.empty() ? fallback_model : std::string_view(reply.model));
  out.append(",\"predictions\":[");
  for (std::size_t i = 0; i < reply.predictions.size(); ++i) {
    if (i) out.push_back(',');
    append_prediction(out, reply.predictions[i]);
  }
  out.push_back(']');
  const std::size_t cols = reply.n_prob_columns;
  if (!reply.probabilities.empty() && cols > 0) {
    out.append(",\"probabilities\":[");
    if (cols == 1) {
      for (std::size_t i = 0; i < reply.probabilities.size(); ++i) {
        if (i) out.push_back(',');
        append_double(out, reply.probabilities[i]);
      }
    } else {
      for (std::size_t row = 0; row + cols <= reply.probabilities.size(); row += cols) {
        if (row) out.push_back(',');
        out.push_back('[');
        for (std::size_t c = 0; c < cols; ++c) {
          if (c) out.push_back(',');
          append_double(out, reply.probabilities[row + c]);
        }
        out.push_back(']');
      }
    }
    out.push_back(']');
  }
  out.append(",\"version\":");
  append_int(out, reply.version);
  out.push_back('}');
  return out;
}

}  // namespace mf::router
