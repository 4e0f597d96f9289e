// frame: one ZeroMQ frame <-> one Cap'n Proto Envelope, with every safety check done before
// Cap'n Proto sees a byte. Functions are thread-safe; a frame_reader is not (one owner).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>

#include <capnp/message.h>
#include <capnp/serialize.h>
#include <zmq.hpp>

#include "common/expected.hpp"
#include "modelfleet.capnp.h"

namespace mf::protocol {

// Limits applied to every decoded frame. Frames above a cap are errc::payload_too_large;
// anything else wrong with the bytes is errc::invalid_input.
struct decode_limits {
  // Data-carrying kinds (predict request/reply, train assign, worker stats).
  std::size_t max_frame_bytes = std::size_t{64} << 20;
  // Every other kind (events, heartbeats, admin calls) is small: a large one is an attack or a bug.
  std::size_t max_control_frame_bytes = std::size_t{1} << 20;
  // A well-formed frame has 1 segment; the builder may emit a few for big messages.
  std::uint32_t max_segments = 64;
  // Our schema nests at most 4 deep (Envelope > WorkerStats > List > LoadedModel).
  int nesting_limit = 16;
  // Traversal limit = factor * frame words + 1024: reading every field once costs about one
  // frame; the factor leaves room for re-reads while still stopping amplification attacks.
  std::uint64_t traversal_factor = 4;
};

// True if the body kind is allowed the large cap (max_frame_bytes), not the control one.
bool is_data_kind(wire::Envelope::Body::Which kind) noexcept;

// A validated, opened frame. Owns the zmq message (or an aligned copy of its bytes) for as long
// as the Cap'n Proto reader lives, so root() stays valid. Move-only.
class frame_reader {
 public:
  // Checks size, alignment, the segment table and the per-kind cap; never throws.
  static mf::expected<frame_reader> open(zmq::message_t frame, const decode_limits& limits = {});
  // Same on borrowed bytes, which must outlive the reader (copied only if unaligned).
  static mf::expected<frame_reader> open(std::span<const std::byte> bytes,
                                         const decode_limits& limits = {});

  // Accessors of the returned reader may throw kj::Exception on a malicious frame: call them
  // inside a try (decode() in codec.hpp does).
  wire::Envelope::Reader root() const { return root_; }
  wire::Envelope::Body::Which kind() const { return kind_; }
  std::size_t size_bytes() const { return size_bytes_; }

  frame_reader(frame_reader&&) noexcept = default;
  frame_reader& operator=(frame_reader&&) noexcept = default;
  ~frame_reader();

 private:
  frame_reader() = default;
  mf::expected<void> parse(const std::byte* data, std::size_t size, const decode_limits& limits);

  // Heap-held: a small zmq message stores its bytes inside the message_t itself, so moving the
  // message_t would move the bytes out from under the reader.
  std::unique_ptr<zmq::message_t> frame_;
  kj::Array<capnp::word> aligned_copy_;  // used when the frame bytes are not 8-byte aligned
  std::unique_ptr<capnp::FlatArrayMessageReader> reader_;
  wire::Envelope::Reader root_;
  wire::Envelope::Body::Which kind_ = wire::Envelope::Body::UNSET;
  std::size_t size_bytes_ = 0;
};

// Relaying without decoding (the router's front door): the byte offset of the Envelope's first
// data word (requestId; deadlineUnixMs is the next word) in a frame frame_reader::open accepted,
// when the root is a near struct pointer in segment 0 with both words present — what every
// Cap'n Proto encoder writes for a single-segment message; nullopt otherwise (decode instead).
std::optional<std::size_t> header_words_offset(std::span<const std::byte> frame) noexcept;
// Overwrites the little-endian 64-bit word at `offset` (from header_words_offset) in place.
void patch_header_word(zmq::message_t& frame, std::size_t offset, std::uint64_t value) noexcept;

// Serializes a built message into a new zmq message with a single copy (segment table and
// segments written straight into the zmq buffer). Never throws.
mf::expected<zmq::message_t> to_zmq_message(capnp::MessageBuilder& builder) noexcept;

}  // namespace mf::protocol
