// API keys: random 256-bit secrets (libsodium randombytes), stored only as hex SHA-256.
// Pure functions; thread-safe (libsodium is initialised once, internally synchronised).
#pragma once

#include <array>
#include <string>
#include <string_view>

namespace mf::cluster {

// "mfk_" + 64 hex chars of fresh randomness.
std::string generate_api_key();
// 16 hex chars of randomness: the public id of a key.
std::string generate_key_id();
// Lower-case hex SHA-256 of the secret: what the registry stores and looks up.
std::string hash_api_key(std::string_view secret);
// Lower-case hex SHA-256 of arbitrary bytes (artifact checksums).
std::string sha256_hex(std::string_view bytes);
// The raw SHA-256, and its lower-case hex: hash_api_key(s) == to_hex(sha256(s)). For callers
// that need the digest and the hex of one secret (the router hashes a request's token once).
using sha256_digest = std::array<unsigned char, 32>;
sha256_digest sha256(std::string_view bytes);
std::string to_hex(const sha256_digest& digest);
// Constant-time equality of two strings of the same length (false if lengths differ).
bool constant_time_equal(std::string_view a, std::string_view b) noexcept;

}  // namespace mf::cluster
