// artifact: envelope encoding/validation, SHA-256, and the guarded payload load.
//
// Layout (little-endian):
//   0  "MFM1"            4  format version (u32, 1)   8  meta length (u32)   12 payload length
//   (u64) 20 SHA-256(payload)  52 SHA-256(bytes 0..52 ++ meta) 84 meta: algorithm, n_features,
//   created ms, class labels, scaler, metrics (see encode_meta) 84+meta_len payload: dlib
//   serialization primitives written by the algorithm (payload_writer)
// The total length must match exactly; both checksums are verified before any field is trusted
// beyond its cap, and before a single payload byte is parsed.
#include "ml/artifact.hpp"

#include <openssl/evp.h>

#include <array>
#include <cmath>
#include <cstring>
#include <exception>
#include <new>

#include "ml/internal.hpp"

namespace mf::ml {
namespace {

constexpr char magic[4] = {'M', 'F', 'M', '1'};
constexpr std::uint32_t format_version = 1;
constexpr std::size_t prefix_size = 84;
constexpr std::size_t max_meta_bytes = 16u << 20;
constexpr std::size_t max_features = 100000;
constexpr std::size_t max_classes = 100000;
constexpr std::size_t max_metrics = 32;
constexpr std::size_t max_name = 64;

using digest = std::array<unsigned char, 32>;

digest sha256(std::string_view a, std::string_view b = {}) {
  digest out{};
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  unsigned int len = 0;
  const bool ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr) == 1 &&
                  EVP_DigestUpdate(ctx, a.data(), a.size()) == 1 &&
                  EVP_DigestUpdate(ctx, b.data(), b.size()) == 1 &&
                  EVP_DigestFinal_ex(ctx, out.data(), &len) == 1;
  EVP_MD_CTX_free(ctx);
  if (!ok) out.fill(0);  // cannot match a real digest: the artifact is then rejected
  return out;
}

class byte_writer {
 public:
  explicit byte_writer(std::string& out) : out_(out) {}
  template <class T>
  void put(T v) {
    static_assert(std::is_trivially_copyable_v<T>);
    std::uint64_t bits = 0;
    std::memcpy(&bits, &v, sizeof(T));
    for (std::size_t i = 0; i < sizeof(T); ++i)
      out_.push_back(static_cast<char>((bits >> (8 * i)) & 0xff));
  }
  void name(std::string_view s) {
    put(static_cast<std::uint8_t>(s.size()));
    out_.append(s);
  }

 private:
  std::string& out_;
};

struct meta_error {
  std::string message;
};

class byte_reader {
 public:
  explicit byte_reader(std::string_view in) : in_(in) {}
  template <class T>
  T get() {
    static_assert(std::is_trivially_copyable_v<T>);
    if (in_.size() - pos_ < sizeof(T)) throw meta_error{"artifact metadata is truncated"};
    std::uint64_t bits = 0;
    for (std::size_t i = 0; i < sizeof(T); ++i) {
      bits |= static_cast<std::uint64_t>(static_cast<unsigned char>(in_[pos_ + i])) << (8 * i);
    }
    pos_ += sizeof(T);
    T v;
    std::memcpy(&v, &bits, sizeof(T));
    return v;
  }
  std::string name(std::size_t min_len) {
    const std::size_t n = get<std::uint8_t>();
    if (n < min_len || n > max_name || in_.size() - pos_ < n)
      throw meta_error{"artifact metadata has a bad name"};
    std::string s(in_.substr(pos_, n));
    pos_ += n;
    return s;
  }
  std::vector<double> doubles(std::size_t n) {
    if ((in_.size() - pos_) / 8 < n) throw meta_error{"artifact metadata is truncated"};
    std::vector<double> v(n);
    for (auto& x : v) {
      x = get<double>();
      if (!std::isfinite(x)) throw meta_error{"artifact metadata holds a non-finite number"};
    }
    return v;
  }
  bool at_end() const { return pos_ == in_.size(); }

