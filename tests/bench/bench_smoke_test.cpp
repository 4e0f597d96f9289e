// Smoke test of the load generator: ~2 s of closed- and open-loop HTTP load against a real
// fixed-reply server (tests/bench/fixed_reply_server.py) and a short raw ZeroMQ ceiling run;
// checks the JSON report's numbers are consistent with what the server saw.
#include <doctest/doctest.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "nodes/bench/bench_session.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/free_port.hpp"
#include "tests/support/wait_until.hpp"

using namespace std::chrono_literals;
using mf::bench::bench_options;

namespace {

bool port_open(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

std::vector<std::string> server_args(std::uint16_t port, std::vector<std::string> extra) {
  extra.insert(extra.begin(),
               {MF_SOURCE_DIR "/tests/bench/fixed_reply_server.py", std::to_string(port)});
  return extra;
}

// `misbehaviour`: fixed_reply_server.py flags such as {"--close-after", "3"}.
struct fixed_reply_server {
  std::uint16_t port = mf::test::free_tcp_port();  // declared first: `process` uses it
  mf::test::child_process process;

  explicit fixed_reply_server(std::vector<std::string> misbehaviour = {})
      : process("/usr/bin/python3", server_args(port, std::move(misbehaviour)),
                MF_BINARY_DIR "/tests/bench/fixed_reply_server.log") {
    REQUIRE_MESSAGE(mf::test::wait_until([&] { return port_open(port); }, 15s), process.log());
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port); }
};

// The report of a run that must succeed as a run (its requests may still fail).
nlohmann::json run_ok(const bench_options& o) {
  auto report = mf::bench::run_bench(o);
  REQUIRE_MESSAGE(report, (report ? "" : report.error().message));
  return std::move(*report);
}

}  // namespace

TEST_CASE("closed loop over HTTP: counts, error codes, latency, timeline, cache metrics") {
  fixed_reply_server server;
  bench_options o;
  o.url = server.url();
  o.connections = 4;
  o.duration = 2s;
  o.timeout = 2s;
  o.mix = mf::bench::key_mix::uniform;
  o.tenants = 2;  // bench-1 answers 422
  o.rows = 3;
  o.features = 4;
  o.metrics_urls = {server.url() + "/metrics"};
  o.label = "smoke";
  auto report = mf::bench::run_bench(o);
  REQUIRE_MESSAGE(report, (report ? "" : report.error().message));
  const auto& r = (*report)["results"];
  INFO(report->dump(2));
  const auto requests = r["requests"].get<std::uint64_t>();
  const auto ok = r["ok"].get<std::uint64_t>();
  CHECK(requests > 50);
  CHECK(ok > 0);
  CHECK(r["errors"].get<std::uint64_t>() == requests - ok);
  CHECK(r["errors_by_code"]["422 invalid_input"].get<std::uint64_t>() == requests - ok);
  // Uniform over two tenants: about half fail.
  CHECK(static_cast<double>(ok) / static_cast<double>(requests) ==
        doctest::Approx(0.5).epsilon(0.15));
  CHECK(r["rows_per_s"].get<double>() == doctest::Approx(3.0 * r["ok_rps"].get<double>()));
  CHECK(r["unfinished"].get<std::uint64_t>() == 0);
  const auto& lat = r["latency_us"];
  CHECK(lat["p50"].get<double>() > 0);
  CHECK(lat["p50"].get<double>() <= lat["p90"].get<double>());
  CHECK(lat["p90"].get<double>() <= lat["p99"].get<double>());
  CHECK(lat["p99"].get<double>() <= lat["p999"].get<double>());
  CHECK(lat["p999"].get<double>() <= lat["max"].get<double>());
  CHECK(lat["max"].get<double>() < 2e6);  // under the 2 s timeout
  CHECK((*report)["timeline"].size() >= 2);
  CHECK((*report)["load"]["mode"] == "closed");
  CHECK((*report)["label"] == "smoke");
  // The server counted exactly the requests the bench completed between its two scrapes.
  CHECK((*report)["cache"]["hits"].get<double>() == static_cast<double>(requests));
}

TEST_CASE("open loop holds the offered rate (1 and 2 threads) and times latency from due time") {
  struct schedule {
    double rate;
    std::size_t threads;
    std::chrono::milliseconds duration;
    const char* url_suffix;  // a trailing slash must not double the paths' first one
    std::chrono::microseconds send_tick{0};
  };
  // The last one wakes every 2 ms and sends the ~4 requests due since: same counts.
  for (const schedule& s : {schedule{200, 1, 2s, ""}, schedule{1000, 2, 1500ms, "/"},
                            schedule{2000, 1, 1500ms, "", 2000us}}) {
    CAPTURE(s.rate);
    CAPTURE(s.send_tick.count());
    fixed_reply_server server;
    bench_options o;
    o.url = server.url() + s.url_suffix;
    o.connections = 8;
    o.threads = s.threads;
    o.rate = s.rate;
    o.send_tick = s.send_tick;
    o.duration = s.duration;
    o.warmup = 200ms;
    o.timeout = 2s;
    const auto report = run_ok(o);
    INFO(report.dump(2));
    const auto& r = report["results"];
    CHECK(report["load"]["mode"] == "open");
    CHECK(report["load"]["send_tick_us"] == s.send_tick.count());
    // Counted by due time: rate x measured seconds (warm-up requests are sent, not counted).
    const double due = s.rate * std::chrono::duration<double>(s.duration).count();
    CHECK(r["requests"].get<double>() == doctest::Approx(due).epsilon(0.05));
    CHECK(r["ok"] == r["requests"]);
    CHECK(r["missed_sends"].get<double>() < 5 + 0.02 * due);
    CHECK(r["unfinished"].get<std::uint64_t>() == 0);
    CHECK(r["latency_us"]["p50"].get<double>() > 0);
  }
}

