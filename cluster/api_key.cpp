#include "cluster/api_key.hpp"

#include <sodium.h>

#include <cstdlib>

namespace mf::cluster {
namespace {

void ensure_sodium() {
  static const bool ready = [] { return sodium_init() >= 0; }();
  if (!ready) std::abort();  // no safe randomness: refusing to mint keys is the only option
}

std::string to_hex(const unsigned char* p, std::size_t n) {
  std::string out(n * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), p, n);
  out.pop_back();
  return out;
}

std::string random_hex(std::size_t bytes) {
  ensure_sodium();
  unsigned char buf[64];
  randombytes_buf(buf, bytes);
  auto s = to_hex(buf, bytes);
  sodium_memzero(buf, sizeof(buf));
  return s;
}

}  // namespace

std::string generate_api_key() {
  return "mfk_" + random_hex(32);
}

std::string generate_key_id() {
  return random_hex(8);
}

sha256_digest sha256(std::string_view bytes) {
  static_assert(std::tuple_size_v<sha256_digest> == crypto_hash_sha256_BYTES);
  ensure_sodium();
  sha256_digest out{};
  crypto_hash_sha256(out.data(), reinterpret_cast<const unsigned char*>(bytes.data()),
                     bytes.size());
  return out;
}

std::string to_hex(const sha256_digest& digest) {
  return to_hex(digest.data(), digest.size());
}

std::string sha256_hex(std::string_view bytes) {
  return to_hex(sha256(bytes));
}

std::string hash_api_key(std::string_view secret) {
  return sha256_hex(secret);
}

bool constant_time_equal(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace mf::cluster