 private:
  std::string_view in_;
  std::size_t pos_ = 0;
};

std::string encode_meta(const model_meta& m) {
  std::string out;
  byte_writer w(out);
  w.name(m.algorithm);
  w.put(static_cast<std::uint32_t>(m.n_features));
  w.put(static_cast<std::int64_t>(m.created_unix_ms));
  w.put(static_cast<std::uint32_t>(m.classes.size()));
  for (double c : m.classes) w.put(c);
  w.put(static_cast<std::uint8_t>(m.scale_mean.empty() ? 0 : 1));
  for (double v : m.scale_mean) w.put(v);
  for (double v : m.scale_inv_std) w.put(v);
  w.put(static_cast<std::uint8_t>(m.validation.values.size()));
  for (const auto& [name, value] : m.validation.values) {
    w.name(name);
    w.put(value);
  }
  w.name(m.validation.primary);
  return out;
}

model_meta decode_meta(std::string_view bytes) {
  byte_reader r(bytes);
  model_meta m;
  m.algorithm = r.name(1);
  const auto* info = detail::find_algorithm(m.algorithm);
  if (!info) throw meta_error{"artifact names an unknown algorithm"};
  m.n_features = r.get<std::uint32_t>();
  if (m.n_features == 0 || m.n_features > max_features)
    throw meta_error{"artifact has a bad feature count"};
  m.created_unix_ms = r.get<std::int64_t>();
  const std::size_t n_classes = r.get<std::uint32_t>();
  const bool classifier = info->kind == detail::task::classification;
  if (classifier ? (n_classes < 2 || n_classes > std::min(max_classes, info->max_classes))
                 : n_classes != 0) {
    throw meta_error{"artifact has a bad class count for " + m.algorithm};
  }
  m.classes = r.doubles(n_classes);
  for (std::size_t i = 0; i < n_classes; ++i) {
    if (std::floor(m.classes[i]) != m.classes[i] || (i > 0 && m.classes[i] <= m.classes[i - 1])) {
      throw meta_error{"artifact class labels are not ascending integers"};
    }
  }
  const auto scaled = r.get<std::uint8_t>();
  if (scaled != (info->scaled ? 1 : 0))
    throw meta_error{"artifact scaler does not match " + m.algorithm};
  if (scaled) {
    m.scale_mean = r.doubles(m.n_features);
    m.scale_inv_std = r.doubles(m.n_features);
  }
  const std::size_t n_metrics = r.get<std::uint8_t>();
  if (n_metrics > max_metrics) throw meta_error{"artifact has too many metrics"};
  for (std::size_t i = 0; i < n_metrics; ++i) {
    auto name = r.name(1);
    m.validation.values[std::move(name)] = r.get<double>();
  }
  m.validation.primary = r.name(0);
  if (!r.at_end()) throw meta_error{"artifact metadata has trailing bytes"};
  return m;
}

std::uint64_t read_le(std::string_view b, std::size_t at, std::size_t n) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < n; ++i)
    v |= static_cast<std::uint64_t>(static_cast<unsigned char>(b[at + i])) << (8 * i);
  return v;
}

struct decoded {
  model_meta meta;
  std::string_view payload;
};

mf::error invalid(std::string message) {
  return mf::make_error(errc::invalid_input, std::move(message));
}

