// Seeded garbage, truncated and mutated frames: decoding never crashes, never throws, and every
// failure is a typed error. Runs under ASan+UBSan in CI (label asan).
#include <doctest/doctest.h>

#include <cstddef>
#include <cstring>
#include <random>
#include <vector>

#include <capnp/message.h>

#include "protocol/codec.hpp"
#include "protocol/frame.hpp"
#include "sample_messages.hpp"

using namespace mf::protocol;

namespace {

using bytes = std::vector<std::byte>;

bytes to_bytes(const zmq::message_t& m) {
  const auto* p = static_cast<const std::byte*>(m.data());
  return bytes(p, p + m.size());
}

std::vector<bytes> valid_frames() {
  std::vector<bytes> out;
  for (const auto& e : test::sample_envelopes()) {
    auto frame = encode(e);
    REQUIRE(frame.has_value());
    out.push_back(to_bytes(*frame));
  }
  return out;
}

bool is_typed_failure(const mf::error& e) {
  return e.code == mf::errc::invalid_input || e.code == mf::errc::payload_too_large;
}

void put_u32(bytes& b, std::size_t at, std::uint32_t v) {
  std::memcpy(b.data() + at, &v, 4);
}

}  // namespace

TEST_CASE("10,000 seeded garbage, truncated and mutated frames decode without a crash") {
  const auto frames = valid_frames();
  std::mt19937_64 rng(0x6d6f64656c666c74ull);  // fixed seed: failures reproduce
  auto pick = [&](std::size_t n) { return static_cast<std::size_t>(rng() % n); };
  auto random_byte = [&] { return static_cast<std::byte>(rng() & 0xff); };

  int decoded = 0, rejected = 0, truncations = 0;
  for (int i = 0; i < 10'000; ++i) {
    bytes frame;
    bool truncated = false;
    switch (i % 6) {
      case 0: {  // pure noise, any length
        frame.resize(pick(1024));
        for (auto& b : frame) b = random_byte();
        break;
      }
      case 1: {  // noise with a plausible single-segment table
        frame.resize(8 * (1 + pick(64)));
        for (auto& b : frame) b = random_byte();
        put_u32(frame, 0, 0);
        put_u32(frame, 4, static_cast<std::uint32_t>(frame.size() / 8 - 1));
        break;
      }
      case 2: {  // a valid frame cut short
        frame = frames[pick(frames.size())];
        frame.resize(pick(frame.size()));
        truncated = true;
        break;
      }
      case 3: {  // a valid frame with a few bytes flipped (hits pointers, tags, sizes)
        frame = frames[pick(frames.size())];
        for (std::size_t k = 0, n = 1 + pick(8); k < n; ++k)
          frame[pick(frame.size())] = random_byte();
        break;
      }
      case 4: {  // a valid frame with one whole word replaced (forged pointers)
        frame = frames[pick(frames.size())];
        std::size_t word = 1 + pick(frame.size() / 8 - 1);
        for (std::size_t k = 0; k < 8; ++k) frame[8 * word + k] = random_byte();
        break;
      }
      default: {  // a valid frame with a lying segment table or trailing junk
        frame = frames[pick(frames.size())];
        if (rng() & 1) {
          put_u32(frame, 0, static_cast<std::uint32_t>(rng()));
          put_u32(frame, 4, static_cast<std::uint32_t>(rng()));
        } else {
          for (std::size_t k = 0, n = 8 * (1 + pick(4)); k < n; ++k) frame.push_back(random_byte());
        }
        break;
      }
    }
    auto out = decode(std::span<const std::byte>(frame));
    if (out) {
      ++decoded;
      // Whatever decoded is a valid message: it re-encodes and decodes to the same thing.
      auto again = encode(*out);
      REQUIRE(again.has_value());
      auto twice = decode(*again);
      REQUIRE(twice.has_value());
      CHECK(to_bytes(*encode(*twice)) == to_bytes(*again));
    } else {
      ++rejected;
      CHECK_MESSAGE(is_typed_failure(out.error()), out.error().message);
    }
    if (truncated) {
      ++truncations;
      CHECK_FALSE(out.has_value());  // every strict prefix of a frame is rejected
    }
  }
  MESSAGE("decoded " << decoded << ", rejected " << rejected);
  CHECK(decoded + rejected == 10'000);
  CHECK(rejected > 5'000);
  CHECK(truncations > 1'000);
}

TEST_CASE("frame-level checks run before Cap'n Proto") {
  const auto frames = valid_frames();
  const bytes& ping_like = frames.at(16);

  SUBCASE("size not a multiple of 8") {
    bytes b = ping_like;
    b.push_back(std::byte{0});
    auto out = decode(std::span<const std::byte>(b));
    REQUIRE_FALSE(out.has_value());
    CHECK(out.error().code == mf::errc::invalid_input);
  }
  SUBCASE("empty frame") {
    auto out = decode(std::span<const std::byte>());
    REQUIRE_FALSE(out.has_value());
    CHECK(out.error().code == mf::errc::invalid_input);
  }
  SUBCASE("segment count far above the limit") {
    bytes b = ping_like;
    put_u32(b, 0, 0xffffffffu);
    auto out = decode(std::span<const std::byte>(b));
    REQUIRE_FALSE(out.has_value());
    CHECK(out.error().code == mf::errc::invalid_input);
  }
  SUBCASE("segment sizes beyond the frame") {
    bytes b = ping_like;
    put_u32(b, 4, 0x7fffffffu);
    auto out = decode(std::span<const std::byte>(b));
    REQUIRE_FALSE(out.has_value());
    CHECK(out.error().code == mf::errc::invalid_input);
  }
  SUBCASE("an all-zero frame has no body") {
    bytes b(16, std::byte{0});
    put_u32(b, 4, 1);
    auto out = decode(std::span<const std::byte>(b));
    REQUIRE_FALSE(out.has_value());
    CHECK(out.error().code == mf::errc::invalid_input);
  }
  SUBCASE("unaligned bytes are copied, then decode") {
    for (const auto& f : frames) {
      std::vector<std::byte> storage(f.size() + 1);
      std::memcpy(storage.data() + 1, f.data(), f.size());
      auto out = decode(std::span<const std::byte>(storage.data() + 1, f.size()));
      CHECK(out.has_value());
    }
  }
}

TEST_CASE("size caps: global and per kind") {
  predict_request r{1, 0, "t", "m", std::nullopt, 4, std::vector<double>(4 * 1000, 1.0)};
  auto big = encode(make_envelope(r));
  REQUIRE(big.has_value());

  decode_limits small;
  small.max_frame_bytes = 4096;
  auto out = decode(*big, small);
  REQUIRE_FALSE(out.has_value());
  CHECK(out.error().code == mf::errc::payload_too_large);

  // A control message may not use the data cap.
  worker_stats stats{test::sample_node_info(), {}};
  stats.models.assign(200, loaded_model{"tenant", "model", 1, 2, 3});
  auto heartbeat = encode(envelope{header{}, node_heartbeat{test::sample_node_info()}});
  REQUIRE(heartbeat.has_value());
  decode_limits tight;
  tight.max_control_frame_bytes = 64;
  out = decode(*heartbeat, tight);
  REQUIRE_FALSE(out.has_value());
  CHECK(out.error().code == mf::errc::payload_too_large);
  // ...while worker stats (a data kind) may.
  auto stats_frame = encode(envelope{header{}, stats});
  REQUIRE(stats_frame.has_value());
  CHECK(stats_frame->size() > 64);
  CHECK(decode(*stats_frame, tight).has_value());
}

TEST_CASE("a traversal-limit overrun is an error, not an exception") {
  // The limit is what stops a forged frame whose pointers alias one big list (small on the
  // wire, huge to traverse); here a limit below the frame's own size must trip it cleanly.
  capnp::MallocMessageBuilder builder;
  auto env = builder.initRoot<wire::Envelope>();
  auto assign = env.getBody().initTrainAssign();
  auto data = assign.initDataset();
  data.setNFeatures(1);
  auto features = data.initFeatures(2000);
  for (capnp::uint i = 0; i < 2000; ++i) features.set(i, 1.0);
  auto frame = to_zmq_message(builder);
  REQUIRE(frame.has_value());
  decode_limits limits;
  limits.traversal_factor = 0;  // traversal limit 1,024 words < 2,000 doubles
  auto out = decode(*frame, limits);
  REQUIRE_FALSE(out.has_value());
  CHECK(out.error().code == mf::errc::invalid_input);
}

TEST_CASE("relay offsets of garbage and mutated frames stay inside the frame") {
  std::mt19937_64 rng(11);
  auto frames = valid_frames();
  std::size_t found = 0;
  for (int i = 0; i < 20000; ++i) {
    bytes b;
    if (i % 2 == 0) {
      b.resize(rng() % 256);
      for (auto& x : b) x = static_cast<std::byte>(rng());
    } else {
      b = frames[rng() % frames.size()];
      for (int flips = 0; flips < 4 && !b.empty(); ++flips)
        b[rng() % b.size()] = static_cast<std::byte>(rng());
    }
    if (auto offset = header_words_offset(b)) {
      ++found;
      CHECK(*offset + 16 <= b.size());
      CHECK(*offset % 8 == 0);
    }
  }
  MESSAGE("garbage/mutated frames with a usable header: " << found << " of 20000");
}
