#include "cluster/names.hpp"

#include <string>

namespace mf::cluster {
namespace {

constexpr bool is_alnum(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

}  // namespace

bool is_valid_name(std::string_view name) noexcept {
  if (name.empty() || name.size() > 64) return false;
  if (!is_alnum(name[0])) return false;  // also rules out "." and ".."
  for (char c : name.substr(1)) {
    if (!is_alnum(c) && c != '_' && c != '.' && c != '-') return false;
  }
  return true;
}

expected<void> check_name(std::string_view what, std::string_view name) {
  if (is_valid_name(name)) return {};
  std::string shown(name.substr(0, 80));
  for (char& c : shown) {
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) c = '?';
  }
  return make_error(errc::invalid_name, std::string(what) + " name '" + shown +
                                            "' must match ^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$");
}

}  // namespace mf::cluster
