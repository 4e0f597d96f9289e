#include "cluster/redis_client.hpp"

#include <hiredis/hiredis.h>
#include <openssl/evp.h>

#include <algorithm>
#include <cstdio>

namespace mf::cluster {
namespace detail {
namespace {

void free_context(redisContext* c) {
  if (c != nullptr) redisFree(c);
}

timeval to_timeval(std::chrono::milliseconds ms) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(ms.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((ms.count() % 1000) * 1000);
  return tv;
}

struct reply_deleter {
  void operator()(redisReply* r) const noexcept {
    if (r != nullptr) freeReplyObject(r);
  }
};
using reply_ptr = std::unique_ptr<redisReply, reply_deleter>;

expected<redis_reply> copy(const redisReply* r, std::size_t& budget, int depth) {
  if (depth > 16) return make_error(errc::internal, "redis reply nested too deeply");
  auto take = [&](std::size_t n) -> bool {
    if (n > budget) return false;
    budget -= n;
    return true;
  };
  switch (r->type) {
    case REDIS_REPLY_NIL:
      return redis_reply::nil();
    case REDIS_REPLY_INTEGER:
      return redis_reply::integer(r->integer);
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
    case REDIS_REPLY_ERROR: {
      if (!take(r->len + 16)) break;
      std::string s(r->str, r->len);
      if (r->type == REDIS_REPLY_STRING) return redis_reply::string(std::move(s));
      if (r->type == REDIS_REPLY_STATUS) return redis_reply::status(std::move(s));
      return redis_reply::error(std::move(s));
    }
    case REDIS_REPLY_ARRAY: {
      if (!take(r->elements * sizeof(redis_reply))) break;
      std::vector<redis_reply> elements;
      elements.reserve(r->elements);
      for (std::size_t i = 0; i < r->elements; ++i) {
        if (r->element[i] == nullptr) return make_error(errc::internal, "null redis element");
        auto e = copy(r->element[i], budget, depth + 1);
        if (!e) return e;
        elements.push_back(std::move(*e));
      }
      return redis_reply::array(std::move(elements));
    }
    default:
      return make_error(errc::internal, "unknown redis reply type");
  }
  return make_error(errc::payload_too_large, "redis reply larger than the configured limit");
}

error io_error(const redisContext* c, std::string_view what) {
  std::string msg = "redis " + std::string(what) + ": ";
  msg += (c != nullptr && c->err != 0) ? c->errstr : "connection lost";
  return make_error(errc::unavailable, std::move(msg));
}

}  // namespace

expected<redis_reply> copy_reply(const void* reply, std::size_t max_bytes) {
  std::size_t budget = max_bytes;
  return copy(static_cast<const redisReply*>(reply), budget, 0);
}

std::chrono::milliseconds next_backoff(std::chrono::milliseconds current,
                                       const redis_options& options) {
  if (current.count() <= 0) return options.backoff_initial;
  return std::min(current * 2, options.backoff_max);
}

expected<context_ptr> open_context(const redis_url& url, const redis_options& options) {
  context_ptr ctx(
      redisConnectWithTimeout(url.host.c_str(), url.port, to_timeval(options.connect_timeout)),
      &free_context);
  if (!ctx) return make_error(errc::unavailable, "redis connect: out of memory");
  if (ctx->err != 0) return io_error(ctx.get(), "connect to " + redacted(url));
  if (redisSetTimeout(ctx.get(), to_timeval(options.command_timeout)) != REDIS_OK) {
    return io_error(ctx.get(), "set timeout");
  }
  redisEnableKeepAlive(ctx.get());
  auto run = [&](std::vector<std::string> argv) -> expected<redis_reply> {
    std::vector<const char*> ptrs;
    std::vector<std::size_t> lens;
    for (auto& a : argv) {
      ptrs.push_back(a.data());
      lens.push_back(a.size());
    }
    reply_ptr r(static_cast<redisReply*>(
        redisCommandArgv(ctx.get(), static_cast<int>(argv.size()), ptrs.data(), lens.data())));
    if (!r) return io_error(ctx.get(), "handshake");
    return copy_reply(r.get(), 1 << 20);
  };
  if (!url.password.empty()) {
    auto r = url.user.empty() ? run({"AUTH", url.password}) : run({"AUTH", url.user, url.password});
    if (!r) return std::move(r).error();
    if (r->is_error()) return make_error(errc::unauthorized, "redis AUTH refused: " + r->str());
  }
  if (url.db != 0) {
    auto r = run({"SELECT", std::to_string(url.db)});
    if (!r) return std::move(r).error();
    if (r->is_error()) return make_error(errc::invalid_input, "redis SELECT: " + r->str());
  }
  return ctx;
}

}  // namespace detail

namespace {

std::string sha1_hex(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha1(), nullptr);
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < len; ++i) {
    out.push_back(digits[md[i] >> 4]);
    out.push_back(digits[md[i] & 15]);
  }
  return out;
}

}  // namespace