// Every check that needs no dlib: sizes, magic, version, checksums, metadata.
mf::expected<decoded> decode(std::string_view bytes) {
  if (bytes.size() > max_artifact_bytes) return invalid("artifact exceeds 256 MiB");
  if (bytes.size() < prefix_size)
    return invalid("artifact is truncated (" + std::to_string(bytes.size()) + " bytes)");
  if (std::memcmp(bytes.data(), magic, 4) != 0)
    return invalid("not a ModelFleet artifact (bad magic)");
  if (read_le(bytes, 4, 4) != format_version) {
    return invalid("unsupported artifact format version " + std::to_string(read_le(bytes, 4, 4)));
  }
  const std::uint64_t meta_len = read_le(bytes, 8, 4);
  const std::uint64_t payload_len = read_le(bytes, 12, 8);
  if (meta_len > max_meta_bytes || payload_len > max_artifact_bytes)
    return invalid("artifact lengths exceed the caps");
  if (prefix_size + meta_len + payload_len != bytes.size()) {
    return invalid("artifact length " + std::to_string(bytes.size()) +
                   " does not match its header (" +
                   std::to_string(prefix_size + meta_len + payload_len) + "): truncated or padded");
  }
  const std::string_view meta_bytes = bytes.substr(prefix_size, meta_len);
  const std::string_view payload = bytes.substr(prefix_size + meta_len);
  const digest header_sum = sha256(bytes.substr(0, 52), meta_bytes);
  if (std::memcmp(header_sum.data(), bytes.data() + 52, 32) != 0)
    return invalid("artifact header checksum mismatch");
  const digest payload_sum = sha256(payload);
  if (std::memcmp(payload_sum.data(), bytes.data() + 20, 32) != 0)
    return invalid("artifact payload checksum mismatch");
  try {
    return decoded{decode_meta(meta_bytes), payload};
  } catch (const meta_error& e) {
    return invalid(e.message);
  } catch (const std::bad_alloc&) {
    return invalid("artifact metadata too large");
  }
}

std::string to_hex(const digest& d) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(64);
  for (unsigned char c : d) {
    out.push_back(hex[c >> 4]);
    out.push_back(hex[c & 15]);
  }
  return out;
}

}  // namespace

std::string sha256_hex(std::string_view bytes) {
  return to_hex(sha256(bytes));
}

namespace detail {

std::string encode_artifact(const model_meta& meta, std::string_view payload) {
  const std::string meta_bytes = encode_meta(meta);
  std::string out;
  out.reserve(prefix_size + meta_bytes.size() + payload.size());
  out.append(magic, 4);
  byte_writer w(out);
  w.put(format_version);
  w.put(static_cast<std::uint32_t>(meta_bytes.size()));
  w.put(static_cast<std::uint64_t>(payload.size()));
  const digest payload_sum = sha256(payload);
  out.append(reinterpret_cast<const char*>(payload_sum.data()), 32);
  const digest header_sum = sha256(out, meta_bytes);
  out.append(reinterpret_cast<const char*>(header_sum.data()), 32);
  out += meta_bytes;
  out.append(payload);
  return out;
}

}  // namespace detail

std::string serialize_artifact(const model& m) {
  std::string payload;
  model_access::write_payload(m, payload);
  return detail::encode_artifact(m.meta(), payload);
}

mf::expected<artifact_info> inspect_artifact(std::string_view bytes) {
  auto d = decode(bytes);
  if (!d) return std::move(d).error();
  artifact_info info;
  info.algorithm = d->meta.algorithm;
  info.n_features = d->meta.n_features;
  info.metrics = d->meta.validation;
  info.created_unix_ms = d->meta.created_unix_ms;
  info.sha256_hex = sha256_hex(bytes);
  info.size_bytes = bytes.size();
  return info;
}

mf::expected<std::shared_ptr<const model>> load_artifact(std::string_view bytes) {
  return load_artifact(bytes, load_options{});
}

mf::expected<std::shared_ptr<const model>> load_artifact(std::string_view bytes,
                                                         const load_options& options) {
  auto d = decode(bytes);
  if (!d) return std::move(d).error();
  if (!options.keep_metrics) d->meta.validation = {};
  const auto* info = detail::find_algorithm(d->meta.algorithm);
  try {
    detail::payload_reader in(d->payload);
    std::unique_ptr<model> m = info->load(std::move(d->meta), in);
    if (!in.at_end()) return invalid("artifact payload has trailing bytes");
    return std::shared_ptr<const model>(std::move(m));
  } catch (const detail::payload_error& e) {
    return invalid(std::string("artifact payload is corrupt: ") + e.what());
  } catch (const std::bad_alloc&) {
    return invalid("artifact payload asks for too much memory");
  } catch (const std::exception& e) {
    return invalid(std::string("artifact payload is corrupt: ") + e.what());
  } catch (...) {
    return invalid("artifact payload is corrupt");
  }
}

}  // namespace mf::ml
