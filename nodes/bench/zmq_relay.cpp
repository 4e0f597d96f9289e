// zmq_relay: the sockets are set up here, then used only by the proxy thread; the control pair
// is the one thread-crossing path, and only for shutdown.
#include "nodes/bench/zmq_relay.hpp"

#include "nodes/bench/raw_zmq_socket.hpp"

namespace mf::bench {

mf::expected<std::unique_ptr<zmq_relay>> zmq_relay::start(const std::string& backend) {
  try {
    std::unique_ptr<zmq_relay> relay(new zmq_relay());
    relay->front_ = zmq::socket_t(relay->context_, zmq::socket_type::router);
    relay->back_ = zmq::socket_t(relay->context_, zmq::socket_type::dealer);
    set_raw_ceiling_options(relay->front_);
    set_raw_ceiling_options(relay->back_);
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
