// redis_client: a blocking Redis client over one hiredis context, with timeouts, automatic
// reconnect with bounded exponential backoff, pipelining and cached Lua scripts.
// NOT thread-safe: one client per actor/thread. Nothing here throws; errors are values.
#pragma once

#include <chrono>
#include <cstddef>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "cluster/redis_reply.hpp"
#include "cluster/redis_url.hpp"
#include "common/expected.hpp"

struct redisContext;

namespace mf::cluster {
namespace detail {
using context_ptr = std::unique_ptr<redisContext, void (*)(redisContext*)>;
}

struct redis_options {
  std::chrono::milliseconds connect_timeout{1000};
  std::chrono::milliseconds command_timeout{2000};
  // After a failed (re)connect, no new attempt before this delay, doubled per failure up to
  // backoff_max: commands fail fast with errc::unavailable meanwhile instead of blocking.
  std::chrono::milliseconds backoff_initial{20};
  std::chrono::milliseconds backoff_max{1000};
  // A reply whose total payload is above this is refused (errc::payload_too_large) and the
  // connection dropped: hiredis 0.14 has no element/size limits of its own.
  std::size_t max_reply_bytes = 600u << 20;
  // true: connect() succeeds without reaching Redis; the first command connects.
  bool lazy_connect = false;
};

using redis_argv = std::vector<std::string>;

// A Lua script with its SHA1, computed once. eval() runs EVALSHA and falls back to EVAL when
// the server does not know the script yet (NOSCRIPT, e.g. after a Redis restart).
class redis_script {
 public:
  explicit redis_script(std::string source);
  const std::string& source() const noexcept { return source_; }
  const std::string& sha1() const noexcept { return sha1_; }

 private:
  std::string source_;
  std::string sha1_;
};

class redis_client {
 public:
  // Parses the URL, connects (unless lazy), AUTHs (user+pass: ACL AUTH; pass only: AUTH pass)
  // and SELECTs the db. Errors: invalid_input (bad URL), unavailable (cannot reach Redis),
  // unauthorized (AUTH refused).
  static expected<redis_client> connect(std::string_view url, redis_options options = {});

  redis_client(redis_client&&) noexcept;
  redis_client& operator=(redis_client&&) noexcept;
  ~redis_client();

  // One command, binary-safe argv. A Redis error reply is a value (reply.is_error()), not an
  // mf::error; mf::error means the command may not have run: unavailable (Redis down, I/O
  // error or timeout; the connection is dropped and re-made later), payload_too_large.
  expected<redis_reply> command(const redis_argv& argv);
  expected<redis_reply> command(std::initializer_list<std::string_view> argv);

  // Sends all commands, then reads all replies (one round trip). Not atomic: wrap in
  // MULTI/EXEC yourself if needed.
  expected<std::vector<redis_reply>> pipeline(const std::vector<redis_argv>& commands);

  // EVALSHA, with EVAL on NOSCRIPT.
  expected<redis_reply> eval(const redis_script& script, const std::vector<std::string>& keys,
                             const std::vector<std::string>& args);

  // True if a connection is currently open (it may still be stale).
  bool connected() const noexcept;
  const redis_url& url() const noexcept { return url_; }
  const redis_options& options() const noexcept { return options_; }

 private:
  redis_client(redis_url url, redis_options options);
  expected<void> ensure_connected();
  void drop();

  redis_url url_;
  redis_options options_;
  detail::context_ptr ctx_;
  std::chrono::steady_clock::time_point next_attempt_{};
  std::chrono::milliseconds backoff_{0};
};

// --- shared with redis_subscriber (internal) ---------------------------------------------
namespace detail {
// Opens, authenticates and selects: a ready context or an error (unavailable/unauthorized).
expected<context_ptr> open_context(const redis_url& url, const redis_options& options);
// Bounded exponential backoff shared by client and subscriber.
std::chrono::milliseconds next_backoff(std::chrono::milliseconds current,
                                       const redis_options& options);
// Deep-copies a hiredis reply, refusing it above max_bytes.
expected<redis_reply> copy_reply(const void* reply, std::size_t max_bytes);
}  // namespace detail

}  // namespace mf::cluster
