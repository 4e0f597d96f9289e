// curve: CURVE key files, socket options and the ZAP authenticator. Raw libzmq calls (no
// cppzmq throwing paths) so nothing here throws.
#include "protocol/curve.hpp"

#include <sys/stat.h>
#include <zmq.h>

#include <filesystem>
#include <fstream>
#include <vector>

#include "common/error.hpp"

namespace mf::protocol {
namespace {

constexpr std::size_t z85_key_size = 40;
const char* const zap_endpoint = "inproc://zeromq.zap.01";
const char* const zap_domain = "modelfleet";

mf::error zmq_failure(const std::string& what) {
  return mf::make_error(mf::errc::internal, what + ": " + zmq_strerror(zmq_errno()));
}

mf::expected<void> set_bytes(zmq::socket_t& s, int option, const std::string& value,
                             const char* what) {
  if (zmq_setsockopt(s.handle(), option, value.data(), value.size()) != 0)
    return mf::unexpected(zmq_failure(what));
  return {};
}

mf::expected<void> set_int(zmq::socket_t& s, int option, int value, const char* what) {
  if (zmq_setsockopt(s.handle(), option, &value, sizeof value) != 0)
    return mf::unexpected(zmq_failure(what));
  return {};
}

mf::expected<std::string> read_key_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in)
    return mf::unexpected(mf::make_error(mf::errc::not_found, "cannot read " + path.string()));
  std::string line;
  std::getline(in, line);
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
  if (line.size() != z85_key_size)
    return mf::unexpected(mf::make_error(mf::errc::invalid_input,
                                         path.string() + ": not a 40-character Z85 CURVE key"));
  return line;
}

std::string frame_string(const zmq_msg_t& m) {
  return std::string(static_cast<const char*>(zmq_msg_data(const_cast<zmq_msg_t*>(&m))),
                     zmq_msg_size(const_cast<zmq_msg_t*>(&m)));
}

}  // namespace

mf::expected<curve_keys> generate_curve_keys() noexcept {
  char pub[z85_key_size + 1] = {};
  char sec[z85_key_size + 1] = {};
  if (zmq_has("curve") == 0)
    return mf::unexpected(mf::make_error(mf::errc::unavailable, "libzmq built without CURVE"));
  if (zmq_curve_keypair(pub, sec) != 0) return mf::unexpected(zmq_failure("zmq_curve_keypair"));
  return curve_keys{std::string(pub, z85_key_size), std::string(sec, z85_key_size)};
}

mf::expected<curve_keys> write_curve_keys(const std::string& dir) noexcept {
  try {
    const std::filesystem::path d(dir);
    if (std::filesystem::exists(d / curve_secret_file) ||
        std::filesystem::exists(d / curve_public_file))
      return mf::unexpected(
          mf::make_error(mf::errc::conflict, "a cluster key exists already in " + dir));
    std::filesystem::create_directories(d);
    ::chmod(dir.c_str(), 0700);
    auto keys = generate_curve_keys();
    if (!keys) return keys;
    {
      // Create the secret file 0600 before writing the secret into it.
      const auto secret_path = (d / curve_secret_file).string();
      std::ofstream(secret_path).close();
      ::chmod(secret_path.c_str(), 0600);
      std::ofstream out(secret_path, std::ios::trunc);
      out << keys->secret_key << "\n";
      if (!out.flush())
        return mf::unexpected(mf::make_error(mf::errc::internal, "cannot write " + secret_path));
    }
    std::ofstream out(d / curve_public_file, std::ios::trunc);
    out << keys->public_key << "\n";
    if (!out.flush())
      return mf::unexpected(mf::make_error(mf::errc::internal, "cannot write the public key"));
    return keys;
  } catch (const std::exception& e) {
    return mf::unexpected(mf::make_error(mf::errc::internal, e.what()));
  }
}

mf::expected<curve_keys> load_curve_keys(const std::string& dir) noexcept {
  try {
    const std::filesystem::path d(dir);
    auto pub = read_key_file(d / curve_public_file);
    if (!pub) return mf::unexpected(pub.error());
    auto sec = read_key_file(d / curve_secret_file);
    if (!sec) return mf::unexpected(sec.error());
    char derived[z85_key_size + 1] = {};
    if (zmq_curve_public(derived, sec->c_str()) != 0 || *pub != std::string(derived, z85_key_size))
      return mf::unexpected(mf::make_error(mf::errc::invalid_input,
                                           dir + ": cluster.pub does not match cluster.secret"));
    return curve_keys{*pub, *sec};
  } catch (const std::exception& e) {
    return mf::unexpected(mf::make_error(mf::errc::internal, e.what()));
  }
}

