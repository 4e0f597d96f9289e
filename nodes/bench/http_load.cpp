// http_load: one load thread over libcurl's multi interface driven by our own epoll loop
// (curl_multi_socket_action), so open-loop sends are timed to the microsecond (epoll_pwait2)
// rather than to curl_multi_poll's millisecond. Keep-alive: at most `connections` transfers
// and connections, reused by the multi handle's connection cache.
#include <curl/curl.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <algorithm>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <vector>

#include "nodes/bench/load_driver.hpp"

namespace mf::bench {
namespace {

using namespace std::chrono;

struct http_slot {
  CURL* easy = nullptr;
  planned_request request;
  bench_clock::time_point due;
  std::string url;
  std::string reply_head;  // first bytes of the reply: the error code of a failed call
};

size_t keep_head(char* data, size_t size, size_t n, void* user) {
  auto* slot = static_cast<http_slot*>(user);
  const size_t bytes = size * n;
  if (slot->reply_head.size() < 512) {
    slot->reply_head.append(data, std::min(bytes, 512 - slot->reply_head.size()));
  }
  return bytes;
}

// "422 invalid_input" from a REST error envelope, else just the status.
std::string http_error_key(long status, const std::string& body) {
  std::string key = std::to_string(status);
  const auto at = body.find("\"code\"");
  if (at == std::string::npos) return key;
  const auto open = body.find('"', body.find(':', at) + 1);
  const auto close = open == std::string::npos ? open : body.find('"', open + 1);
  if (close != std::string::npos && close - open < 48)
    key += " " + body.substr(open + 1, close - open - 1);
  return key;
}

std::string transport_error_key(CURLcode code) {
  switch (code) {
    case CURLE_OPERATION_TIMEDOUT:
      return "transport timeout";
    case CURLE_COULDNT_CONNECT:
      return "transport connect_failed";
    case CURLE_GOT_NOTHING:
      return "transport empty_reply";
    case CURLE_SEND_ERROR:
      return "transport send_error";
    case CURLE_RECV_ERROR:
      return "transport recv_error";
    default:
      return std::string("transport ") + curl_easy_strerror(code);
  }
}

// The epoll loop's state, reached from curl's callbacks.
struct event_loop {
  int epoll_fd = -1;
  bool timer_armed = false;
  bench_clock::time_point timer_due;
};

int on_socket(CURL*, curl_socket_t fd, int what, void* user, void*) {
  auto* loop = static_cast<event_loop*>(user);
  if (what == CURL_POLL_REMOVE) {
    epoll_ctl(loop->epoll_fd, EPOLL_CTL_DEL, fd, nullptr);
    return 0;
  }
  epoll_event ev{};
  ev.data.fd = fd;
  if (what & CURL_POLL_IN) ev.events |= EPOLLIN;
  if (what & CURL_POLL_OUT) ev.events |= EPOLLOUT;
  if (epoll_ctl(loop->epoll_fd, EPOLL_CTL_MOD, fd, &ev) != 0) {
    epoll_ctl(loop->epoll_fd, EPOLL_CTL_ADD, fd, &ev);
  }
  return 0;
}

int on_timer(CURLM*, long timeout_ms, void* user) {
  auto* loop = static_cast<event_loop*>(user);
  loop->timer_armed = timeout_ms >= 0;
  if (loop->timer_armed) loop->timer_due = bench_clock::now() + milliseconds(timeout_ms);
  return 0;
}

std::once_flag curl_init_once;

}  // namespace

mf::expected<void> run_http_thread(const bench_options& o, const workload& wl,
                                   const thread_share& share, bench_clock::time_point start,
                                   recorder& rec, run_result& out) {
  std::call_once(curl_init_once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  event_loop loop;
  loop.epoll_fd = epoll_create1(EPOLL_CLOEXEC);
  if (loop.epoll_fd < 0) return mf::make_error(mf::errc::internal, "epoll_create1 failed");
  std::unique_ptr<int, void (*)(int*)> close_epoll(&loop.epoll_fd, [](int* fd) { ::close(*fd); });

  std::unique_ptr<CURLM, decltype(&curl_multi_cleanup)> multi(curl_multi_init(),
                                                              &curl_multi_cleanup);
  if (!multi) return mf::make_error(mf::errc::internal, "curl_multi_init failed");
  const long conns = static_cast<long>(share.connections);
  curl_multi_setopt(multi.get(), CURLMOPT_MAX_TOTAL_CONNECTIONS, conns);
  curl_multi_setopt(multi.get(), CURLMOPT_MAX_HOST_CONNECTIONS, conns);
  curl_multi_setopt(multi.get(), CURLMOPT_MAXCONNECTS, conns);
  curl_multi_setopt(multi.get(), CURLMOPT_SOCKETFUNCTION, on_socket);
  curl_multi_setopt(multi.get(), CURLMOPT_SOCKETDATA, &loop);
  curl_multi_setopt(multi.get(), CURLMOPT_TIMERFUNCTION, on_timer);
  curl_multi_setopt(multi.get(), CURLMOPT_TIMERDATA, &loop);

  curl_slist* raw_headers = nullptr;
  raw_headers = curl_slist_append(raw_headers, "Content-Type: application/json");
  raw_headers = curl_slist_append(raw_headers, "Expect:");  // no 100-continue round trip
  if (!o.token.empty()) {
    raw_headers = curl_slist_append(raw_headers, ("Authorization: Bearer " + o.token).c_str());
  }
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> headers(raw_headers,
                                                                      &curl_slist_free_all);

  std::vector<http_slot> slots(share.connections);
  std::vector<http_slot*> idle;
  for (auto& s : slots) {
    s.easy = curl_easy_init();
    if (!s.easy) return mf::make_error(mf::errc::internal, "curl_easy_init failed");
    curl_easy_setopt(s.easy, CURLOPT_PRIVATE, &s);
    curl_easy_setopt(s.easy, CURLOPT_WRITEFUNCTION, keep_head);
    curl_easy_setopt(s.easy, CURLOPT_WRITEDATA, &s);
    curl_easy_setopt(s.easy, CURLOPT_HTTPHEADER, headers.get());
    curl_easy_setopt(s.easy, CURLOPT_TIMEOUT_MS, static_cast<long>(o.timeout.count()));
    curl_easy_setopt(s.easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(s.easy, CURLOPT_TCP_NODELAY, 1L);
    idle.push_back(&s);
  }
  struct easy_cleanup {
    std::vector<http_slot>& slots;
    CURLM* multi;
    ~easy_cleanup() {
      for (auto& s : slots) {
        if (!s.easy) continue;
        curl_multi_remove_handle(multi, s.easy);
        curl_easy_cleanup(s.easy);
      }
    }
  } cleanup{slots, multi.get()};

  std::mt19937_64 rng(o.seed * 7919 + share.index);
  const std::string base = o.url.back() == '/' ? o.url.substr(0, o.url.size() - 1) : o.url;
  const auto send_end = start + o.warmup + o.duration;
  const auto hard_end = send_end + o.timeout + seconds(1);
  const bool open_loop = share.rate > 0;
  const auto interval =
      open_loop ? duration_cast<bench_clock::duration>(duration<double>(1.0 / share.rate))
                : bench_clock::duration::zero();
  auto next_due = start;
  std::size_t in_flight = 0;
  int running = 0;

  auto launch = [&](bench_clock::time_point due) {
    http_slot* s = idle.back();
    idle.pop_back();
    s->request = wl.next(rng);
    s->due = due;
    s->url = base + wl.path(s->request.op, s->request.tenant);
    s->reply_head.clear();
    const std::string& body = wl.http_body(s->request);
    curl_easy_setopt(s->easy, CURLOPT_URL, s->url.c_str());
    curl_easy_setopt(s->easy, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
    curl_easy_setopt(s->easy, CURLOPT_POSTFIELDS, body.data());
    curl_multi_add_handle(multi.get(), s->easy);
    ++in_flight;
    ++out.sent;
  };

  auto drain_done = [&] {
    int left = 0;
    while (CURLMsg* msg = curl_multi_info_read(multi.get(), &left)) {
      if (msg->msg != CURLMSG_DONE) continue;
      const auto done = bench_clock::now();
      http_slot* s = nullptr;
      curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &s);
      const CURLcode code = msg->data.result;
      long status = 0;
      curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &status);
      curl_multi_remove_handle(multi.get(), msg->easy_handle);
      const bool ok = code == CURLE_OK && status >= 200 && status < 300;
      std::string key;
      if (!ok)
        key = code != CURLE_OK ? transport_error_key(code) : http_error_key(status, s->reply_head);
      rec.completed(s->request.op, s->due, done, ok, wl.rows(), key);
      --in_flight;
      idle.push_back(s);
    }
  };

  epoll_event events[64];
  for (;;) {
    auto now = bench_clock::now();
    const bool sending = now < send_end;
    if (sending) {
      if (!open_loop) {
        while (!idle.empty()) launch(now);
      } else {
        while (!idle.empty() && next_due <= now && next_due < send_end) {
          launch(next_due);
          next_due += interval;
        }
      }
    }
    if (!sending && in_flight == 0) break;
    if (now >= hard_end) {
      out.unfinished += in_flight;
      break;
    }
    if (loop.timer_armed && loop.timer_due <= now) {
      loop.timer_armed = false;
      curl_multi_socket_action(multi.get(), CURL_SOCKET_TIMEOUT, 0, &running);
      drain_done();
      continue;
    }
    // Sleep until a socket is ready, curl's timer, the next due send, or the end.
    auto wake = sending ? send_end : hard_end;
    if (loop.timer_armed) wake = std::min(wake, loop.timer_due);
    if (sending && open_loop && !idle.empty()) wake = std::min(wake, next_due);
    const auto wait = std::max(bench_clock::duration::zero(), wake - now);
    timespec ts{};
    ts.tv_sec = static_cast<time_t>(duration_cast<seconds>(wait).count());
    ts.tv_nsec = static_cast<long>(duration_cast<nanoseconds>(wait % seconds(1)).count());
    const int n = epoll_pwait2(loop.epoll_fd, events, 64, &ts, nullptr);
    for (int i = 0; i < n; ++i) {
      int flags = 0;
      if (events[i].events & EPOLLIN) flags |= CURL_CSELECT_IN;
      if (events[i].events & EPOLLOUT) flags |= CURL_CSELECT_OUT;
      if (events[i].events & (EPOLLERR | EPOLLHUP)) flags |= CURL_CSELECT_ERR;
      curl_multi_socket_action(multi.get(), events[i].data.fd, flags, &running);
    }
    if (n > 0) drain_done();
  }
  if (open_loop && next_due < send_end) {
    out.missed_sends += static_cast<std::uint64_t>((send_end - next_due) / interval);
  }
  return {};
}

}  // namespace mf::bench