TEST_CASE("a server that closes keep-alive connections: every request is still answered") {
  // Announced ("Connection: close": the client reconnects before its next request) and
  // unannounced (the next request meets a closed socket and is retried on a new connection).
  for (const std::string mode : {"--close-after", "--drop-after"}) {
    CAPTURE(mode);
    fixed_reply_server server({mode, "3"});
    bench_options o;
    o.url = server.url();
    o.connections = 4;
    o.duration = 1s;
    o.timeout = 2s;
    o.metrics_urls = {server.url() + "/metrics"};
    const auto report = run_ok(o);
    INFO(report.dump(2));
    const auto& r = report["results"];
    const auto requests = r["requests"].get<std::uint64_t>();
    CHECK(requests > 30);
    CHECK(r["ok"].get<std::uint64_t>() == requests);
    CHECK(r["unfinished"].get<std::uint64_t>() == 0);
    // Retries never double a request: the server answered exactly the completed ones.
    CHECK(report["cache"]["hits"].get<double>() == static_cast<double>(requests));
  }
}

TEST_CASE("a server that never answers: requests end as transport timeouts within the bound") {
  fixed_reply_server server({"--silent"});
  bench_options o;
  o.url = server.url();
  o.connections = 3;
  o.duration = 1s;
  o.timeout = 300ms;
  const auto began = std::chrono::steady_clock::now();
  const auto report = run_ok(o);
  const auto took = std::chrono::steady_clock::now() - began;
  INFO(report.dump(2));
  const auto& r = report["results"];
  // Each connection: a request, its timeout, a new connection, ... ~4 per connection in 1 s.
  const auto requests = r["requests"].get<std::uint64_t>();
  CHECK(requests >= 6);
  CHECK(r["ok"] == 0);
  CHECK(r["errors_by_code"]["transport timeout"].get<std::uint64_t>() == requests);
  CHECK(r["unfinished"].get<std::uint64_t>() == 0);
  CHECK(r["latency_us"]["min"].get<double>() >= 0.99 * 300e3);
  CHECK(r["latency_us"]["max"].get<double>() < 300e3 + 200e3);
  // Send phase 1 s, then at most the 300 ms timeout of the last requests (+1 s hard end).
  CHECK(took < 2300ms + 500ms);
}

namespace {

// A one-second raw ceiling run with W4's frame sizes, directly or through the relay.
bench_options ceiling_options(bool relay) {
  bench_options o;
  o.target = mf::bench::target_kind::zmq_ceiling;
  o.ceiling_relay = relay;
  o.connections = 16;
  o.rows = 256;
  o.features = 16;
  o.duration = 1s;
  return o;
}

}  // namespace

TEST_CASE("the raw ZeroMQ ceiling loop runs and reports rows/s") {
  const bench_options o = ceiling_options(false);
  auto report = mf::bench::run_bench(o);
  REQUIRE_MESSAGE(report, (report ? "" : report.error().message));
  const auto& r = (*report)["results"];
  CHECK(r["requests"].get<std::uint64_t>() > 100);
  CHECK(r["errors"].get<std::uint64_t>() == 0);
  CHECK(r["rows_per_s"].get<double>() == doctest::Approx(256.0 * r["ok_rps"].get<double>()));
}

TEST_CASE("the two-hop ceiling loop crosses the relay and says so in the report") {
  const bench_options o = ceiling_options(true);
  auto report = mf::bench::run_bench(o);
  REQUIRE_MESSAGE(report, (report ? "" : report.error().message));
  CHECK((*report)["target"]["hops"] == 2);
  const auto& r = (*report)["results"];
  // Every request went out through the relay and its reply came back the same way: none lost,
  // none cut off when the relay stopped.
  CHECK(r["requests"].get<std::uint64_t>() > 100);
  CHECK(r["errors"].get<std::uint64_t>() == 0);
  CHECK(r["unfinished"].get<std::uint64_t>() == 0);
  CHECK(r["ok"] == r["requests"]);
}

TEST_CASE("modelfleet-bench binary writes a JSON report; a refused target shows as errors") {
  const std::string out = MF_BINARY_DIR "/tests/bench/smoke_report.json";
  std::filesystem::remove(out);
  const std::uint16_t closed_port = mf::test::free_tcp_port();  // nobody listens
  mf::test::child_process tool(MF_BINARY_DIR "/nodes/bench/modelfleet-bench",
                               {"bench", "--url", "http://127.0.0.1:" + std::to_string(closed_port),
                                "--duration", "0.5", "-c", "2", "--no-progress", "--json", out},
                               MF_BINARY_DIR "/tests/bench/smoke_tool.log");
  const auto status = tool.wait_for(30s);
  REQUIRE(status);
  CHECK_MESSAGE(*status == 0, tool.log());
  std::ifstream in(out);
  REQUIRE(in);
  const auto report = nlohmann::json::parse(in);
  CHECK(report["results"]["ok"] == 0);
  CHECK(report["results"]["errors_by_code"]["transport connect_failed"].get<std::uint64_t>() > 0);

  mf::test::child_process bad(MF_BINARY_DIR "/nodes/bench/modelfleet-bench",
                              {"bench", "--url", "http://127.0.0.1:1", "--mix", "pareto"},
                              MF_BINARY_DIR "/tests/bench/smoke_bad.log");
  const auto bad_status = bad.wait_for(30s);
  REQUIRE(bad_status);
  CHECK(*bad_status == 2);
}