mf::expected<void> apply_curve_server(zmq::socket_t& socket, const curve_keys& keys) noexcept {
  if (auto r = set_int(socket, ZMQ_CURVE_SERVER, 1, "ZMQ_CURVE_SERVER"); !r) return r;
  if (auto r = set_bytes(socket, ZMQ_CURVE_SECRETKEY, keys.secret_key, "ZMQ_CURVE_SECRETKEY"); !r)
    return r;
  return set_bytes(socket, ZMQ_ZAP_DOMAIN, zap_domain, "ZMQ_ZAP_DOMAIN");
}

mf::expected<void> apply_curve_client(zmq::socket_t& socket, const curve_keys& keys) noexcept {
  if (auto r = set_bytes(socket, ZMQ_CURVE_SERVERKEY, keys.public_key, "ZMQ_CURVE_SERVERKEY"); !r)
    return r;
  if (auto r = set_bytes(socket, ZMQ_CURVE_PUBLICKEY, keys.public_key, "ZMQ_CURVE_PUBLICKEY"); !r)
    return r;
  return set_bytes(socket, ZMQ_CURVE_SECRETKEY, keys.secret_key, "ZMQ_CURVE_SECRETKEY");
}

mf::expected<std::unique_ptr<curve_authenticator>> curve_authenticator::start(
    zmq::context_t& context, std::set<std::string> allowed_public_keys) noexcept {
  std::unique_ptr<curve_authenticator> auth(new (std::nothrow) curve_authenticator());
  if (!auth) return mf::unexpected(mf::make_error(mf::errc::internal, "out of memory"));
  // Keys are compared in binary (the ZAP credentials frame carries 32 raw bytes).
  for (const auto& z85 : allowed_public_keys) {
    std::uint8_t raw[32];
    if (z85.size() != z85_key_size || !zmq_z85_decode(raw, z85.c_str()))
      return mf::unexpected(mf::make_error(mf::errc::invalid_input, "bad Z85 public key"));
    auth->allowed_.insert(std::string(reinterpret_cast<const char*>(raw), sizeof raw));
  }
  try {
    auth->socket_ = std::make_unique<zmq::socket_t>(context, zmq::socket_type::rep);
    int linger = 0;
    zmq_setsockopt(auth->socket_->handle(), ZMQ_LINGER, &linger, sizeof linger);
    auth->socket_->bind(zap_endpoint);
  } catch (const zmq::error_t& e) {
    return mf::unexpected(mf::make_error(mf::errc::internal, std::string("ZAP bind: ") + e.what()));
  }
  auth->thread_ = std::thread([a = auth.get()] { a->run(); });
  return auth;
}

curve_authenticator::~curve_authenticator() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void curve_authenticator::run() {
  void* s = socket_->handle();
  while (!stop_) {
    zmq_pollitem_t item{s, 0, ZMQ_POLLIN, 0};
    if (zmq_poll(&item, 1, 100) <= 0) continue;
    // One ZAP request: version, request id, domain, address, identity, mechanism, credentials.
    std::vector<std::string> frames;
    for (;;) {
      zmq_msg_t m;
      zmq_msg_init(&m);
      if (zmq_msg_recv(&m, s, 0) < 0) {
        zmq_msg_close(&m);
        break;
      }
      frames.push_back(frame_string(m));
      const bool more = zmq_msg_more(&m) != 0;
      zmq_msg_close(&m);
      if (!more) break;
    }
    if (frames.size() < 2) continue;  // nothing sane to answer; REP state resets on next recv
    const bool ok = frames.size() >= 7 && frames[0] == "1.0" && frames[2] == zap_domain &&
                    frames[5] == "CURVE" && allowed_.count(frames[6]) == 1;
    (ok ? accepted_ : denied_)++;
    const std::string reply[] = {
        "1.0", frames[1], ok ? "200" : "400", ok ? "OK" : "not a cluster key", ok ? "node" : "",
        ""};
    for (std::size_t i = 0; i < 6; ++i)
      zmq_send(s, reply[i].data(), reply[i].size(), i + 1 < 6 ? ZMQ_SNDMORE : 0);
  }
  socket_->close();
}

}  // namespace mf::protocol
