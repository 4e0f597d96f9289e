// ROUTER/DEALER framing, socket options and predict_client against an in-test ROUTER server
// on 127.0.0.1 (port chosen by the kernel: bind "tcp://127.0.0.1:*").
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <numeric>
#include <set>
#include <thread>

#include "protocol/codec.hpp"
#include "protocol/predict_client.hpp"
#include "protocol/socket.hpp"

using namespace mf::protocol;
using namespace std::chrono_literals;

namespace {

// A ROUTER that answers predict requests with per-row sums. Tenants steer its behaviour:
// "missing" -> not_found error, "silent" -> no reply, "late" -> a stale reply first.
class echo_server {
 public:
  explicit echo_server(zmq::context_t& context, socket_policy policy = socket_policy::front_door())
      : socket_(context, zmq::socket_type::router) {
    REQUIRE(apply_socket_policy(socket_, policy).has_value());
    socket_.bind("tcp://127.0.0.1:*");
    auto endpoint = last_endpoint(socket_);
    REQUIRE(endpoint.has_value());
    endpoint_ = *endpoint;
    thread_ = std::thread([this] { run(); });
  }
  ~echo_server() {
    stop_ = true;
    thread_.join();
  }
  const std::string& endpoint() const { return endpoint_; }
  int served() const { return served_; }

 private:
  void run() {
    while (!stop_) {
      auto got = recv_envelope(socket_, 20ms);
      if (!got) continue;  // timeout: check stop_
      ++served_;
      if (!got->message) {
        // Undecodable: still tell the peer why.
        (void)send_envelope(socket_, got->identity,
                            make_error_envelope(got->request_id, got->message.error()));
        continue;
      }
      const envelope& in = *got->message;
      if (std::holds_alternative<ping>(in.body)) {
        (void)send_envelope(socket_, got->identity, envelope{in.head, pong{}});
        continue;
      }
      const auto* request = std::get_if<predict_request>(&in.body);
      if (request == nullptr) continue;
      predict_reply reply;
      reply.request_id = request->request_id;
      reply.model = request->model;
      reply.version = request->version.value_or(7);
      if (request->tenant == "silent") continue;
      if (request->tenant == "missing") {
        reply.error = mf::make_error(mf::errc::not_found, "no model " + request->model);
      } else {
        for (std::size_t row = 0; row < request->rows(); ++row) {
          auto begin = request->features.begin() + static_cast<long>(row * request->n_features);
          reply.predictions.push_back(std::accumulate(begin, begin + request->n_features, 0.0));
        }
      }
      if (request->tenant == "late") {
        predict_reply stale = reply;
        stale.request_id += 1000;
        stale.predictions.assign(stale.predictions.size(), -1.0);
        (void)send_envelope(socket_, got->identity, make_envelope(stale));
      }
      (void)send_envelope(socket_, got->identity, make_envelope(reply));
    }
  }

  zmq::socket_t socket_;
  std::string endpoint_;
  std::atomic<bool> stop_{false};
  std::atomic<int> served_{0};
  std::thread thread_;
};

predict_request request(std::string tenant, std::vector<double> features, std::uint32_t n) {
  return predict_request{0, 0, std::move(tenant), "m", std::nullopt, n, std::move(features)};
}

}  // namespace

