// zmq_echo_server: the socket is created here and then used only by the serving thread.
#include "nodes/bench/zmq_echo_server.hpp"

#include <array>
#include <vector>

#include "nodes/bench/raw_zmq_socket.hpp"

namespace mf::bench {

mf::expected<std::unique_ptr<zmq_echo_server>> zmq_echo_server::start(std::string reply) {
  try {
    std::unique_ptr<zmq_echo_server> server(new zmq_echo_server());
    server->reply_ = std::move(reply);
    server->socket_ = zmq::socket_t(server->context_, zmq::socket_type::router);
    set_raw_ceiling_options(server->socket_);
    server->socket_.bind("tcp://127.0.0.1:*");
    server->endpoint_ = server->socket_.get(zmq::sockopt::last_endpoint);
    server->thread_ = std::thread([s = server.get()] { s->serve(); });
    return server;
  } catch (const zmq::error_t& e) {
    return mf::make_error(mf::errc::unavailable, std::string("zmq echo server: ") + e.what());
  }
}

zmq_echo_server::~zmq_echo_server() {
  stop_.store(true);
  if (thread_.joinable()) thread_.join();
}

void zmq_echo_server::serve() {
  try {
    while (!stop_.load(std::memory_order_relaxed)) {
      zmq::pollitem_t item{socket_.handle(), 0, ZMQ_POLLIN, 0};
      if (zmq::poll(&item, 1, std::chrono::milliseconds(100)) == 0) continue;
      // Drain everything queued before polling again.
      for (;;) {
        std::vector<zmq::message_t> frames;
        for (;;) {
          zmq::message_t part;
          if (!socket_.recv(part, zmq::recv_flags::dontwait)) break;
          const bool more = part.more();
          frames.push_back(std::move(part));
          if (!more) break;
        }
        if (frames.empty()) break;
        if (frames.size() < 2) continue;
        for (std::size_t i = 0; i + 1 < frames.size(); ++i) {
          socket_.send(frames[i], zmq::send_flags::sndmore);
        }
        socket_.send(zmq::message_t(reply_.data(), reply_.size()), zmq::send_flags::none);
        served_.fetch_add(1, std::memory_order_relaxed);
      }
    }
  } catch (const zmq::error_t&) {
    // The context went away: nothing left to serve.
  }
}

}  // namespace mf::bench