redis_script::redis_script(std::string source)
    : source_(std::move(source)), sha1_(sha1_hex(source_)) {}

redis_client::redis_client(redis_url url, redis_options options)
    : url_(std::move(url)), options_(options), ctx_(nullptr, nullptr) {}

redis_client::redis_client(redis_client&&) noexcept = default;
redis_client& redis_client::operator=(redis_client&&) noexcept = default;
redis_client::~redis_client() = default;

expected<redis_client> redis_client::connect(std::string_view url, redis_options options) {
  auto parsed = parse_redis_url(url);
  if (!parsed) return std::move(parsed).error();
  redis_client client(std::move(*parsed), options);
  if (!options.lazy_connect) {
    auto ok = client.ensure_connected();
    if (!ok) return std::move(ok).error();
  }
  return client;
}

bool redis_client::connected() const noexcept {
  return ctx_ != nullptr;
}

void redis_client::drop() {
  ctx_.reset();
}

expected<void> redis_client::ensure_connected() {
  if (ctx_) return {};
  auto now = std::chrono::steady_clock::now();
  if (now < next_attempt_) {
    return make_error(errc::unavailable, "redis unavailable (reconnect backoff)");
  }
  auto ctx = detail::open_context(url_, options_);
  if (!ctx) {
    backoff_ = detail::next_backoff(backoff_, options_);
    next_attempt_ = std::chrono::steady_clock::now() + backoff_;
    return std::move(ctx).error();
  }
  ctx_ = std::move(*ctx);
  backoff_ = std::chrono::milliseconds(0);
  return {};
}

expected<redis_reply> redis_client::command(const redis_argv& argv) {
  auto replies = pipeline({argv});
  if (!replies) return std::move(replies).error();
  return std::move(replies->front());
}

expected<redis_reply> redis_client::command(std::initializer_list<std::string_view> argv) {
  redis_argv v;
  v.reserve(argv.size());
  for (auto a : argv) v.emplace_back(a);
  return command(v);
}

expected<std::vector<redis_reply>> redis_client::pipeline(const std::vector<redis_argv>& commands) {
  if (commands.empty()) return std::vector<redis_reply>{};
  auto ok = ensure_connected();
  if (!ok) return std::move(ok).error();
  for (const auto& argv : commands) {
    if (argv.empty()) return make_error(errc::internal, "empty redis command");
    std::vector<const char*> ptrs;
    std::vector<std::size_t> lens;
    ptrs.reserve(argv.size());
    lens.reserve(argv.size());
    for (const auto& a : argv) {
      ptrs.push_back(a.data());
      lens.push_back(a.size());
    }
    if (redisAppendCommandArgv(ctx_.get(), static_cast<int>(argv.size()), ptrs.data(),
                               lens.data()) != REDIS_OK) {
      auto e = detail::io_error(ctx_.get(), "append");
      drop();
      return e;
    }
  }
  std::vector<redis_reply> out;
  out.reserve(commands.size());
  for (std::size_t i = 0; i < commands.size(); ++i) {
    void* raw = nullptr;
    if (redisGetReply(ctx_.get(), &raw) != REDIS_OK || raw == nullptr) {
      // I/O error or timeout: the reply stream is out of step now, so the connection goes.
      auto e = detail::io_error(ctx_.get(), "command");
      if (raw != nullptr) freeReplyObject(raw);
      drop();
      return e;
    }
    detail::reply_ptr holder(static_cast<redisReply*>(raw));
    auto r = detail::copy_reply(raw, options_.max_reply_bytes);
    if (!r) {
      drop();  // remaining replies of the pipeline would be out of step
      return std::move(r).error();
    }
    out.push_back(std::move(*r));
  }
  return out;
}

expected<redis_reply> redis_client::eval(const redis_script& script,
                                         const std::vector<std::string>& keys,
                                         const std::vector<std::string>& args) {
  auto build = [&](std::string_view verb, const std::string& body) {
    redis_argv argv;
    argv.reserve(3 + keys.size() + args.size());
    argv.emplace_back(verb);
    argv.push_back(body);
    argv.push_back(std::to_string(keys.size()));
    argv.insert(argv.end(), keys.begin(), keys.end());
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
  };
  auto r = command(build("EVALSHA", script.sha1()));
  if (r && r->is_error() && r->str().rfind("NOSCRIPT", 0) == 0) {
    return command(build("EVAL", script.source()));
  }
  return r;
}

}  // namespace mf::cluster