TEST_CASE("apply_socket_policy sets the documented options") {
  zmq::context_t context(1);
  zmq::socket_t router(context, zmq::socket_type::router);
  REQUIRE(apply_socket_policy(router, socket_policy::node_router()).has_value());
  CHECK(router.get(zmq::sockopt::maxmsgsize) == (std::int64_t{64} << 20) + 4096);
  CHECK(router.get(zmq::sockopt::linger) == 0);
  CHECK(router.get(zmq::sockopt::sndhwm) == 10'000);

  zmq::socket_t dealer(context, zmq::socket_type::dealer);
  REQUIRE(apply_socket_policy(dealer, socket_policy::node_dealer("w7")).has_value());
  CHECK(dealer.get(zmq::sockopt::routing_id) == "w7");
  CHECK(dealer.get(zmq::sockopt::immediate) == true);
}

TEST_CASE("predict_client: sequential requests get their own answers") {
  zmq::context_t context(1);
  echo_server server(context);
  auto client = predict_client::create(context);
  REQUIRE(client.has_value());
  REQUIRE(client->connect(server.endpoint()).has_value());
  for (int i = 0; i < 100; ++i) {
    auto r = request("t1", {double(i), 1.0, 2.0, 3.0}, 2);
    r.version = i;
    auto reply = client->predict(r, 2000ms);
    REQUIRE_MESSAGE(reply.has_value(), reply.error().message);
    REQUIRE(reply->predictions.size() == 2);
    CHECK(reply->predictions[0] == doctest::Approx(i + 1.0));
    CHECK(reply->predictions[1] == doctest::Approx(5.0));
    CHECK(reply->version == i);
    CHECK(reply->model == "m");
  }
}

TEST_CASE("predict_client: pipelined batch, replies matched by request id") {
  zmq::context_t context(1);
  echo_server server(context);
  auto client = predict_client::create(context);
  REQUIRE(client.has_value());
  REQUIRE(client->connect(server.endpoint()).has_value());
  std::set<std::uint64_t> pending;
  for (int i = 0; i < 500; ++i) {
    auto id = client->send(request("t1", {double(i)}, 1));
    REQUIRE(id.has_value());
    CHECK(pending.insert(*id).second);  // ids are unique
  }
  for (int i = 0; i < 500; ++i) {
    auto reply = client->receive(2000ms);
    REQUIRE_MESSAGE(reply.has_value(), reply.error().message);
    CHECK(pending.erase(reply->request_id) == 1);
    REQUIRE(reply->predictions.size() == 1);
  }
  CHECK(pending.empty());
}

TEST_CASE("predict_client: errors, timeouts and stale replies") {
  zmq::context_t context(1);
  echo_server server(context);
  auto client = predict_client::create(context);
  REQUIRE(client.has_value());
  REQUIRE(client->connect(server.endpoint()).has_value());

  auto missing = client->predict(request("missing", {1.0}, 1), 2000ms);
  REQUIRE_FALSE(missing.has_value());
  CHECK(missing.error().code == mf::errc::not_found);

  const auto start = std::chrono::steady_clock::now();
  auto silent = client->predict(request("silent", {1.0}, 1), 150ms);
  const auto waited = std::chrono::steady_clock::now() - start;
  REQUIRE_FALSE(silent.has_value());
  CHECK(silent.error().code == mf::errc::deadline_exceeded);
  CHECK(waited >= 150ms);
  CHECK(waited < 2s);

  // The stale reply (id + 1000) is skipped; the right one is returned.
  auto late = client->predict(request("late", {2.0, 3.0}, 2), 2000ms);
  REQUIRE(late.has_value());
  REQUIRE(late->predictions.size() == 1);
  CHECK(late->predictions[0] == doctest::Approx(5.0));

  // An invalid request is refused locally by the server's decoder, reported as invalid_input.
  auto bad = client->predict(request("t1", {1.0, 2.0, 3.0}, 2), 2000ms);
  REQUIRE_FALSE(bad.has_value());
  CHECK(bad.error().code == mf::errc::invalid_input);
}

TEST_CASE("raw DEALER <-> ROUTER framing") {
  zmq::context_t context(1);
  echo_server server(context);
  zmq::socket_t dealer(context, zmq::socket_type::dealer);
  REQUIRE(apply_socket_policy(dealer, socket_policy::client_dealer()).has_value());
  dealer.connect(server.endpoint());

  SUBCASE("garbage payload gets a typed error back") {
    zmq::message_t junk(std::string("this is not capnp"));
    REQUIRE(send_frame(dealer, {}, std::move(junk)).has_value());
    auto got = recv_envelope(dealer, 2000ms);
    REQUIRE(got.has_value());
    CHECK(got->identity.empty());
    REQUIRE(got->message.has_value());
    const auto* failure = std::get_if<mf::error>(&got->message->body);
    REQUIRE(failure != nullptr);
    CHECK(failure->code == mf::errc::invalid_input);
  }
  SUBCASE("a bad multipart layout is consumed whole; the next message still works") {
    dealer.send(zmq::str_buffer("a"), zmq::send_flags::sndmore);
    dealer.send(zmq::str_buffer("b"), zmq::send_flags::sndmore);
    dealer.send(zmq::str_buffer("c"), zmq::send_flags::none);
    REQUIRE(send_envelope(dealer, {}, envelope{header{5, 0, "", "", 0}, ping{}}).has_value());
    auto got = recv_envelope(dealer, 2000ms);
    REQUIRE(got.has_value());
    REQUIRE(got->message.has_value());
    CHECK(std::holds_alternative<pong>(got->message->body));
    CHECK(got->message->head.request_id == 5);
  }
  SUBCASE("a DEALER cannot name a peer") {
    auto sent = send_frame(dealer, "someone", zmq::message_t());
    REQUIRE_FALSE(sent.has_value());
    CHECK(sent.error().code == mf::errc::internal);
  }
}

TEST_CASE("ROUTER_MANDATORY: a reply to an unknown peer is an error, not a silent drop") {
  zmq::context_t context(1);
  zmq::socket_t router(context, zmq::socket_type::router);
  REQUIRE(apply_socket_policy(router, socket_policy::front_door()).has_value());
  router.bind("tcp://127.0.0.1:*");
  auto sent = send_envelope(router, "nobody", envelope{header{}, pong{}});
  REQUIRE_FALSE(sent.has_value());
  CHECK(sent.error().code == mf::errc::unavailable);
  auto missing_identity = send_envelope(router, {}, envelope{header{}, pong{}});
  REQUIRE_FALSE(missing_identity.has_value());
}

TEST_CASE("recv on an idle socket times out as deadline_exceeded") {
  zmq::context_t context(1);
  zmq::socket_t dealer(context, zmq::socket_type::dealer);
  auto got = recv_frame(dealer, 0ms);
  REQUIRE_FALSE(got.has_value());
  CHECK(got.error().code == mf::errc::deadline_exceeded);
  got = recv_frame(dealer, 30ms);
  REQUIRE_FALSE(got.has_value());
  CHECK(got.error().code == mf::errc::deadline_exceeded);
}

TEST_CASE("ZMQ_MAXMSGSIZE: an oversized frame never reaches the server") {
  zmq::context_t context(1);
  socket_policy small = socket_policy::front_door();
  small.max_message_bytes = 1024;
  echo_server server(context, small);
  auto client = predict_client::create(context);
  REQUIRE(client.has_value());
  REQUIRE(client->connect(server.endpoint()).has_value());
  auto big = client->predict(request("t1", std::vector<double>(1000, 1.0), 1), 300ms);
  REQUIRE_FALSE(big.has_value());
  CHECK(big.error().code == mf::errc::deadline_exceeded);
  CHECK(server.served() == 0);
  // libzmq dropped that connection; the client reconnects and small requests work again.
  mf::expected<predict_reply> ok = mf::make_error(mf::errc::internal, "not tried");
  for (int attempt = 0; attempt < 20 && !ok; ++attempt) {
    ok = client->predict(request("t1", {1.0, 2.0}, 2), 500ms);
  }
  REQUIRE(ok.has_value());
  CHECK(ok->predictions.at(0) == doctest::Approx(3.0));
}
