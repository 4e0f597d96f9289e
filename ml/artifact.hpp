// artifact: the on-disk/over-the-wire model format: a checksummed envelope + dlib-serialized
// payload. Stateless functions, thread-safe. Loading never trusts its input (see docs/ml.md
// "Artifact").
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/expected.hpp"
#include "ml/model.hpp"

namespace mf::ml {

inline constexpr std::size_t max_artifact_bytes = 256u << 20;

// Envelope + payload, ready for a blob store or an HTTP body. Deterministic for a given model.
std::string serialize_artifact(const model&);

struct artifact_info {
  std::string algorithm;
  std::size_t n_features = 0;
  mf::ml::metrics metrics;
  std::int64_t created_unix_ms = 0;
  std::string sha256_hex;  // of the WHOLE artifact bytes
  std::size_t size_bytes = 0;
};

// Validates the envelope (magic, version, lengths, both checksums, metadata); does not touch dlib.
mf::expected<artifact_info> inspect_artifact(std::string_view bytes);
// Full validation, then deserializes the payload. Any corrupt/truncated/foreign blob ->
// invalid_input.
mf::expected<std::shared_ptr<const model>> load_artifact(std::string_view bytes);

struct load_options {
  // Validation metrics (still checked) are kept on the model. A serving worker reads them from
  // the registry, never from the loaded model: dropping them saves ~300 B per small model.
  bool keep_metrics = true;
};
mf::expected<std::shared_ptr<const model>> load_artifact(std::string_view bytes,
                                                         const load_options& options);

// Lower-case hex SHA-256 (OpenSSL).
std::string sha256_hex(std::string_view bytes);

}  // namespace mf::ml
