// http_load: one load thread over Boost.Beast + Boost.Asio: one io_context, `connections`
// keep-alive TCP connections (TCP_NODELAY), each with its own request object, flat_buffer and
// a header-discarding Beast parser, so a request costs a sendmsg, a recvmsg or two and an
// epoll wakeup rather than libcurl's per-transfer bookkeeping. The load generator shares the
// two bench cores with the server: closed loop against nginx this took the tool's CPU from
// 23-34 to 7-10 µs per request (docs/benchmarks.md, "Load-generator cost").
// Open-loop sends are timed by an asio steady_timer (timerfd: nanosecond resolution), at each
// request's due time or, with --send-tick-us, on a grid of that step (send_grid.hpp).
// Connections open lazily when their first request is sent, as libcurl's did, so connect time
// and connect errors belong to that request.
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/span_body.hpp>
#include <boost/beast/http/write.hpp>

#include <algorithm>
#include <deque>
#include <limits>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "nodes/bench/http_url.hpp"
#include "nodes/bench/load_driver.hpp"
#include "nodes/bench/send_grid.hpp"

namespace mf::bench {
namespace {

using namespace std::chrono;
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using boost::system::error_code;

// "422 invalid_input" from a REST error envelope, else just the status.
std::string http_error_key(unsigned status, const std::string& body) {
  std::string key = std::to_string(status);
  const auto at = body.find("\"code\"");
  if (at == std::string::npos) return key;
  const auto open = body.find('"', body.find(':', at) + 1);
  const auto close = open == std::string::npos ? open : body.find('"', open + 1);
  if (close != std::string::npos && close - open < 48)
    key += " " + body.substr(open + 1, close - open - 1);
  return key;
}

// The transport error keys of the report (the libcurl client's names where one existed).
const std::string key_none;
const std::string key_timeout = "transport timeout";
const std::string key_connect = "transport connect_failed";
const std::string key_resolve = "transport resolve_failed";
const std::string key_send = "transport send_error";
const std::string key_recv = "transport recv_error";
const std::string key_empty = "transport empty_reply";
const std::string key_partial = "transport partial_reply";
const std::string key_bad = "transport bad_reply";

// Malformed replies (bad status line, oversized header, bad chunk...) come in this category.
const boost::system::error_category& beast_http_errors() {
  return http::make_error_code(http::error::bad_version).category();
}

// Beast's HTTP/1 parser with callbacks that keep only what the bench reports: the status and
// the first 512 bytes of the body (the error code of a failed call). Header fields are not
// stored, so parsing a reply allocates nothing; keep-alive and framing (Content-Length,
// chunked, Connection: close) are tracked by basic_parser itself.
class reply_parser final : public http::basic_parser<false> {
 public:
  explicit reply_parser(std::string& head) : head_(head) {
    head_.clear();
    // Bodies are discarded past the head: no reason to cap them. Not boost::none: Beast 1.74
    // compares the content length with the optional limit, and any length > none.
    body_limit(std::numeric_limits<std::uint64_t>::max());
    header_limit(100 * 1024);  // libcurl's limit
  }
  unsigned status() const noexcept { return status_; }

 private:
  static constexpr std::size_t head_bytes = 512;
  void keep(beast::string_view s) {
    if (head_.size() < head_bytes)
      head_.append(s.data(), std::min(s.size(), head_bytes - head_.size()));
  }
  void on_request_impl(http::verb, beast::string_view, beast::string_view, int,
                       error_code&) override {}
  void on_response_impl(int code, beast::string_view, int, error_code&) override {
    status_ = static_cast<unsigned>(code);
  }
  void on_field_impl(http::field, beast::string_view, beast::string_view, error_code&) override {}
  void on_header_impl(error_code&) override {}
  void on_body_init_impl(const boost::optional<std::uint64_t>&, error_code&) override {}
  std::size_t on_body_impl(beast::string_view s, error_code&) override {
    keep(s);
    return s.size();
  }
  void on_chunk_header_impl(std::uint64_t, beast::string_view, error_code&) override {}
  std::size_t on_chunk_body_impl(std::uint64_t, beast::string_view s, error_code&) override {
    keep(s);
    return s.size();
  }
  void on_finish_impl(error_code&) override {}

  std::string& head_;
  unsigned status_ = 0;
};

using request_body = http::span_body<const char>;  // points into the workload's body pool

// One keep-alive connection and the request it carries. At most one asynchronous operation
// (connect, write or read) is outstanding per connection, and its handler always runs (with
// operation_aborted after a close), so a connection is reused only once that handler has seen
// it: buffers and parser are never replaced under a pending operation.
struct http_conn {
  explicit http_conn(asio::io_context& io) : socket(io) {}

