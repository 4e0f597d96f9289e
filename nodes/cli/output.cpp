#include "nodes/cli/output.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace mf::cli {

table::table(std::vector<std::string> headers) : headers_(std::move(headers)) {}

void table::add_row(std::vector<std::string> cells) {
  cells.resize(headers_.size());
  rows_.push_back(std::move(cells));
}

void table::print(std::ostream& out) const {
  std::vector<std::size_t> widths(headers_.size());
  for (std::size_t c = 0; c < headers_.size(); ++c) widths[c] = headers_[c].size();
  for (const auto& row : rows_) {
    for (std::size_t c = 0; c < row.size(); ++c) widths[c] = std::max(widths[c], row[c].size());
  }
  auto print_row = [&](const std::vector<std::string>& row) {
    std::string line;
    for (std::size_t c = 0; c < row.size(); ++c) {
      line += row[c];
      if (c + 1 < row.size()) line += std::string(widths[c] - row[c].size() + 2, ' ');
    }
    out << line << '\n';
  };
  print_row(headers_);
  for (const auto& row : rows_) print_row(row);
}

namespace {

std::string number_text(double v) {
  if (std::isfinite(v) && v == std::floor(v) && std::fabs(v) < 1e15) {
    return std::to_string(static_cast<long long>(v));
  }
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.4f", v);
  std::string s(buf);
  while (!s.empty() && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

}  // namespace

std::string cell(const nlohmann::json& value) {
  switch (value.type()) {
    case nlohmann::json::value_t::null:
    case nlohmann::json::value_t::discarded:
      return "-";
    case nlohmann::json::value_t::string:
      return value.get<std::string>();
    case nlohmann::json::value_t::boolean:
      return value.get<bool>() ? "yes" : "no";
    case nlohmann::json::value_t::number_integer:
      return std::to_string(value.get<long long>());
    case nlohmann::json::value_t::number_unsigned:
      return std::to_string(value.get<unsigned long long>());
    case nlohmann::json::value_t::number_float:
      return number_text(value.get<double>());
    case nlohmann::json::value_t::array: {
      std::string out;
      for (const auto& item : value) {
        if (!out.empty()) out += ",";
        out += cell(item);
      }
      return out.empty() ? "-" : out;
    }
    default:
      return value.dump();
  }
}

std::string cell(const nlohmann::json& object, const char* key) {
  if (!object.is_object() || !object.contains(key)) return "-";
  return cell(object.at(key));
}

std::string human_bytes(double bytes) {
  static constexpr const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int unit = 0;
  while (std::fabs(bytes) >= 1024.0 && unit < 4) {
    bytes /= 1024.0;
    ++unit;
  }
  char buf[32];
  if (unit == 0) {
    std::snprintf(buf, sizeof buf, "%.0f B", bytes);
  } else {
    std::snprintf(buf, sizeof buf, "%.1f %s", bytes, units[unit]);
  }
  return buf;
}

std::string metrics_text(const nlohmann::json& metrics) {
  if (!metrics.is_object()) return "-";
  std::string primary = metrics.contains("primary") && metrics["primary"].is_string()
                            ? metrics["primary"].get<std::string>()
                            : std::string();
  std::string out;
  auto add = [&](const std::string& name, const nlohmann::json& value) {
    if (!out.empty()) out += " ";
    out += name + "=" + cell(value);
  };
  if (!primary.empty() && metrics.contains(primary)) add(primary, metrics[primary]);
  for (const auto& [name, value] : metrics.items()) {
    if (name == "primary" || name == primary) continue;
    add(name, value);
  }
  return out.empty() ? "-" : out;
}

std::string progress_bar(double fraction, int width) {
  if (!std::isfinite(fraction)) fraction = 0;
  fraction = std::clamp(fraction, 0.0, 1.0);
  const int filled = static_cast<int>(std::lround(fraction * width));
  char pct[8];
  std::snprintf(pct, sizeof pct, "%3d%%", static_cast<int>(std::lround(fraction * 100)));
  return "[" + std::string(filled, '#') + std::string(width - filled, '-') + "] " + pct;
}

}  // namespace mf::cli
