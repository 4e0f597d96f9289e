// libFuzzer target: any byte string fed to the protocol decoder. Checks that decoding never
// crashes or throws, that failures are typed, and that whatever decodes re-encodes stably.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <span>
#include <vector>

#include "protocol/codec.hpp"
#include "protocol/frame.hpp"

using namespace mf::protocol;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // Smaller caps than production keep each run fast; the checks are the same.
  decode_limits limits;
  limits.max_frame_bytes = 1 << 20;
  limits.max_control_frame_bytes = 64 << 10;

  // libFuzzer's buffer has no alignment guarantee: this also exercises the unaligned path.
  auto bytes = std::span<const std::byte>(reinterpret_cast<const std::byte*>(data), size);
  auto out = decode(bytes, limits);
  if (!out) {
    const auto code = out.error().code;
    if (code != mf::errc::invalid_input && code != mf::errc::payload_too_large) std::abort();
    return 0;
  }
  // Round trip: a decoded envelope must encode, decode again, and encode to the same bytes.
  auto first = encode(*out);
  if (!first) std::abort();
  auto again = decode(*first);
  if (!again) std::abort();
  auto second = encode(*again);
  if (!second || second->size() != first->size() ||
      std::memcmp(second->data(), first->data(), first->size()) != 0) {
    std::abort();
  }
  return 0;
}
