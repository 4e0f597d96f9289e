#include "cluster/redis_subscriber.hpp"

#include <hiredis/hiredis.h>
#include <poll.h>

#include <algorithm>
#include <thread>

namespace mf::cluster {
namespace {

struct reply_deleter {
  void operator()(void* r) const noexcept {
    if (r != nullptr) freeReplyObject(r);
  }
};

}  // namespace

redis_subscriber::redis_subscriber(redis_url url, std::vector<std::string> channels,
                                   redis_options options)
    : url_(std::move(url)),
      channels_(std::move(channels)),
      options_(options),
      ctx_(nullptr, nullptr) {}

redis_subscriber::redis_subscriber(redis_subscriber&&) noexcept = default;
redis_subscriber& redis_subscriber::operator=(redis_subscriber&&) noexcept = default;
redis_subscriber::~redis_subscriber() = default;

expected<redis_subscriber> redis_subscriber::connect(std::string_view url,
                                                     std::vector<std::string> channels,
                                                     redis_options options) {
  if (channels.empty()) return make_error(errc::invalid_input, "no channels to subscribe");
  auto parsed = parse_redis_url(url);
  if (!parsed) return std::move(parsed).error();
  redis_subscriber sub(std::move(*parsed), std::move(channels), options);
  if (!options.lazy_connect) {
    auto ok = sub.ensure_subscribed();
    if (!ok) return std::move(ok).error();
  }
  return sub;
}

expected<void> redis_subscriber::ensure_subscribed() {
  if (ctx_) return {};
  if (std::chrono::steady_clock::now() < next_attempt_) {
    return make_error(errc::unavailable, "redis unavailable (reconnect backoff)");
  }
  auto fail = [&](error e) -> expected<void> {
    ctx_.reset();
    backoff_ = detail::next_backoff(backoff_, options_);
    next_attempt_ = std::chrono::steady_clock::now() + backoff_;
    return e;
  };
  auto ctx = detail::open_context(url_, options_);
  if (!ctx) return fail(std::move(ctx).error());
  ctx_ = std::move(*ctx);
  std::vector<const char*> ptrs{"SUBSCRIBE"};
  std::vector<std::size_t> lens{9};
  for (const auto& c : channels_) {
    ptrs.push_back(c.data());
    lens.push_back(c.size());
  }
  if (redisAppendCommandArgv(ctx_.get(), static_cast<int>(ptrs.size()), ptrs.data(), lens.data()) !=
      REDIS_OK) {
    return fail(make_error(errc::unavailable, "redis SUBSCRIBE failed"));
  }
  // One confirmation per channel; reading them here keeps next_message() simple.
  for (std::size_t i = 0; i < channels_.size(); ++i) {
    void* raw = nullptr;
    if (redisGetReply(ctx_.get(), &raw) != REDIS_OK || raw == nullptr) {
      return fail(make_error(errc::unavailable, "redis SUBSCRIBE: no confirmation"));
    }
    std::unique_ptr<void, reply_deleter> holder(raw);
    auto r = static_cast<redisReply*>(raw);
    if (r->type == REDIS_REPLY_ERROR) {
      return fail(make_error(errc::unavailable, std::string("redis SUBSCRIBE: ") + r->str));
    }
  }
  if (ever_subscribed_) announce_resubscribe_ = true;
  ever_subscribed_ = true;
  backoff_ = std::chrono::milliseconds(0);
  return {};
}

expected<std::optional<pubsub_message>> redis_subscriber::next_message(
    std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  error last = make_error(errc::unavailable, "redis unavailable");
  for (;;) {
    auto now = std::chrono::steady_clock::now();
    if (!ctx_) {
      auto ok = ensure_subscribed();
      if (!ok) {
        last = std::move(ok).error();
        if (now >= deadline) return last;
        // Wait for the backoff to pass (bounded by the caller's deadline), then retry.
        auto wake = std::min(deadline, std::max(next_attempt_, now + std::chrono::milliseconds(1)));
        std::this_thread::sleep_until(wake);
        if (std::chrono::steady_clock::now() >= deadline) return last;
        continue;
      }
    }
    if (announce_resubscribe_) {
      announce_resubscribe_ = false;
      pubsub_message m;
      m.type = pubsub_message::kind::resubscribed;
      return std::optional<pubsub_message>(std::move(m));
    }
    // Replies already buffered first; then wait on the socket for at most the time left.
    void* raw = nullptr;
    if (redisGetReplyFromReader(ctx_.get(), &raw) != REDIS_OK) {
      ctx_.reset();
      continue;
    }
    if (raw == nullptr) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now);
      if (left.count() <= 0) return std::optional<pubsub_message>();
      pollfd p{ctx_->fd, POLLIN, 0};
      int n = ::poll(&p, 1, static_cast<int>(std::min<long long>(left.count(), 1 << 30)));
      if (n == 0) return std::optional<pubsub_message>();
      if (n < 0) continue;                                        // EINTR
      if (redisBufferRead(ctx_.get()) != REDIS_OK) ctx_.reset();  // EOF or error: reconnect
      continue;
    }
    std::unique_ptr<void, reply_deleter> holder(raw);
    auto copied = detail::copy_reply(raw, options_.max_reply_bytes);
    if (!copied) {
      ctx_.reset();
      return std::move(copied).error();
    }
    const auto& e = copied->elements();
    if (copied->is_array() && e.size() == 3 && e[0].str() == "message") {
      pubsub_message m;
      m.channel = e[1].str();
      m.payload = e[2].str();
      return std::optional<pubsub_message>(std::move(m));
    }
    // Anything else (subscribe confirmations, pongs) is not a message: keep reading.
  }
}

}  // namespace mf::cluster
