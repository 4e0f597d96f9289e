// bench_options: everything one `modelfleet bench` run is told (target, load model, request
// mix, output). Plain value type; not thread-safe (copy it per thread if needed).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "nodes/bench/key_distribution.hpp"

namespace mf::bench {

enum class target_kind { http, front, zmq_ceiling };

// Fractions of each call kind; normalised by the workload (need not sum to 1).
struct op_weights {
  double predict = 1.0;
  double train = 0.0;
  double activate = 0.0;
};

struct bench_options {
  target_kind target = target_kind::http;
  std::string url;    // http: base URL, e.g. http://127.0.0.1:8080
  std::string front;  // front: ZeroMQ endpoint, e.g. tcp://127.0.0.1:7000
  std::string token;  // sent as "Authorization: Bearer" when non-empty (http)
  // zmq_ceiling: through a do-nothing relay (zmq_proxy) in front of the echo server, i.e. the
  // two hops of client -> router -> worker with none of their work.
  bool ceiling_relay = false;

  // Closed loop: `connections` requests always in flight. Open loop (rate > 0): requests are
  // due at a fixed rate and latency counts from when each was due (coordinated omission
  // corrected); `connections` bounds the in-flight requests.
  std::size_t connections = 8;
  std::size_t threads = 1;
  double rate = 0;  // requests per second over all threads; 0 = closed loop
  // Open loop: the send timer fires on a grid of this step from the start and each wake sends
  // every request due by then. Latency still counts from each request's own due time, so a
  // request sent up to one step late is charged for it; 0 = one timer wake per request.
  std::chrono::microseconds send_tick{0};
  std::chrono::milliseconds duration{10'000};
  std::chrono::milliseconds warmup{0};  // results of requests sent before this are dropped
  std::chrono::milliseconds timeout{5'000};

  key_mix mix = key_mix::hot;
  std::size_t tenants = 1;
  double zipf_s = 1.1;
  std::string tenant_prefix = "bench-";
  std::string model = "m";
  std::size_t rows = 1;
  std::size_t features = 16;
  op_weights ops;
  std::string predict_path = "/v1/tenants/{tenant}/models/{model}/predict";
  std::string train_path = "/v1/tenants/{tenant}/models/{model}/train";
  std::string activate_path = "/v1/tenants/{tenant}/models/{model}/versions/{version}/activate";
  std::string train_algorithm = "logistic_regression";
  std::size_t train_rows = 200;
  std::int64_t activate_version = 1;

  std::vector<std::string> metrics_urls;  // Prometheus endpoints scraped before and after
  std::uint64_t seed = 42;
  bool progress = false;  // a progress line on stderr every second
  std::string label;      // free text copied into the report (scenario name)
};

}  // namespace mf::bench
