// Name rule of tenants, models and nodes (API.md): ^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$, not "."/"..".
// Pure functions; thread-safe.
#pragma once

#include <string_view>

#include "common/expected.hpp"

namespace mf::cluster {

// True if `name` may be used as a tenant/model/node name. Such a name never contains '/', ':'
// or NUL, so it is safe as a path component and as a Redis key segment.
bool is_valid_name(std::string_view name) noexcept;

// errc::invalid_name naming `what` ("tenant", "model", ...) when the name fails the rule.
expected<void> check_name(std::string_view what, std::string_view name);

}  // namespace mf::cluster
