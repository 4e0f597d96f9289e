// frame: see frame.hpp. The checks here run before Cap'n Proto parses anything, because
// FlatArrayMessageReader trusts the segment table it is given.
#include "protocol/frame.hpp"

#include <bit>
#include <cstring>
#include <exception>
#include <string>

namespace mf::protocol {
namespace {

static_assert(std::endian::native == std::endian::little,
              "Cap'n Proto segment tables are little-endian; add byte swapping for this target");

constexpr std::size_t word_bytes = sizeof(capnp::word);

mf::error malformed(std::string what) {
  return mf::make_error(mf::errc::invalid_input, "malformed frame: " + std::move(what));
}

std::uint32_t load_u32(const std::byte* p) {
  std::uint32_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// Words taken by the segment table of a message with `segments` segments: one uint32 count,
// one uint32 size per segment, padded to a whole word.
std::size_t table_words(std::uint64_t segments) {
  return (segments + 2) / 2;
}

}  // namespace

bool is_data_kind(wire::Envelope::Body::Which kind) noexcept {
  using B = wire::Envelope::Body;
  switch (kind) {
    case B::PREDICT_REQUEST:
    case B::PREDICT_REPLY:
    case B::TRAIN_ASSIGN:
    case B::WORKER_STATS_REPLY:
    case B::PREDICT_BATCH_REQUEST:
    case B::PREDICT_BATCH_REPLY:
      return true;
    default:
      return false;
  }
}

frame_reader::~frame_reader() = default;

mf::expected<frame_reader> frame_reader::open(zmq::message_t frame, const decode_limits& limits) {
  try {
    frame_reader r;
    r.frame_ = std::make_unique<zmq::message_t>(std::move(frame));
    auto parsed =
        r.parse(static_cast<const std::byte*>(r.frame_->data()), r.frame_->size(), limits);
    if (!parsed) return std::move(parsed).error();
    return r;
  } catch (const std::exception& e) {
    return mf::make_error(mf::errc::internal, std::string("frame open: ") + e.what());
  } catch (...) {
    return mf::make_error(mf::errc::internal, "frame open: unknown exception");
  }
}

mf::expected<frame_reader> frame_reader::open(std::span<const std::byte> bytes,
                                              const decode_limits& limits) {
  try {
    frame_reader r;
    auto parsed = r.parse(bytes.data(), bytes.size(), limits);
    if (!parsed) return std::move(parsed).error();
    return r;
  } catch (const std::exception& e) {
    return mf::make_error(mf::errc::internal, std::string("frame open: ") + e.what());
  } catch (...) {
    return mf::make_error(mf::errc::internal, "frame open: unknown exception");
  }
}

mf::expected<void> frame_reader::parse(const std::byte* data, std::size_t size,
                                       const decode_limits& limits) {
  size_bytes_ = size;
  const std::size_t hard_cap = std::max(limits.max_frame_bytes, limits.max_control_frame_bytes);
  if (size > hard_cap) {
    return mf::make_error(mf::errc::payload_too_large, "frame of " + std::to_string(size) +
                                                           " bytes exceeds the cap of " +
                                                           std::to_string(hard_cap));
  }
  if (size == 0) return malformed("empty");
  if (size % word_bytes != 0) return malformed("size is not a multiple of 8 bytes");
  const std::size_t words = size / word_bytes;

  // Segment table: count-1, then one size per segment, all in words.
  const std::uint64_t segments = std::uint64_t{load_u32(data)} + 1;
  if (segments > limits.max_segments) {
    return malformed("segment count " + std::to_string(segments) + " exceeds " +
                     std::to_string(limits.max_segments));
  }
  const std::size_t header_words = table_words(segments);
  if (header_words > words) return malformed("truncated segment table");
  std::uint64_t body_words = 0;
  for (std::uint64_t i = 0; i < segments; ++i) {
    body_words += load_u32(data + 4 + 4 * i);  // ≤ 64 * 2^32: no overflow
  }
  if (header_words + body_words != words) {
    return malformed(header_words + body_words > words ? "truncated (segments exceed the frame)"
                                                       : "trailing bytes after the message");
  }
  if (body_words == 0) return malformed("no root pointer");

  // Cap'n Proto reads words in place: give it 8-byte-aligned memory. zmq buffers usually are,
  // but small messages live inside the zmq_msg_t and may not be.
  const capnp::word* base = reinterpret_cast<const capnp::word*>(data);
  if (reinterpret_cast<std::uintptr_t>(data) % alignof(capnp::word) != 0) {
    aligned_copy_ = kj::heapArray<capnp::word>(words);
    std::memcpy(aligned_copy_.begin(), data, size);
    base = aligned_copy_.begin();
  }

  capnp::ReaderOptions options;
  options.traversalLimitInWords = limits.traversal_factor * words + 1024;
  options.nestingLimit = limits.nesting_limit;
  try {
    reader_ = std::make_unique<capnp::FlatArrayMessageReader>(kj::arrayPtr(base, words), options);
    root_ = reader_->getRoot<wire::Envelope>();
    kind_ = root_.getBody().which();
  } catch (const kj::Exception& e) {
    reader_.reset();
    return malformed(e.getDescription().cStr());
  }
  if (kind_ == wire::Envelope::Body::UNSET) return malformed("envelope has no body");
  if (kind_ > wire::Envelope::Body::PREDICT_BATCH_REPLY) {  // the last member this build knows
    return malformed("unknown body kind " + std::to_string(static_cast<unsigned>(kind_)));
  }
  if (!is_data_kind(kind_) && size > limits.max_control_frame_bytes) {
    return mf::make_error(mf::errc::payload_too_large,
                          "control frame of " + std::to_string(size) +
                              " bytes exceeds the cap of " +
                              std::to_string(limits.max_control_frame_bytes));
  }
  if (is_data_kind(kind_) && size > limits.max_frame_bytes) {
    return mf::make_error(mf::errc::payload_too_large, "frame of " + std::to_string(size) +
                                                           " bytes exceeds the cap of " +
                                                           std::to_string(limits.max_frame_bytes));
  }
  return {};
}

mf::expected<zmq::message_t> to_zmq_message(capnp::MessageBuilder& builder) noexcept {
  try {
    auto segments = builder.getSegmentsForOutput();
    const std::size_t header_words = table_words(segments.size());
    std::size_t total_words = header_words;
    for (auto segment : segments) total_words += segment.size();

    zmq::message_t message(total_words * word_bytes);
    auto* out = static_cast<std::byte*>(message.data());
    // Zero the padding word half (odd segment counts leave 4 bytes unused).
    std::memset(out, 0, header_words * word_bytes);
    const std::uint32_t count_minus_one = static_cast<std::uint32_t>(segments.size() - 1);
    std::memcpy(out, &count_minus_one, 4);
    for (std::size_t i = 0; i < segments.size(); ++i) {
      const auto segment_words = static_cast<std::uint32_t>(segments[i].size());
      std::memcpy(out + 4 + 4 * i, &segment_words, 4);
    }
    std::byte* cursor = out + header_words * word_bytes;
    for (auto segment : segments) {
      std::memcpy(cursor, segment.begin(), segment.size() * word_bytes);
      cursor += segment.size() * word_bytes;
    }
    return message;
  } catch (const kj::Exception& e) {
    return mf::make_error(mf::errc::internal, std::string("encode: ") + e.getDescription().cStr());
  } catch (const std::exception& e) {
    return mf::make_error(mf::errc::internal, std::string("encode: ") + e.what());
  } catch (...) {
    return mf::make_error(mf::errc::internal, "encode: unknown exception");
  }
}

std::optional<std::size_t> header_words_offset(std::span<const std::byte> frame) noexcept {
  static_assert(std::endian::native == std::endian::little, "wire words are little-endian");
  constexpr std::size_t word_bytes = 8;
  if (frame.size() < 16) return std::nullopt;
  std::uint32_t segments_minus_one = 0, segment0_words = 0;
  std::memcpy(&segments_minus_one, frame.data(), 4);
  std::memcpy(&segment0_words, frame.data() + 4, 4);
  if (segments_minus_one >= 512) return std::nullopt;
  std::size_t table_bytes = 4 + 4 * (std::size_t{segments_minus_one} + 1);
  table_bytes = (table_bytes + word_bytes - 1) / word_bytes * word_bytes;
  if (segment0_words < 1 || table_bytes + std::size_t{segment0_words} * word_bytes > frame.size())
    return std::nullopt;
  std::uint64_t root = 0;
  std::memcpy(&root, frame.data() + table_bytes, word_bytes);
  if ((root & 3) != 0) return std::nullopt;  // not a struct pointer (far, list, capability)
  // Bits 2..31: signed offset in words from the end of the pointer to the struct's data.
  const auto offset_words = static_cast<std::int32_t>(static_cast<std::uint32_t>(root)) >> 2;
  const auto data_words = static_cast<std::uint16_t>(root >> 32);
  const std::int64_t start = 1 + static_cast<std::int64_t>(offset_words);
  if (start < 1 || data_words < 2 || start + 2 > static_cast<std::int64_t>(segment0_words))
    return std::nullopt;
  return table_bytes + static_cast<std::size_t>(start) * word_bytes;
}

void patch_header_word(zmq::message_t& frame, std::size_t offset, std::uint64_t value) noexcept {
  if (offset + 8 > frame.size()) return;
  std::memcpy(static_cast<std::byte*>(frame.data()) + offset, &value, 8);
}

}  // namespace mf::protocol
