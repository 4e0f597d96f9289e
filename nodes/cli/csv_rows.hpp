// csv_rows: numeric CSV -> prediction instances (the CLI's `predict --csv`), plus the header
// check `train --csv` does before uploading. Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/expected.hpp"

namespace mf::cli {

struct csv_table {
  std::vector<std::string> header;        // empty when the file has no header row
  std::vector<std::vector<double>> rows;  // every row has the same number of columns
};

// Splits one CSV line (commas, double-quoted fields with "" escapes).
std::vector<std::string> split_csv_line(std::string_view line);

// Parses CSV text of numbers. The first row is a header when any of its cells is not a number.
// Columns named in `drop` (e.g. the label) are removed (naming one needs a header). Blank lines
// are skipped. Errors (errc::invalid_input) name the line and column.
mf::expected<csv_table> parse_csv_numbers(std::string_view text,
                                          const std::vector<std::string>& drop = {});

// The header row of a CSV text (first line, split), empty if the text is empty.
std::vector<std::string> csv_header(std::string_view text);

}  // namespace mf::cli
