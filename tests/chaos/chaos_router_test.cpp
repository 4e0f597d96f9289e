// Router faults with real processes: overload at 3x capacity (fault 8: shed with 429, admitted
// p99 bounded, memory flat) and slow/idle clients (fault 7: 1,000 idle connections and
// slowloris senders while others keep being answered; header timeouts close them).
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <regex>
#include <thread>

#include "tests/chaos/chaos_cluster.hpp"
#include "tests/chaos/load_client.hpp"
#include "tests/support/wait_until.hpp"

using namespace mf::chaos;
using namespace std::chrono_literals;

namespace {

// Under ASan the router's freed memory sits in the allocator's quarantine (256 MiB by default)
// before it is reused: RSS grows by up to that much with no queue growing at all.
#if defined(__SANITIZE_ADDRESS__)
constexpr long sanitizer_rss_allowance_kib = 256 * 1024;
#else
constexpr long sanitizer_rss_allowance_kib = 0;
#endif

long proc_status_kib(pid_t pid, const std::string& field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(field + ":", 0) == 0) return std::stol(line.substr(field.size() + 1));
  return -1;
}

load_options predict_load(chaos_cluster& c, double rate, int threads) {
  load_options o;
  o.rate_per_s = rate;
  o.threads = threads;
  o.timeout = 5000ms;
  const auto url = c.predict_url("t1", "m");
  const auto headers = c.admin_headers();
  o.make = [url, headers](std::size_t) {
    return load_request{"POST", url, R"({"instances":[[1,1],[2,0]]})", headers};
  };
  return o;
}

// A connected TCP socket to the router's HTTP port, or -1.
int connect_to(const std::string& base) {
  std::smatch m;
  const std::regex re("http://([0-9.]+):([0-9]+)");
  if (!std::regex_search(base, m, re)) return -1;
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(std::stoi(m[2])));
  ::inet_pton(AF_INET, m[1].str().c_str(), &addr.sin_addr);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// True if the peer closed the connection (EOF or reset), without blocking.
bool closed_by_peer(int fd) {
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, 0) <= 0) return false;
  char buf[512];
  const ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
  return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
}

void seed(chaos_cluster& c) {
  c.create_tenant("t1");
  c.upload_model("t1", "m", small_artifact());
  REQUIRE(mf::test::wait_until([&] { return !c.placement("t1").empty(); }, 15s));
  REQUIRE(c.wait_predict_ok("t1", "m", 15s));
}

}  // namespace

TEST_CASE("fault 8: overload at 3x capacity is shed with 429, not queued") {
  cluster_options opt;
  opt.name = "f8";
  opt.workers = 2;
  opt.replicas = 2;
  opt.router_args = {"--max-inflight", "16"};
  chaos_cluster c(opt);
  seed(c);
  const pid_t router = c.router().pid();

  // Capacity: closed loop from 8 connections for ~2 s.
  steady_load probe(predict_load(c, 1e6, 8));
  const double p0 = now_ms();
  probe.start();
  REQUIRE(mf::test::wait_until([&] { return now_ms() - p0 >= 2000; }, 5s));
  probe.stop();
  const auto cap = summarize(probe.outcomes(), p0);
  const double capacity = cap.achieved_rate;
  REQUIRE(capacity > 50);

  const long rss_before = proc_status_kib(router, "VmRSS");
  steady_load over(predict_load(c, 3 * capacity, 64));
  const double o0 = now_ms();
  over.start();
  long rss_peak = rss_before;
  REQUIRE(mf::test::wait_until(
      [&] {
        rss_peak = std::max(rss_peak, proc_status_kib(router, "VmRSS"));
        return now_ms() - o0 >= 4000;
      },
      8s, 50ms));
  over.stop();
  const long rss_after = proc_status_kib(router, "VmRSS");
  const auto all = over.outcomes();
  const auto s = summarize(all, o0);
  std::size_t other = 0;
  for (const auto& o : all)
    if (o.status != 200 && o.status != 429) ++other;
  const std::size_t shed = s.by_status.count(429) ? s.by_status.at(429) : 0;
  const auto j = nlohmann::json{{"fault", 8},
                                {"capacity_per_s", capacity},
                                {"capacity_p99_ms", cap.p99_ms},
                                {"offered_per_s", 3 * capacity},
                                {"shed_429", shed},
                                {"other_failures", other},
                                {"router_rss_kib_before", rss_before},
                                {"router_rss_kib_peak", rss_peak},
                                {"router_rss_kib_after", rss_after},
                                {"load", s.to_json()}};
  MESSAGE("fault 8: " << j.dump() << " -> " << write_figures("fault8_overload", j));
  CHECK(shed > 0);
  CHECK(other == 0);
  CHECK(s.ok > 0);
  CHECK(s.p99_ms < 1000 * time_scale());  // admitted requests stay within the deadline
  // flat: no unbounded queue
  CHECK(rss_peak - rss_before < 64 * 1024 + sanitizer_rss_allowance_kib);
}

