// zmq_relay: the sockets are set up here, then used only by the proxy thread; the control pair
// is the one thread-crossing path, and only for shutdown.
#include "nodes/bench/zmq_relay.hpp"

namespace mf::bench {
namespace {

// The same queue bounds as the echo server and the load threads: nothing is dropped at an HWM.
void unbounded(zmq::socket_t& s) {
  s.set(zmq::sockopt::linger, 0);
  s.set(zmq::sockopt::sndhwm, 100'000);
  s.set(zmq::sockopt::rcvhwm, 100'000);
  s.set(zmq::sockopt::maxmsgsize, std::int64_t{64} << 20);
}

}  // namespace

mf::expected<std::unique_ptr<zmq_relay>> zmq_relay::start(const std::string& backend) {
  try {
    std::unique_ptr<zmq_relay> relay(new zmq_relay());
    relay->front_ = zmq::socket_t(relay->context_, zmq::socket_type::router);
    relay->back_ = zmq::socket_t(relay->context_, zmq::socket_type::dealer);
    unbounded(relay->front_);
    unbounded(relay->back_);
    relay->front_.bind("tcp://127.0.0.1:*");
    relay->endpoint_ = relay->front_.get(zmq::sockopt::last_endpoint);
    relay->back_.connect(backend);
    relay->control_ = zmq::socket_t(relay->context_, zmq::socket_type::pair);
    relay->control_owner_ = zmq::socket_t(relay->context_, zmq::socket_type::pair);
    relay->control_.bind("inproc://relay-control");
    relay->control_owner_.connect("inproc://relay-control");
    relay->thread_ = std::thread([r = relay.get()] {
      try {
        zmq::proxy_steerable(r->front_, r->back_, zmq::socket_ref(), r->control_);
      } catch (const zmq::error_t&) {
        // The context went away: nothing left to relay.
      }
    });
    return relay;
  } catch (const zmq::error_t& e) {
    return mf::make_error(mf::errc::unavailable, std::string("zmq relay: ") + e.what());
  }
}

zmq_relay::~zmq_relay() {
  if (thread_.joinable()) {
    try {
      control_owner_.send(zmq::str_buffer("TERMINATE"), zmq::send_flags::none);
    } catch (const zmq::error_t&) {
    }
    thread_.join();
  }
}

}  // namespace mf::bench
