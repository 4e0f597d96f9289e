// redis_subscriber: pub/sub on its own connection; next_message() blocks up to a timeout,
// reconnects with backoff and re-subscribes by itself. NOT thread-safe: one owner thread.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cluster/redis_client.hpp"

namespace mf::cluster {

struct pubsub_message {
  enum class kind {
    message,      // a published payload on `channel`
    resubscribed  // the connection was re-made: messages may have been missed, resync state
  };
  kind type = kind::message;
  std::string channel;
  std::string payload;
};

class redis_subscriber {
 public:
  // Connects and SUBSCRIBEs to `channels` (errors as redis_client::connect, unless lazy).
  static expected<redis_subscriber> connect(std::string_view url, std::vector<std::string> channels,
                                            redis_options options = {});
  redis_subscriber(redis_subscriber&&) noexcept;
  redis_subscriber& operator=(redis_subscriber&&) noexcept;
  ~redis_subscriber();

  // The next message, or nullopt when `timeout` passes without one. Errors: unavailable when
  // Redis is down for the whole wait (the next call tries again), payload_too_large.
  expected<std::optional<pubsub_message>> next_message(std::chrono::milliseconds timeout);

  bool connected() const noexcept { return ctx_ != nullptr; }

 private:
  redis_subscriber(redis_url url, std::vector<std::string> channels, redis_options options);
  expected<void> ensure_subscribed();

  redis_url url_;
  std::vector<std::string> channels_;
  redis_options options_;
  detail::context_ptr ctx_;
  bool ever_subscribed_ = false;
  bool announce_resubscribe_ = false;
  std::chrono::steady_clock::time_point next_attempt_{};
  std::chrono::milliseconds backoff_{0};
};

}  // namespace mf::cluster