TEST_CASE("fault 7: 1,000 idle connections and slowloris senders do not starve others") {
  cluster_options opt;
  opt.name = "f7";
  opt.workers = 1;
  opt.replicas = 1;
  // The router closes a connection that has not sent a whole request within 2 s.
  opt.router_args = {"--header-timeout-ms", "2000"};
  chaos_cluster c(opt);
  seed(c);

  // Every connection remembers when it was opened and when the router closed it (ms, now_ms).
  struct conn {
    int fd;
    double opened;
    double closed = -1;
  };
  std::vector<conn> idle, slow;
  for (int i = 0; i < 1000; ++i) {
    const int fd = connect_to(c.base());
    if (fd >= 0) idle.push_back({fd, now_ms()});
  }
  REQUIRE(idle.size() == 1000);
  // Slowloris: 20 connections sending a header one byte at a time, never finishing it.
  std::atomic<bool> stop{false};
  for (int i = 0; i < 20; ++i) {
    const int fd = connect_to(c.base());
    REQUIRE(fd >= 0);
    slow.push_back({fd, now_ms()});
  }
  // One thread drips the slow headers and notes each close as soon as it happens, while the
  // normal client below keeps being served.
  std::atomic<std::size_t> idle_closed{0}, slow_closed{0};
  std::thread watch([&] {
    const std::string header =
        "POST /v1/tenants/t1/models/m/predict HTTP/1.1\r\nHost: x\r\nX-Slow: ";
    std::size_t i = 0;
    double next_drip = 0;
    while (!stop) {
      if (now_ms() >= next_drip) {
        for (const auto& k : slow) {
          if (k.closed >= 0) continue;
          const char ch = i < header.size() ? header[i] : 'a';
          (void)::send(k.fd, &ch, 1, MSG_NOSIGNAL | MSG_DONTWAIT);
        }
        ++i;
        next_drip = now_ms() + 200;  // the attacker's pace: one byte per 200 ms
      }
      for (auto* group : {&idle, &slow})
        for (auto& k : *group)
          if (k.closed < 0 && closed_by_peer(k.fd)) {
            k.closed = now_ms();
            ++(group == &idle ? idle_closed : slow_closed);
          }
      if (idle_closed == idle.size() && slow_closed == slow.size()) break;
      std::this_thread::sleep_for(20ms);  // the watcher's polling period
    }
  });

  steady_load load(predict_load(c, 100, 4));
  const double t0 = now_ms();
  load.start();
  REQUIRE(mf::test::wait_until([&] { return load.completed() >= 400; }, 15s));
  load.stop();
  const auto s = summarize(load.outcomes(), t0);
  // Bounded wait for the closes the header timeout must have caused by now.
  mf::test::wait_until([&] { return idle_closed == idle.size() && slow_closed == slow.size(); },
                       10s, 50ms);
  stop = true;
  watch.join();
  auto longest_open = [](const std::vector<conn>& v) {
    double worst = 0;
    for (const auto& k : v) worst = std::max(worst, k.closed < 0 ? 1e9 : k.closed - k.opened);
    return worst;
  };
  const double idle_open_ms = longest_open(idle), slow_open_ms = longest_open(slow);
  for (const auto& k : idle) ::close(k.fd);
  for (const auto& k : slow) ::close(k.fd);
  const auto j = nlohmann::json{{"fault", 7},
                                {"header_timeout_ms", 2000},
                                {"idle_connections", idle.size()},
                                {"slowloris_connections", slow.size()},
                                {"idle_closed", idle_closed.load()},
                                {"slowloris_closed", slow_closed.load()},
                                {"idle_longest_open_ms", idle_open_ms},
                                {"slowloris_longest_open_ms", slow_open_ms},
                                {"others", s.to_json()}};
  MESSAGE("fault 7: " << j.dump() << " -> " << write_figures("fault7_slow_clients", j));
  CHECK(s.failed == 0);
  CHECK(s.p99_ms < 250 * time_scale());
  CHECK(idle_closed == idle.size());
  CHECK(slow_closed == slow.size());
  // 2 s limit + RESTinio's timer check period (1 s) + this thread's polling, on a loaded
  // 2-core CI machine: every close well within 4 s (without the limit they stay 60 s).
  CHECK(idle_open_ms < 4000 * time_scale());
  CHECK(slow_open_ms < 4000 * time_scale());
}
