#include "nodes/cli/csv_rows.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>

namespace mf::cli {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

bool parse_number(std::string_view text, double& out) {
  const std::string s(trim(text));
  if (s.empty()) return false;
  char* end = nullptr;
  errno = 0;
  out = std::strtod(s.c_str(), &end);
  return end == s.c_str() + s.size() && errno != ERANGE && std::isfinite(out);
}

std::vector<std::string_view> lines_of(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    const auto nl = text.find('\n');
    lines.push_back(text.substr(0, nl));
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
  return lines;
}

}  // namespace

std::vector<std::string> split_csv_line(std::string_view line) {
  std::vector<std::string> cells;
  std::string current;
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        current.push_back('"');
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        current.push_back(c);
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      cells.emplace_back(trim(current));
      current.clear();
    } else if (c != '\r') {
      current.push_back(c);
    }
  }
  cells.emplace_back(trim(current));
  return cells;
}

std::vector<std::string> csv_header(std::string_view text) {
  const auto lines = lines_of(text);
  for (const auto line : lines) {
    if (!trim(line).empty()) return split_csv_line(line);
  }
  return {};
}

mf::expected<csv_table> parse_csv_numbers(std::string_view text,
                                          const std::vector<std::string>& drop) {
  csv_table table;
  std::vector<bool> keep;
  std::size_t columns = 0;
  bool first = true;
  std::size_t line_no = 0;
  for (const auto line : lines_of(text)) {
    ++line_no;
    if (trim(line).empty()) continue;
    const auto cells = split_csv_line(line);
    if (first) {
      first = false;
      columns = cells.size();
      keep.assign(columns, true);
      double ignored = 0;
      const bool is_header = std::any_of(cells.begin(), cells.end(), [&](const std::string& c) {
        return !parse_number(c, ignored);
      });
      if (is_header) {
        table.header = cells;
        for (const auto& name : drop) {
          const auto it = std::find(cells.begin(), cells.end(), name);
          if (it == cells.end()) {
            return mf::make_error(errc::invalid_input,
                                  "column '" + name + "' is not in the header");
          }
          keep[static_cast<std::size_t>(it - cells.begin())] = false;
        }
        continue;
      }
      if (!drop.empty()) {
        return mf::make_error(errc::invalid_input, "the CSV has no header row, so column '" +
                                                       drop.front() + "' cannot be found");
      }
    }
    if (cells.size() != columns) {
      return mf::make_error(errc::invalid_input, "line " + std::to_string(line_no) + " has " +
                                                     std::to_string(cells.size()) +
                                                     " columns, expected " +
                                                     std::to_string(columns));
    }
    std::vector<double> row;
    row.reserve(columns);
    for (std::size_t c = 0; c < columns; ++c) {
      if (!keep[c]) continue;
      double value = 0;
      if (!parse_number(cells[c], value)) {
        return mf::make_error(errc::invalid_input, "line " + std::to_string(line_no) + ", column " +
                                                       std::to_string(c + 1) + ": '" + cells[c] +
                                                       "' is not a finite number");
      }
      row.push_back(value);
    }
    table.rows.push_back(std::move(row));
  }
  if (table.rows.empty()) return mf::make_error(errc::invalid_input, "the CSV has no data rows");
  return table;
}

}  // namespace mf::cli
