// curve: optional CURVE encryption + authentication of inter-node ZeroMQ traffic
// (`--curve-keys DIR`). Key files, socket options and a ZAP authenticator that admits only
// peers holding the cluster key. Functions are thread-safe; a curve_authenticator owns one
// thread and must outlive the sockets of its context.
#pragma once

#include <atomic>
#include <memory>
#include <set>
#include <string>
#include <thread>

#include <zmq.hpp>

#include "common/expected.hpp"

namespace mf::protocol {

// A CURVE key pair in Z85 text (40 characters each).
struct curve_keys {
  std::string public_key;
  std::string secret_key;
};

// A fresh random key pair (libzmq's libsodium-backed zmq_curve_keypair).
mf::expected<curve_keys> generate_curve_keys() noexcept;

// The cluster key of a key directory: DIR/cluster.pub (Z85 public key, one line) and
// DIR/cluster.secret (Z85 secret key, one line, mode 0600). Every node of the cluster gets
// the same directory: the pair is both the servers' identity and the clients' credential.
inline constexpr const char* curve_public_file = "cluster.pub";
inline constexpr const char* curve_secret_file = "cluster.secret";

// Creates DIR (0700) and writes a new cluster key pair; errc::conflict if one exists already
// (keys are never overwritten by accident). `modelfleet keygen --curve-keys DIR` calls this.
mf::expected<curve_keys> write_curve_keys(const std::string& dir) noexcept;
// Reads and validates the pair (40-char Z85 each, public derived from secret).
mf::expected<curve_keys> load_curve_keys(const std::string& dir) noexcept;

// Before bind(): the socket is a CURVE server with the cluster secret key; handshakes are
// checked by the context's ZAP handler (curve_authenticator) under domain "modelfleet".
mf::expected<void> apply_curve_server(zmq::socket_t& socket, const curve_keys& keys) noexcept;
// Before connect(): the socket is a CURVE client presenting the cluster key pair and
// expecting a server holding the cluster secret key.
mf::expected<void> apply_curve_client(zmq::socket_t& socket, const curve_keys& keys) noexcept;

// ZAP handler (RFC 27) on inproc://zeromq.zap.01 of one context: accepts a CURVE handshake
// only from a client whose public key is in `allowed` (normally just the cluster public key),
// denies everything else (including NULL/PLAIN handshakes on CURVE sockets). Start it before
// the context's CURVE server sockets bind; destroy it after they close.
class curve_authenticator {
 public:
  static mf::expected<std::unique_ptr<curve_authenticator>> start(
      zmq::context_t& context, std::set<std::string> allowed_public_keys) noexcept;
  ~curve_authenticator();
  curve_authenticator(const curve_authenticator&) = delete;
  curve_authenticator& operator=(const curve_authenticator&) = delete;

  std::uint64_t accepted() const noexcept { return accepted_.load(); }
  std::uint64_t denied() const noexcept { return denied_.load(); }

 private:
  curve_authenticator() = default;
  void run();

  std::unique_ptr<zmq::socket_t> socket_;
  std::set<std::string> allowed_;  // Z85 public keys
  std::atomic<bool> stop_{false};
  std::atomic<std::uint64_t> accepted_{0}, denied_{0};
  std::thread thread_;
};

}  // namespace mf::protocol
