// output: how the CLI prints for humans (aligned tables, compact values, a progress bar).
// Not thread-safe: plain values written to one stream.
#pragma once

#include <nlohmann/json.hpp>

#include <ostream>
#include <string>
#include <vector>

namespace mf::cli {

// Aligned columns separated by two spaces, a header row in capitals.
class table {
 public:
  explicit table(std::vector<std::string> headers);
  void add_row(std::vector<std::string> cells);
  std::size_t rows() const noexcept { return rows_.size(); }
  void print(std::ostream& out) const;

 private:
  std::vector<std::string> headers_;
  std::vector<std::vector<std::string>> rows_;
};

// A JSON value as one short cell: strings bare, null/missing "-", numbers compact (at most
// 4 decimals), booleans yes/no, arrays comma-joined.
std::string cell(const nlohmann::json& value);
// The field `key` of `object` as a cell ("-" when absent).
std::string cell(const nlohmann::json& object, const char* key);
// 1536 -> "1.5 KiB".
std::string human_bytes(double bytes);
// {"accuracy":0.93,"primary":"accuracy"} -> "accuracy=0.93" (primary metric first).
std::string metrics_text(const nlohmann::json& metrics);
// "[#########-----------]  45%" of the given width (bar only).
std::string progress_bar(double fraction, int width = 30);

}  // namespace mf::cli
