// error: the one error value of ModelFleet. Its codes map 1:1 to the REST API's error codes
// (shared API.md) and to the wire protocol's Error.code. Value type; not thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace mf {

// Numeric values are part of the wire protocol (protocol/*.capnp): never renumber.
enum class errc : std::uint16_t {
  ok = 0,
  malformed_json = 1,          // 400: body is not parseable
  invalid_field = 2,           // 400: a field has the wrong type or is missing
  invalid_name = 3,            // 400: tenant/model name fails the name rule
  unauthorized = 4,            // 401
  forbidden = 5,               // 403
  not_found = 6,               // 404: tenant, model, version, job
  conflict = 7,                // 409
  payload_too_large = 8,       // 413
  unsupported_media_type = 9,  // 415
  invalid_input = 10,          // 422: wrong feature count, NaN/Inf, unknown param, corrupt artifact
  overloaded = 11,             // 429
  unavailable = 12,            // 503: no worker holds the tenant, Redis down for a write
  deadline_exceeded = 13,      // 504
  internal = 14,               // 500: a bug or an unexpected failure of a dependency
  cancelled = 15,              // a training job was cancelled (never an HTTP answer by itself)
};

struct error {
  errc code = errc::internal;
  std::string message;

  friend bool operator==(const error&, const error&) = default;
};

inline error make_error(errc code, std::string message) { return error{code, std::move(message)}; }

// The snake_case name used in the REST error envelope and in logs.
constexpr std::string_view to_string(errc code) noexcept {
  switch (code) {
    case errc::ok: return "ok";
    case errc::malformed_json: return "malformed_json";
    case errc::invalid_field: return "invalid_field";
    case errc::invalid_name: return "invalid_name";
    case errc::unauthorized: return "unauthorized";
    case errc::forbidden: return "forbidden";
    case errc::not_found: return "not_found";
    case errc::conflict: return "conflict";
    case errc::payload_too_large: return "payload_too_large";
    case errc::unsupported_media_type: return "unsupported_media_type";
    case errc::invalid_input: return "invalid_input";
    case errc::overloaded: return "overloaded";
    case errc::unavailable: return "unavailable";
    case errc::deadline_exceeded: return "deadline_exceeded";
    case errc::internal: return "internal";
    case errc::cancelled: return "cancelled";
  }
  return "internal";
}

// The HTTP status that answers an error of this code.
constexpr int http_status(errc code) noexcept {
  switch (code) {
    case errc::ok: return 200;
    case errc::malformed_json:
    case errc::invalid_field:
    case errc::invalid_name: return 400;
    case errc::unauthorized: return 401;
    case errc::forbidden: return 403;
    case errc::not_found: return 404;
    case errc::conflict: return 409;
    case errc::payload_too_large: return 413;
    case errc::unsupported_media_type: return 415;
    case errc::invalid_input: return 422;
    case errc::overloaded: return 429;
    case errc::unavailable: return 503;
    case errc::deadline_exceeded: return 504;
    case errc::cancelled: return 409;
    case errc::internal: return 500;
  }
  return 500;
}

// Reverse of the numeric value, for decoders: unknown numbers become internal.
constexpr errc errc_from_number(std::uint16_t n) noexcept {
  return n <= static_cast<std::uint16_t>(errc::cancelled) ? static_cast<errc>(n) : errc::internal;
}

}  // namespace mf
