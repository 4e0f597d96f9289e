// predict_json: simdjson on-demand parse straight into the flat buffer (no per-number
// allocation: doubles are appended to one vector reserved from the first row's width).
#include "nodes/router/predict_json.hpp"

#include <simdjson.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>
#include <string>

namespace mf::router {
namespace {

bool looks_non_finite(std::string_view token) {
  std::string t;
  for (char c : token) {
    if (c == '"' || c == '+' || c == '-' || std::isspace(static_cast<unsigned char>(c))) continue;
    t.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  return t == "nan" || t == "inf" || t == "infinity" || t == "snan" || t == "qnan";
}

bool is_structural_error(simdjson::error_code e) {
  using simdjson::error_code;
  switch (e) {
    case error_code::TAPE_ERROR:
    case error_code::INCOMPLETE_ARRAY_OR_OBJECT:
    case error_code::UNCLOSED_STRING:
    case error_code::UTF8_ERROR:
    case error_code::UNESCAPED_CHARS:
    case error_code::EMPTY:
    case error_code::DEPTH_ERROR:
    case error_code::CAPACITY:
    case error_code::TRAILING_CONTENT:
    case error_code::STRING_ERROR:
    case error_code::UNEXPECTED_ERROR:
    case error_code::SCALAR_DOCUMENT_AS_VALUE:
    case error_code::OUT_OF_BOUNDS:
      return true;
    default:
      return false;
  }
}

mf::error malformed(simdjson::error_code e) {
  return mf::make_error(errc::malformed_json, std::string("request body is not valid JSON: ") +
                                                  simdjson::error_message(e));
}

std::string at(std::size_t row, std::size_t col) {
  return "instances[" + std::to_string(row) + "][" + std::to_string(col) + "]";
}

// One feature value: a finite number, or a 422 naming where it is.
mf::expected<double> read_feature(simdjson::ondemand::value v, std::size_t row, std::size_t col) {
  double d = 0;
  auto err = v.get_double().get(d);
  if (!err) {
    if (!std::isfinite(d)) {
      return mf::make_error(errc::invalid_input, at(row, col) + ": NaN/Inf is not a valid feature");
    }
    return d;
  }
  std::string_view raw = v.raw_json_token();
  if (looks_non_finite(raw) || err == simdjson::NUMBER_ERROR) {
    return mf::make_error(errc::invalid_input,
                          at(row, col) + ": NaN/Inf or out-of-range number is not a valid feature");
  }
  if (is_structural_error(err)) return malformed(err);
  return mf::make_error(errc::invalid_input, at(row, col) + ": feature must be a number, got " +
                                                 std::string(raw.substr(0, 32)));
}

mf::expected<void> read_instances(simdjson::ondemand::value instances, const predict_limits& limits,
                                  predict_body& out) {
  simdjson::ondemand::array rows;
  if (auto err = instances.get_array().get(rows)) {
    if (is_structural_error(err)) return malformed(err);
    return mf::make_error(errc::invalid_field,
                          "\"instances\" must be an array of arrays of numbers");
  }
  std::size_t row = 0;
  for (auto row_result : rows) {
    simdjson::ondemand::value row_value;
    if (auto err = row_result.get(row_value)) return malformed(err);
    if (row >= limits.max_instances) {
      return mf::make_error(
          errc::invalid_input,
          "too many instances: at most " + std::to_string(limits.max_instances) + " per request");
    }
    simdjson::ondemand::array cols;
    if (auto err = row_value.get_array().get(cols)) {
      if (is_structural_error(err)) return malformed(err);
      return mf::make_error(errc::invalid_input,
                            "instances[" + std::to_string(row) + "] must be an array of numbers");
    }
    std::size_t col = 0;
    for (auto col_result : cols) {
      simdjson::ondemand::value v;
      if (auto err = col_result.get(v)) return malformed(err);
      if (col >= limits.max_features) {
        return mf::make_error(errc::invalid_input,
                              "instances[" + std::to_string(row) + "] has more than " +
                                  std::to_string(limits.max_features) + " features");
      }
      if (row > 0 && col >= out.n_features) {
        return mf::make_error(errc::invalid_input,
                              "instances[" + std::to_string(row) + "] has more than " +
                                  std::to_string(out.n_features) + " features (instances[0] has " +
                                  std::to_string(out.n_features) + ")");
      }
      auto d = read_feature(v, row, col);
      if (!d) return std::move(d).error();
      out.features.push_back(*d);
      ++col;
    }
    if (row == 0) {
      if (col == 0) return mf::make_error(errc::invalid_input, "instances[0] is empty");
      out.n_features = static_cast<std::uint32_t>(col);
    } else if (col != out.n_features) {
      return mf::make_error(errc::invalid_input,
                            "instances[" + std::to_string(row) + "] has " + std::to_string(col) +
                                " features, instances[0] has " + std::to_string(out.n_features));
    }
    ++row;
  }
  if (row == 0) return mf::make_error(errc::invalid_input, "\"instances\" is empty");
  return {};
}

}  // namespace

mf::expected<predict_body> parse_predict_body(std::string_view body, const predict_limits& limits) {
  thread_local simdjson::ondemand::parser parser;
  // simdjson needs SIMDJSON_PADDING readable bytes past the end: copy into a per-thread buffer
  // that only grows, instead of a fresh padded_string (malloc + free) per request.
  thread_local std::string buffer;
  if (buffer.size() < body.size() + simdjson::SIMDJSON_PADDING)
    buffer.resize(body.size() + simdjson::SIMDJSON_PADDING);
  std::memcpy(buffer.data(), body.data(), body.size());
  std::memset(buffer.data() + body.size(), 0, simdjson::SIMDJSON_PADDING);
  const simdjson::padded_string_view padded(buffer.data(), body.size(), buffer.size());
  predict_body out;
  // Rows of the usual width are appended without a reallocation per row.
  out.features.reserve(std::min<std::size_t>(body.size() / 2, 1 << 16));
  bool seen_instances = false;
  try {
    simdjson::ondemand::document doc;
    if (auto err = parser.iterate(padded).get(doc)) return malformed(err);
    simdjson::ondemand::object obj;
    if (auto err = doc.get_object().get(obj)) {
      if (is_structural_error(err)) return malformed(err);
      return mf::make_error(errc::invalid_field, "request body must be a JSON object");
    }
    for (auto field : obj) {
      std::string_view key;
      if (auto err = field.unescaped_key().get(key)) return malformed(err);
      simdjson::ondemand::value v;
      if (auto err = field.value().get(v)) return malformed(err);
      if (key == "instances") {
        if (seen_instances) return mf::make_error(errc::invalid_field, "\"instances\" given twice");
        seen_instances = true;
        if (auto r = read_instances(v, limits, out); !r) return std::move(r).error();
      } else if (key == "version") {
        simdjson::ondemand::json_type type;
        if (auto err = v.type().get(type)) return malformed(err);
        if (type == simdjson::ondemand::json_type::null) continue;
        std::int64_t version = 0;
        if (v.get_int64().get(version) || version < 1) {
          return mf::make_error(errc::invalid_field, "\"version\" must be a positive integer");
        }
        out.version = version;
      } else {
        // Unknown fields are allowed (API.md: extra fields may be added); on-demand skips them.
      }
    }
    // Anything after the top-level object is malformed; current_location() fails only at the end.
    if (!doc.current_location().error()) return malformed(simdjson::TRAILING_CONTENT);
  } catch (const std::exception& e) {
    return mf::make_error(errc::malformed_json,
                          std::string("request body is not valid JSON: ") + e.what());
  }
  if (!seen_instances) return mf::make_error(errc::invalid_field, "\"instances\" is required");
  return out;
}

}  // namespace mf::router
