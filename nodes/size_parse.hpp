// size_parse: human sizes ("2GiB", "512MiB", "1.5GB", "1048576") to bytes, for flags/config.
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/expected.hpp"

namespace mf::nodes {

// Binary units KiB/MiB/GiB/TiB (and K/M/G/T), decimal KB/MB/GB/TB, optional "B"; a bare
// number is bytes. Case-insensitive, spaces between number and unit allowed.
mf::expected<std::uint64_t> parse_size(std::string_view text);
std::string format_size(std::uint64_t bytes);  // "2GiB", "1536MiB", "123B"

}  // namespace mf::nodes
