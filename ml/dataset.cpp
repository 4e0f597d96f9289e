// dataset: JSON (nlohmann) and CSV parsers for training data, with row/column-precise errors.
#include "ml/dataset.hpp"

#include <charconv>
#include <cmath>
#include <exception>
#include <new>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace mf::ml {
namespace {

mf::error invalid(std::string message) {
  return mf::make_error(errc::invalid_input, std::move(message));
}

struct too_deep {};

}  // namespace

mf::expected<dataset> parse_json_dataset(std::string_view text) {
  nlohmann::json doc;
  try {
    // The dataset is at most 3 levels deep; refusing deeper input bounds the parser's work.
    doc = nlohmann::json::parse(text.begin(), text.end(),
                                [](int depth, nlohmann::json::parse_event_t, nlohmann::json&) {
                                  if (depth > 4) throw too_deep{};
                                  return true;
                                });
  } catch (const too_deep&) {
    return invalid("dataset JSON is nested too deeply");
  } catch (const nlohmann::json::exception& e) {
    return mf::make_error(errc::malformed_json,
                          std::string("dataset is not valid JSON: ") + e.what());
  } catch (const std::bad_alloc&) {
    return mf::make_error(errc::payload_too_large, "dataset JSON is too large");
  }
  if (!doc.is_object())
    return invalid("dataset must be a JSON object with \"features\" (and \"labels\")");
  const auto features = doc.find("features");
  if (features == doc.end() || !features->is_array() || features->empty()) {
    return invalid("\"features\" must be a non-empty array of rows");
  }
  dataset out;
  out.n_features = 0;
  std::size_t row = 0;
  for (const auto& r : *features) {
    if (!r.is_array() || r.empty())
      return invalid("row " + std::to_string(row) + ": must be a non-empty array of numbers");
    if (row == 0) {
      if (r.size() > max_dataset_features) return invalid("row 0: more than 100000 features");
      out.n_features = r.size();
      out.features.reserve(features->size() * out.n_features);
    } else if (r.size() != out.n_features) {
      return invalid("row " + std::to_string(row) + ": has " + std::to_string(r.size()) +
                     " features, expected " + std::to_string(out.n_features));
    }
    std::size_t col = 0;
    for (const auto& v : r) {
      if (!v.is_number() || !std::isfinite(v.get<double>())) {
        return invalid("row " + std::to_string(row) + ", column " + std::to_string(col) +
                       ": not a finite number");
      }
      out.features.push_back(v.get<double>());
      ++col;
    }
    ++row;
  }
  const auto labels = doc.find("labels");
  if (labels != doc.end() && !labels->is_null()) {
    if (!labels->is_array()) return invalid("\"labels\" must be an array of numbers");
    if (labels->size() != row) {
      return invalid("\"labels\" has " + std::to_string(labels->size()) + " entries for " +
                     std::to_string(row) + " rows");
    }
    out.labels.reserve(row);
    std::size_t i = 0;
    for (const auto& v : *labels) {
      if (!v.is_number() || !std::isfinite(v.get<double>())) {
        return invalid("label of row " + std::to_string(i) + ": not a finite number");
      }
      out.labels.push_back(v.get<double>());
      ++i;
    }
  }
  return out;
}

namespace {

// Splits CSV text into records of fields (RFC 4180 quoting). Returns an error message on an
// unterminated quote. Lines that are entirely empty are skipped.
class csv_reader {
 public:
  explicit csv_reader(std::string_view text) : text_(text) {}
  // Reads the next record into `fields`; false at the end of input.
  bool next(std::vector<std::string>& fields, std::string& error) {
    while (pos_ < text_.size()) {
      fields.clear();
      ++line_;
      std::string field;
      bool any = false;
      while (true) {
        if (pos_ < text_.size() && text_[pos_] == '"') {
          ++pos_;
          while (true) {
            if (pos_ >= text_.size()) {
              error = "line " + std::to_string(line_) + ": unterminated quoted field";
              return false;
            }
            const char c = text_[pos_++];
            if (c == '"') {
              if (pos_ < text_.size() && text_[pos_] == '"') {
                field.push_back('"');
                ++pos_;
              } else {
                break;
              }
            } else {
              if (c == '\n') ++line_;
              field.push_back(c);
            }
          }
          any = true;
        }
        while (pos_ < text_.size() && text_[pos_] != ',' && text_[pos_] != '\n') {
          field.push_back(text_[pos_++]);
          any = true;
        }
        if (pos_ < text_.size() && text_[pos_] == ',') {
          fields.push_back(std::move(field));
          field.clear();
          ++pos_;
          any = true;
          if (fields.size() > max_dataset_features + 1) {
            error = "line " + std::to_string(line_) + ": more than 100000 columns";
            return false;
          }
          continue;
        }
        if (pos_ < text_.size()) ++pos_;  // the newline
        if (!field.empty() && field.back() == '\r') field.pop_back();
        fields.push_back(std::move(field));
        break;
      }
      if (any && !(fields.size() == 1 && fields[0].empty())) return true;
    }
    return false;
  }
  std::size_t line() const { return line_; }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
  std::size_t line_ = 0;
};

std::optional<double> to_number(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  if (s.empty()) return std::nullopt;
  double v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

}  // namespace

mf::expected<dataset> parse_csv_dataset(std::string_view csv, std::string_view label_column) {
  try {
    csv_reader reader(csv);
    std::vector<std::string> header, fields;
    std::string error;
    if (!reader.next(header, error))
      return invalid(error.empty() ? "CSV has no header row" : error);
    std::optional<std::size_t> label_index;
    if (!label_column.empty()) {
      for (std::size_t i = 0; i < header.size(); ++i) {
        if (header[i] == label_column) label_index = i;
      }
      if (!label_index)
        return invalid("CSV header has no label column '" + std::string(label_column) + "'");
    }
    dataset out;
    out.n_features = header.size() - (label_index ? 1 : 0);
    if (out.n_features == 0) return invalid("CSV has no feature columns");
    std::size_t row = 0;
    while (reader.next(fields, error)) {
      ++row;
      if (fields.size() != header.size()) {
        return invalid("row " + std::to_string(row) + " (line " + std::to_string(reader.line()) +
                       "): has " + std::to_string(fields.size()) + " fields, header has " +
                       std::to_string(header.size()));
      }
      for (std::size_t i = 0; i < fields.size(); ++i) {
        const auto v = to_number(fields[i]);
        if (!v) {
          return invalid("row " + std::to_string(row) + " (line " + std::to_string(reader.line()) +
                         "), column '" + header[i] + "': not a finite number");
        }
        if (label_index && i == *label_index) {
          out.labels.push_back(*v);
        } else {
          out.features.push_back(*v);
        }
      }
    }
    if (!error.empty()) return invalid(error);
    if (row == 0) return invalid("CSV has a header but no rows");
    return out;
  } catch (const std::bad_alloc&) {
    return mf::make_error(errc::payload_too_large, "CSV dataset is too large");
  }
}

}  // namespace mf::ml
