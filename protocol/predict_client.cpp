// predict_client: see predict_client.hpp.
#include "protocol/predict_client.hpp"

#include <exception>
#include <utility>

namespace mf::protocol {
namespace {

using clock = std::chrono::steady_clock;

std::int64_t unix_ms_now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

mf::expected<predict_client> predict_client::create(socket_policy policy) {
  try {
    auto context = std::make_unique<zmq::context_t>(1);
    auto client = create(*context, std::move(policy));
    if (!client) return client;
    client->owned_context_ = std::move(context);
    return client;
  } catch (const std::exception& e) {
    return mf::make_error(mf::errc::internal, std::string("predict_client: ") + e.what());
  }
}

mf::expected<predict_client> predict_client::create(zmq::context_t& context, socket_policy policy) {
  try {
    predict_client client;
    client.socket_ = zmq::socket_t(context, zmq::socket_type::dealer);
    auto applied = apply_socket_policy(client.socket_, policy);
    if (!applied) return std::move(applied).error();
    return client;
  } catch (const zmq::error_t& e) {
    return mf::make_error(mf::errc::unavailable, std::string("predict_client: ") + e.what());
  } catch (const std::exception& e) {
    return mf::make_error(mf::errc::internal, std::string("predict_client: ") + e.what());
  }
}

predict_client& predict_client::operator=(predict_client&& other) noexcept {
  if (this != &other) {
    socket_.close();
    socket_ = std::move(other.socket_);
    owned_context_ = std::move(other.owned_context_);
    next_request_id_ = other.next_request_id_;
    limits_ = other.limits_;
  }
  return *this;
}

mf::expected<void> predict_client::connect(const std::string& endpoint) noexcept {
  try {
    socket_.connect(endpoint);
    return {};
  } catch (const zmq::error_t& e) {
    return mf::make_error(mf::errc::invalid_field,
                          "connect " + endpoint + ": " + std::string(e.what()));
  } catch (const std::exception& e) {
    return mf::make_error(mf::errc::internal, "connect " + endpoint + ": " + e.what());
  }
}

mf::expected<std::uint64_t> predict_client::send(predict_request request) noexcept {
  try {
    if (request.request_id == 0) request.request_id = next_request_id_++;
    const std::uint64_t id = request.request_id;
    auto sent = send_envelope(socket_, {}, make_envelope(std::move(request)));
    if (!sent) return std::move(sent).error();
    return id;
  } catch (const std::exception& e) {
    return mf::make_error(mf::errc::internal, std::string("send: ") + e.what());
  }
}

mf::expected<predict_reply> predict_client::receive(std::chrono::milliseconds timeout) noexcept {
  try {
    const auto deadline = clock::now() + timeout;
    for (;;) {
      const auto left =
          std::max(std::chrono::milliseconds(0),
                   std::chrono::ceil<std::chrono::milliseconds>(deadline - clock::now()));
      auto got = recv_envelope(socket_, left, limits_);
      if (!got) return std::move(got).error();
      if (!got->message) return std::move(got->message).error();
      envelope& message = *got->message;
      if (auto* reply = std::get_if<predict_reply>(&message.body)) return std::move(*reply);
      if (auto* failure = std::get_if<mf::error>(&message.body)) {
        // A request the server could not even parse as a predict: report it against its id.
        predict_reply reply;
        reply.request_id = message.head.request_id;
        reply.error = std::move(*failure);
        return reply;
      }
      // Anything else (a pong, an unexpected kind) is not for this client: skip it.
      if (clock::now() >= deadline) {
        return mf::make_error(mf::errc::deadline_exceeded, "no predict reply before the deadline");
      }
    }
  } catch (const std::exception& e) {
    return mf::make_error(mf::errc::internal, std::string("receive: ") + e.what());
  }
}

mf::expected<predict_reply> predict_client::predict(predict_request request,
                                                    std::chrono::milliseconds timeout) noexcept {
  const auto deadline = clock::now() + timeout;
  if (request.deadline_unix_ms == 0) request.deadline_unix_ms = unix_ms_now() + timeout.count();
  auto id = send(std::move(request));
  if (!id) return std::move(id).error();
  for (;;) {
    const auto left =
        std::max(std::chrono::milliseconds(0),
                 std::chrono::ceil<std::chrono::milliseconds>(deadline - clock::now()));
    auto reply = receive(left);
    if (!reply) return reply;
    if (reply->request_id != *id) continue;  // a late reply to an earlier request
    if (reply->error) return std::move(*reply->error);
    return reply;
  }
}

}  // namespace mf::protocol