  tcp::socket socket;
  beast::flat_buffer buffer;
  http::request<request_body> request;  // constant headers set once; target/body per request
  std::optional<http::request_serializer<request_body>> serializer;
  std::optional<reply_parser> parser;
  std::string target;      // prefix + path, capacity reused
  std::string reply_head;  // capacity reused
  bool open = false;       // socket connected (and not known to be closed)
  bool reused = false;     // the socket already carried a complete reply
  bool busy = false;       // a request is assigned (possibly already recorded as timed out)
  bool timed_out = false;  // the watchdog recorded the request and closed the socket
  bool retried = false;
  planned_request planned;
  bench_clock::time_point due, deadline;
};

class http_load_loop {
 public:
  http_load_loop(const bench_options& o, const workload& wl, const thread_share& share,
                 bench_clock::time_point start, recorder& rec, run_result& out, http_url url)
      : o_(o),
        wl_(wl),
        rec_(rec),
        out_(out),
        url_(std::move(url)),
        io_(1),
        send_timer_(io_),
        watchdog_(io_),
        rng_(o.seed * 7919 + share.index),
        send_end_(start + o.warmup + o.duration),
        hard_end_(send_end_ + o.timeout + seconds(1)),
        open_loop_(share.rate > 0),
        interval_(open_loop_
                      ? duration_cast<bench_clock::duration>(duration<double>(1.0 / share.rate))
                      : bench_clock::duration::zero()),
        start_(start),
        next_due_(start) {
    tcp::resolver resolver(io_);
    endpoints_ = resolver.resolve(url_.host, url_.port, resolve_error_);
    for (std::size_t i = 0; i < share.connections; ++i) {
      http_conn& c = conns_.emplace_back(io_);
      c.request.method(http::verb::post);
      c.request.version(11);
      c.request.set(http::field::host, url_.authority);
      c.request.set(http::field::content_type, "application/json");
      if (!o.token.empty()) c.request.set(http::field::authorization, "Bearer " + o.token);
      c.reply_head.reserve(512);
      idle_.push_back(&c);
    }
  }

  void run() {
    const auto now = bench_clock::now();
    pump(now);
    arm_watchdog(now);
    io_.run();
    if (open_loop_ && next_due_ < send_end_) {
      out_.missed_sends += static_cast<std::uint64_t>((send_end_ - next_due_) / interval_);
    }
  }

 private:
  // Sends what is due: closed loop, one request per idle connection; open loop, every request
  // of the schedule due by now while a connection is idle (the rest wait for one and keep
  // their due time), then the timer for the next one.
  void pump(bench_clock::time_point now) {
    if (finished_) return;
    if (now < send_end_) {
      if (!open_loop_) {
        while (!idle_.empty()) launch(now, now);
      } else {
        while (!idle_.empty() && next_due_ <= now && next_due_ < send_end_) {
          launch(next_due_, now);
          next_due_ += interval_;
        }
        if (!idle_.empty() && next_due_ < send_end_ && !send_armed_) {
          send_armed_ = true;
          send_timer_.expires_at(send_wake<bench_clock>(start_, next_due_, o_.send_tick));
          send_timer_.async_wait([this](error_code ec) {
            send_armed_ = false;
            if (ec || finished_) return;
            pump(bench_clock::now());
          });
        }
      }
    }
    if (now >= send_end_ && in_flight_ == 0) finish();
  }

  void launch(bench_clock::time_point due, bench_clock::time_point now) {
    http_conn& c = *idle_.back();
    idle_.pop_back();
    c.busy = true;
    c.timed_out = false;
    c.retried = false;
    c.planned = wl_.next(rng_);
    c.due = due;
    c.deadline = now + o_.timeout;  // like CURLOPT_TIMEOUT: from the send, connect included
    c.target.assign(url_.prefix);
    c.target += wl_.path(c.planned.op, c.planned.tenant);
    c.request.target(c.target);
    const std::string& body = wl_.http_body(c.planned);
    c.request.body() = request_body::value_type(body.data(), body.size());
    c.request.content_length(body.size());
    ++in_flight_;
    ++out_.sent;
    if (c.open) {
      write(c);
    } else {
      connect(c);
    }
  }

  void connect(http_conn& c) {
    c.buffer.clear();
    c.reused = false;
    if (resolve_error_) {
      // Completed through the loop, never inline: a closed loop would spin in pump().
      asio::post(io_, [this, &c] {
        if (handler_done(c)) return;
        fail(c, key_resolve);
      });
      return;
    }
    asio::async_connect(c.socket, endpoints_, [this, &c](error_code ec, const tcp::endpoint&) {
      if (handler_done(c)) return;
      if (ec) return fail(c, key_connect);
      c.socket.set_option(tcp::no_delay(true), ec);
      c.open = true;
      write(c);
    });
  }

  void write(http_conn& c) {
    c.serializer.emplace(c.request);
    http::async_write(c.socket, *c.serializer, [this, &c](error_code ec, std::size_t) {
      if (handler_done(c)) return;
      if (ec) return retry_or_fail(c, key_send);
      read(c);
    });
  }

