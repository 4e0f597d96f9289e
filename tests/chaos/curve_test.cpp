// CURVE between nodes: a node with the cluster key gets replies from a CURVE ROUTER; a node
// without it (plain socket, its own key pair, wrong server key) cannot get a frame through.
#include <doctest/doctest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include "protocol/curve.hpp"

using namespace std::chrono_literals;
using mf::protocol::curve_keys;

namespace {

std::string temp_dir(const std::string& name) {
  const auto d = std::filesystem::temp_directory_path() /
                 ("mf_curve_" + name + "_" + std::to_string(::getpid()));
  std::filesystem::remove_all(d);
  return d.string();
}

// A ROUTER echo server: answers "pong:<payload>" to every [identity][payload] it receives.
class echo_server {
 public:
  echo_server(zmq::context_t& ctx, const curve_keys* keys)
      : socket_(ctx, zmq::socket_type::router) {
    socket_.set(zmq::sockopt::linger, 0);
    if (keys) REQUIRE(mf::protocol::apply_curve_server(socket_, *keys).has_value());
    socket_.bind("tcp://127.0.0.1:*");
    endpoint_ = socket_.get(zmq::sockopt::last_endpoint);
    thread_ = std::thread([this] {
      while (!stop_) {
        zmq::pollitem_t item{socket_.handle(), 0, ZMQ_POLLIN, 0};
        if (zmq::poll(&item, 1, std::chrono::milliseconds(50)) <= 0) continue;
        zmq::message_t id, payload;
        if (!socket_.recv(id, zmq::recv_flags::none)) continue;
        if (!id.more() || !socket_.recv(payload, zmq::recv_flags::none)) continue;
        ++served_;
        socket_.send(id, zmq::send_flags::sndmore);
        socket_.send(zmq::buffer("pong:" + payload.to_string()), zmq::send_flags::none);
      }
      socket_.close();
    });
  }
  ~echo_server() {
    stop_ = true;
    thread_.join();
  }
  const std::string& endpoint() const { return endpoint_; }
  int served() const { return served_.load(); }

 private:
  zmq::socket_t socket_;
  std::string endpoint_;
  std::atomic<bool> stop_{false};
  std::atomic<int> served_{0};
  std::thread thread_;
};

// Sends "ping" from a DEALER configured by `setup`; the reply or "" if none within `wait`.
template <class Setup>
std::string ask(zmq::context_t& ctx, const std::string& endpoint, Setup&& setup,
                std::chrono::milliseconds wait = 700ms) {
  zmq::socket_t s(ctx, zmq::socket_type::dealer);
  s.set(zmq::sockopt::linger, 0);
  setup(s);
  s.connect(endpoint);
  s.send(zmq::buffer(std::string("ping")), zmq::send_flags::dontwait);
  zmq::pollitem_t item{s.handle(), 0, ZMQ_POLLIN, 0};
  if (zmq::poll(&item, 1, wait) <= 0) return "";
  zmq::message_t m;
  if (!s.recv(m, zmq::recv_flags::none)) return "";
  return m.to_string();
}

}  // namespace

TEST_CASE("cluster key files: written once 0600, loaded, validated") {
  const auto dir = temp_dir("keys");
  auto written = mf::protocol::write_curve_keys(dir);
  REQUIRE_MESSAGE(written.has_value(), written.error().message);
  CHECK(written->public_key.size() == 40);
  CHECK(written->secret_key.size() == 40);
  const auto perms = std::filesystem::status(dir + "/cluster.secret").permissions();
  CHECK((perms & (std::filesystem::perms::group_all | std::filesystem::perms::others_all)) ==
        std::filesystem::perms::none);
  auto loaded = mf::protocol::load_curve_keys(dir);
  REQUIRE(loaded.has_value());
  CHECK(loaded->public_key == written->public_key);
  CHECK(loaded->secret_key == written->secret_key);
  // Never overwritten by accident.
  auto again = mf::protocol::write_curve_keys(dir);
  REQUIRE_FALSE(again.has_value());
  CHECK(again.error().code == mf::errc::conflict);
  // A public key that does not belong to the secret is refused.
  auto other = mf::protocol::generate_curve_keys();
  REQUIRE(other.has_value());
  std::ofstream(dir + "/cluster.pub", std::ios::trunc) << other->public_key << "\n";
  CHECK_FALSE(mf::protocol::load_curve_keys(dir).has_value());
  std::ofstream(dir + "/cluster.pub", std::ios::trunc) << "short\n";
  CHECK_FALSE(mf::protocol::load_curve_keys(dir).has_value());
  CHECK_FALSE(mf::protocol::load_curve_keys(dir + "/missing").has_value());
  std::filesystem::remove_all(dir);
}

TEST_CASE("only a node holding the cluster key gets through a CURVE server socket") {
  auto keys = mf::protocol::generate_curve_keys();
  REQUIRE(keys.has_value());
  zmq::context_t ctx;
  auto auth = mf::protocol::curve_authenticator::start(ctx, {keys->public_key});
  REQUIRE_MESSAGE(auth.has_value(), auth.error().message);
  {
    echo_server server(ctx, &*keys);

    // With the cluster key: answered (encrypted both ways).
    CHECK(ask(
              ctx, server.endpoint(),
              [&](zmq::socket_t& s) {
                REQUIRE(mf::protocol::apply_curve_client(s, *keys).has_value());
              },
              3000ms) == "pong:ping");
    CHECK((*auth)->accepted() >= 1);

    // Plain (NULL mechanism) client: the handshake fails, nothing reaches the server.
    CHECK(ask(ctx, server.endpoint(), [](zmq::socket_t&) {}).empty());

    // Knows the server's public key but holds its own key pair: denied by the ZAP handler.
    auto stranger = mf::protocol::generate_curve_keys();
    REQUIRE(stranger.has_value());
    const auto denied_before = (*auth)->denied();
    CHECK(ask(ctx, server.endpoint(), [&](zmq::socket_t& s) {
            s.set(zmq::sockopt::curve_serverkey, keys->public_key);
            s.set(zmq::sockopt::curve_publickey, stranger->public_key);
            s.set(zmq::sockopt::curve_secretkey, stranger->secret_key);
          }).empty());
    CHECK((*auth)->denied() > denied_before);

    // Holds another cluster's key pair (wrong server key): the handshake cannot complete.
    CHECK(ask(ctx, server.endpoint(), [&](zmq::socket_t& s) {
            REQUIRE(mf::protocol::apply_curve_client(s, *stranger).has_value());
          }).empty());

    CHECK(server.served() == 1);
  }
  auth->reset();
}

TEST_CASE("a plain server and a CURVE client do not talk either") {
  auto keys = mf::protocol::generate_curve_keys();
  REQUIRE(keys.has_value());
  zmq::context_t ctx;
  echo_server server(ctx, nullptr);
  CHECK(ask(ctx, server.endpoint(), [&](zmq::socket_t& s) {
          REQUIRE(mf::protocol::apply_curve_client(s, *keys).has_value());
        }).empty());
  CHECK(ask(
            ctx, server.endpoint(), [](zmq::socket_t&) {}, 3000ms) == "pong:ping");
}
