#include "nodes/worker_socket.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include "protocol/codec.hpp"
#include "protocol/socket.hpp"

namespace mf::nodes {

mf::expected<std::shared_ptr<worker_socket>> worker_socket::bind(
    const std::string& endpoint, std::shared_ptr<mf::actors::worker_metrics> metrics,
    std::string node_id, const mf::protocol::curve_keys* curve) {
  std::shared_ptr<worker_socket> s(new worker_socket());
  s->metrics_ = std::move(metrics);
  s->node_id_ = std::move(node_id);
  s->wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (s->wake_fd_ < 0) return mf::make_error(mf::errc::internal, "eventfd failed");
  try {
    s->socket_ = zmq::socket_t(s->context_, zmq::socket_type::router);
  } catch (const zmq::error_t& e) {
    return mf::make_error(mf::errc::internal, std::string("zmq socket: ") + e.what());
  }
  if (auto ok =
          mf::protocol::apply_socket_policy(s->socket_, mf::protocol::socket_policy::node_router());
      !ok)
    return ok.error();
  if (curve) {
    // The ZAP handler must listen before the CURVE ROUTER binds, or handshakes are not checked.
    auto zap = mf::protocol::curve_authenticator::start(s->context_, {curve->public_key});
    if (!zap) return zap.error();
    s->zap_ = std::move(*zap);
    if (auto ok = mf::protocol::apply_curve_server(s->socket_, *curve); !ok) return ok.error();
  }
  // libzmq wants "*" for "any port"; accept the conventional ":0" too.
  std::string ep = endpoint;
  if (ep.size() > 2 && ep.compare(ep.size() - 2, 2, ":0") == 0) ep.replace(ep.size() - 1, 1, "*");
  try {
    s->socket_.bind(ep);
  } catch (const zmq::error_t& e) {
    return mf::make_error(mf::errc::unavailable, "cannot bind " + endpoint + ": " + e.what());
  }
  auto last = mf::protocol::last_endpoint(s->socket_);
  if (!last) return last.error();
  s->endpoint_ = *last;
  return s;
}

worker_socket::~worker_socket() {
  socket_.close();
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

void worker_socket::wake() {
  std::uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(wake_fd_, &one, sizeof one);
}

void worker_socket::stop() {
  stop_.store(true);
  wake();
}

void worker_socket::send(const std::string& route, mf::protocol::envelope message) {
  if (message.head.sender.empty()) message.head.sender = node_id_;
  auto frame = mf::protocol::encode(message);
  if (!frame) {
    spdlog::error("event=encode_failed kind={} error={}", mf::protocol::kind_name(message.body),
                  frame.error().message);
    return;
  }
  bool was_empty;
  {
    std::lock_guard lock(mutex_);
    was_empty = replies_.empty();
    replies_.emplace_back(route, std::move(*frame));
  }
  metrics_->reply_queue_depth.fetch_add(1, std::memory_order_relaxed);
  // flush_replies takes the whole queue after each wake, so a non-empty queue already has a
  // wake pending: one eventfd write per batch of replies, not one syscall per reply.
  if (was_empty) wake();
}

void worker_socket::send_now(const std::string& route, mf::protocol::envelope message) {
  if (message.head.sender.empty()) message.head.sender = node_id_;
  auto frame = mf::protocol::encode(message);
  if (!frame) {
    spdlog::error("event=encode_failed kind={} error={}", mf::protocol::kind_name(message.body),
                  frame.error().message);
    return;
  }
  if (auto ok = mf::protocol::send_frame(socket_, route, std::move(*frame)); !ok)
    spdlog::warn("event=reply_undeliverable error={}", ok.error().message);
}

void worker_socket::flush_replies() {
  std::uint64_t counter;
  [[maybe_unused]] auto n = ::read(wake_fd_, &counter, sizeof counter);
  auto& batch = flushing_;  // reused: its capacity survives, so no allocation per flush
  batch.clear();
  {
    std::lock_guard lock(mutex_);
    batch.swap(replies_);
  }
  metrics_->reply_queue_depth.fetch_sub(static_cast<std::int64_t>(batch.size()),
                                        std::memory_order_relaxed);
  for (auto& [route, frame] : batch) {
    // ROUTER_MANDATORY: a peer that went away is an error we log, not a silent drop.
    if (auto ok = mf::protocol::send_frame(socket_, route, std::move(frame)); !ok)
      spdlog::warn("event=reply_undeliverable error={}", ok.error().message);
  }
  batch.clear();
}

namespace {

// The request id of a frame that failed typed decoding (e.g. a NaN feature), so the typed
// error reaches the waiting client; 0 when even the envelope header is unreadable.
std::uint64_t salvage_request_id(const zmq::message_t& frame) {
  auto opened = mf::protocol::frame_reader::open(
      std::span<const std::byte>(static_cast<const std::byte*>(frame.data()), frame.size()));
  if (!opened) return 0;
  try {
    return opened->root().getRequestId();
  } catch (...) {
    return 0;
  }
}

}  // namespace

void worker_socket::handle_incoming(const dispatch_fn& dispatch) {
  // Drain what is readable now, bounded so replies are not starved by a flood of requests.
  for (int i = 0; i < 256; ++i) {
    auto got = mf::protocol::recv_frame(socket_, std::chrono::milliseconds(0));
    if (!got) {
      if (got.error().code == mf::errc::deadline_exceeded) return;   // nothing more to read
      metrics_->frames_bad.fetch_add(1, std::memory_order_relaxed);  // bad multipart layout
      continue;
    }
    metrics_->frames_in.fetch_add(1, std::memory_order_relaxed);
    auto message = mf::protocol::decode(got->payload);
    if (!message) {
      // Garbage from the wire: answer with a typed error, keep serving.
      metrics_->frames_bad.fetch_add(1, std::memory_order_relaxed);
      mf::protocol::envelope reply;
      reply.head.sender = node_id_;
      reply.head.request_id = salvage_request_id(got->payload);
      reply.body = message.error();
      auto frame = mf::protocol::encode(reply);
      if (frame && !got->identity.empty())
        (void)mf::protocol::send_frame(socket_, got->identity, std::move(*frame));
      continue;
    }
    dispatch(got->identity, std::move(*message));
  }
}

void worker_socket::run(dispatch_fn dispatch) {
  zmq::pollitem_t items[2] = {{static_cast<void*>(socket_), 0, ZMQ_POLLIN, 0},
                              {nullptr, wake_fd_, ZMQ_POLLIN, 0}};
  while (!stop_.load()) {
    try {
      zmq::poll(items, 2, std::chrono::milliseconds(200));
    } catch (const zmq::error_t& e) {
      if (e.num() == EINTR) continue;
      spdlog::error("event=zmq_poll_failed error={}", e.what());
      break;
    }
    if (items[1].revents & ZMQ_POLLIN) flush_replies();
    if (items[0].revents & ZMQ_POLLIN) handle_incoming(dispatch);
  }
  flush_replies();  // last replies of a drain
}

}  // namespace mf::nodes