  void read(http_conn& c) {
    c.parser.emplace(c.reply_head);
    http::async_read(c.socket, c.buffer, *c.parser, [this, &c](error_code ec, std::size_t) {
      if (handler_done(c)) return;
      if (ec == http::error::end_of_stream) return retry_or_fail(c, key_empty);
      if (ec == asio::error::connection_reset && !c.parser->got_some())
        return retry_or_fail(c, key_recv);
      if (ec == http::error::partial_message) return fail(c, key_partial);
      if (ec && ec.category() == beast_http_errors()) return fail(c, key_bad);
      if (ec) return fail(c, key_recv);
      const unsigned status = c.parser->status();
      const bool ok = status >= 200 && status < 300;
      c.reused = true;
      if (!c.parser->keep_alive()) close(c);  // "Connection: close" or HTTP/1.0
      complete(c, ok, ok ? key_none : http_error_key(status, c.reply_head));
    });
  }

  // Retry rule: a keep-alive connection can be closed by the server while idle (idle timeout,
  // a limit on requests per connection, a restart); we only learn it when the next request's
  // write fails or its read sees EOF/reset before any byte of a reply. Such a request is sent
  // once more on a fresh connection, within its original deadline. Anything else, a second
  // failure, or any failure on a fresh connection is an error of that request.
  void retry_or_fail(http_conn& c, const std::string& key) {
    if (!c.reused || c.retried) return fail(c, key);
    c.retried = true;
    close(c);
    connect(c);
  }

  void fail(http_conn& c, const std::string& key) {
    close(c);
    complete(c, false, key);
  }

  void complete(http_conn& c, bool ok, const std::string& key) {
    const auto done = bench_clock::now();
    rec_.completed(c.planned.op, c.due, done, ok, wl_.rows(), key);
    --in_flight_;
    recycle(c, done);
  }

  void recycle(http_conn& c, bench_clock::time_point now) {
    c.busy = false;
    idle_.push_back(&c);
    pump(now);
  }

  // True when this handler has nothing left to do: the run is over, or the watchdog already
  // recorded the request as timed out (the connection is free again from here).
  bool handler_done(http_conn& c) {
    if (finished_) return true;
    if (!c.timed_out) return false;
    close(c);
    recycle(c, bench_clock::now());
    return true;
  }

  void close(http_conn& c) {
    error_code ignored;
    c.socket.close(ignored);
    c.open = false;
  }

  // Per-request timeouts and the end of the run. One timer for all connections: it wakes at
  // the earliest deadline in flight (a request sent later can only expire later), at the end
  // of the send phase and at the hard end, so it costs nothing per request.
  void arm_watchdog(bench_clock::time_point now) {
    auto wake = std::min(now < send_end_ ? send_end_ : hard_end_, now + o_.timeout);
    for (const http_conn& c : conns_) {
      if (c.busy && !c.timed_out) wake = std::min(wake, c.deadline);
    }
    watchdog_.expires_at(wake);
    watchdog_.async_wait([this](error_code ec) {
      if (ec || finished_) return;
      on_watchdog();
    });
  }

  void on_watchdog() {
    const auto now = bench_clock::now();
    if (now >= hard_end_) {
      out_.unfinished += in_flight_;
      return finish();
    }
    for (http_conn& c : conns_) {
      if (!c.busy || c.timed_out || c.deadline > now) continue;
      // Recorded now; the connection is closed and comes back when its aborted handler runs.
      c.timed_out = true;
      rec_.completed(c.planned.op, c.due, now, false, wl_.rows(), key_timeout);
      --in_flight_;
      close(c);
    }
    pump(now);
    if (!finished_) arm_watchdog(now);
  }

  // Closes everything; the aborted handlers then return at once and io_context::run ends.
  void finish() {
    finished_ = true;
    for (http_conn& c : conns_) close(c);
    send_timer_.cancel();
    watchdog_.cancel();
  }

  const bench_options& o_;
  const workload& wl_;
  recorder& rec_;
  run_result& out_;
  const http_url url_;
  asio::io_context io_;  // before the sockets and timers: destroyed after them
  asio::steady_timer send_timer_;
  asio::steady_timer watchdog_;
  tcp::resolver::results_type endpoints_;
  error_code resolve_error_;
  std::deque<http_conn> conns_;  // stable addresses: handlers hold references
  std::vector<http_conn*> idle_;
  std::mt19937_64 rng_;
  const bench_clock::time_point send_end_, hard_end_;
  const bool open_loop_;
  const bench_clock::duration interval_;
  const bench_clock::time_point start_;  // origin of the send grid
  bench_clock::time_point next_due_;
  std::size_t in_flight_ = 0;  // requests sent and not yet recorded
  bool send_armed_ = false;
  bool finished_ = false;
};

}  // namespace

mf::expected<void> run_http_thread(const bench_options& o, const workload& wl,
                                   const thread_share& share, bench_clock::time_point start,
                                   recorder& rec, run_result& out) {
  auto url = parse_http_url(o.url);
  if (!url) return std::move(url).error();
  // Asio reports setup failures (epoll/timerfd creation) by throwing; nothing else throws here
  // (every I/O call uses its error_code overload), and nothing may escape this module edge.
  try {
    http_load_loop loop(o, wl, share, start, rec, out, std::move(*url));
    loop.run();
  } catch (const std::exception& e) {
    return mf::make_error(mf::errc::internal, std::string("http load thread: ") + e.what());
  }
  return {};
}

}  // namespace mf::bench
