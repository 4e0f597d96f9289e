// zmq_socket_watch: every message reaches the callback through ZMQ_FD signals alone (no
// periodic poke here, so a lost signal stalls the test until its deadline), including when the
// loop itself sends on the watched socket, which is when ZeroMQ can consume a signal.
#include "actors/router/zmq_socket_watch.hpp"

#include <doctest/doctest.h>

#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <atomic>
#include <chrono>
#include <thread>
#include <zmq.hpp>

namespace {

// Echoes every message on a ROUTER until stopped. A ROUTER at its send high-water mark drops
// what it is given without a word, which under a loaded CI looked exactly like a lost ZMQ_FD
// signal (9,994 of 10,000 replies): so the queues are unbounded and ROUTER_MANDATORY turns any
// refused send into a counted failure instead of a silent drop.
struct echo_server {
  zmq::context_t context{1};
  zmq::socket_t socket{context, zmq::socket_type::router};
  std::string endpoint;
  std::atomic<bool> stop{false};
  std::atomic<int> refused_sends{0};
  std::thread thread;
  echo_server() {
    socket.set(zmq::sockopt::linger, 0);
    socket.set(zmq::sockopt::sndhwm, 0);
    socket.set(zmq::sockopt::rcvhwm, 0);
    socket.set(zmq::sockopt::router_mandatory, 1);
    socket.bind("tcp://127.0.0.1:*");
    endpoint = socket.get(zmq::sockopt::last_endpoint);
    thread = std::thread([this] {
      while (!stop.load()) {
        zmq::pollitem_t item{socket.handle(), 0, ZMQ_POLLIN, 0};
        if (zmq::poll(&item, 1, std::chrono::milliseconds(20)) == 0) continue;
        zmq::message_t id, body;
        if (!socket.recv(id, zmq::recv_flags::dontwait)) continue;
        (void)socket.recv(body);
        try {
          socket.send(id, zmq::send_flags::sndmore);
          socket.send(body, zmq::send_flags::none);
        } catch (const zmq::error_t&) {
          ++refused_sends;
        }
      }
    });
  }
  ~echo_server() {
    stop = true;
    thread.join();
  }
};

// A DEALER connected to the echo server.
struct echo_client {
  zmq::context_t context{1};
  zmq::socket_t dealer{context, zmq::socket_type::dealer};
  explicit echo_client(const std::string& endpoint, bool unbounded_queues = false) {
    dealer.set(zmq::sockopt::linger, 0);
    if (unbounded_queues) {
      dealer.set(zmq::sockopt::sndhwm, 0);
      dealer.set(zmq::sockopt::rcvhwm, 0);
    }
    dealer.connect(endpoint);
  }
};

// Runs the loop until `done` or a 20 s deadline; true if `done` came first.
bool run_until_stopped(asio::io_context& io) {
  asio::steady_timer deadline(io, std::chrono::seconds(20));
  bool timed_out = false;
  deadline.async_wait([&](const std::error_code& ec) {
    if (!ec) {
      timed_out = true;
      io.stop();
    }
  });
  io.run();
  return !timed_out;
}

}  // namespace

TEST_CASE("ping-pong from the callback: every reply arrives through the fd signal") {
  echo_server server;
  echo_client client(server.endpoint);
  auto& dealer = client.dealer;
  asio::io_context io(1);
  constexpr int rounds = 3000;
  int replies = 0;
  std::unique_ptr<mf::router::zmq_socket_watch> watch;
  watch = std::make_unique<mf::router::zmq_socket_watch>(io, dealer, [&] {
    for (int i = 0; i < 64; ++i) {
      zmq::message_t m;
      if (!dealer.recv(m, zmq::recv_flags::dontwait)) return;
      if (++replies == rounds) return io.stop();
      // The next request goes out from inside the callback, as the forwarder answers and sends.
      dealer.send(zmq::buffer(std::string("ping")), zmq::send_flags::dontwait);
      watch->sent();
    }
  });
  asio::post(io, [&] {
    dealer.send(zmq::buffer(std::string("ping")), zmq::send_flags::dontwait);
    watch->sent();
  });
  CHECK(run_until_stopped(io));
  CHECK(replies == rounds);
  watch.reset();
}

TEST_CASE("bursts sent from the loop: all replies are drained in bounded batches") {
  echo_server server;
  echo_client client(server.endpoint, /*unbounded_queues=*/true);
  auto& dealer = client.dealer;
  asio::io_context io(1);
  constexpr int bursts = 20, per_burst = 500;
  int replies = 0, batches = 0, sent = 0;
  mf::router::zmq_socket_watch watch(io, dealer, [&] {
    ++batches;
    for (int i = 0; i < 16; ++i) {  // small batches: the watch must come back for the rest
      zmq::message_t m;
      if (!dealer.recv(m, zmq::recv_flags::dontwait)) return;
      if (++replies == bursts * per_burst) return io.stop();
    }
  });
  std::function<void()> burst = [&] {
    for (int i = 0; i < per_burst; ++i) {
      dealer.send(zmq::buffer(std::string("x")), zmq::send_flags::dontwait);
      ++sent;
    }
    watch.sent();
    if (sent < bursts * per_burst) asio::post(io, burst);
  };
  asio::post(io, burst);
  CHECK(run_until_stopped(io));
  CHECK(server.refused_sends == 0);
  CHECK(sent == bursts * per_burst);
  CHECK(replies == bursts * per_burst);
  CHECK(batches >= bursts * per_burst / 16);
}

TEST_CASE("a destroyed watch never calls back, even with its wait still pending") {
  echo_server server;
  echo_client client(server.endpoint);
  auto& dealer = client.dealer;
  asio::io_context io(1);
  int calls = 0;
  auto watch = std::make_unique<mf::router::zmq_socket_watch>(io, dealer, [&] { ++calls; });
  io.poll();  // the first pump: nothing to read, so it waits on the descriptor
  watch.reset();
  dealer.send(zmq::buffer(std::string("ping")), zmq::send_flags::dontwait);
  zmq::message_t reply;
  REQUIRE(dealer.recv(reply));  // the reply is there; only the watch is gone
  io.restart();
  io.poll();  // runs the aborted wait's handler
  CHECK(calls == 0);
}
