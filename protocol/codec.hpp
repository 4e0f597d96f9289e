// codec: envelope (C++ value structs) <-> one ZeroMQ frame holding a Cap'n Proto Envelope.
// All functions are thread-safe (no shared state) and never throw.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

#include <zmq.hpp>

#include "common/expected.hpp"
#include "protocol/frame.hpp"
#include "protocol/messages.hpp"

namespace mf::protocol {

// Builds the frame for `message`. A predict_request / predict_reply body overrides the header's
// request id (and, for requests, deadline and tenant) with its own fields.
mf::expected<zmq::message_t> encode(const envelope& message) noexcept;

// The frame of a predictBatchRequest with `items` (pointers: the router keeps its requests for
// a retry and encodes them straight from there). 1..max_batch_items items.
mf::expected<zmq::message_t> encode_predict_batch(std::span<const predict_request* const> items,
                                                  const std::string& sender) noexcept;

// Decodes and validates a frame. Malformed, truncated or insane content (features.size() not
// a multiple of nFeatures, more than max_predict_rows rows, NaN/Inf features, unknown enum
// values, ...) is errc::invalid_input; a frame over its cap is errc::payload_too_large.
mf::expected<envelope> decode(const zmq::message_t& frame,
                              const decode_limits& limits = {}) noexcept;
mf::expected<envelope> decode(std::span<const std::byte> frame,
                              const decode_limits& limits = {}) noexcept;
// Typed conversion of an already opened frame.
mf::expected<envelope> decode(const frame_reader& frame) noexcept;

// The schema name of a body kind ("predictRequest", ...), for logs and errors.
std::string_view kind_name(const body& b) noexcept;

}  // namespace mf::protocol
