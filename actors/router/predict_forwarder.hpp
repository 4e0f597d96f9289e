// predict_forwarder: the router's predict path. One event loop (an asio io_context) owns the
// placement cache, a ZeroMQ DEALER per worker and the front-door ROUTER; it picks the
// least-loaded live replica holding the tenant, matches replies by request id, enforces
// deadlines, retries once on another replica, and sheds load past a bounded in-flight limit.
// Requests that become ready in the same loop turn for the same worker leave as one
// predictBatchRequest frame when the worker announced protocol level 2.
// The loop is either its own thread or the router's HTTP loop (`forwarder_options::loop`), so
// an HTTP request is forwarded and answered without leaving the HTTP thread. Public methods
// are thread-safe; callbacks run on the loop thread and must not block.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "cluster/records.hpp"
#include "common/expected.hpp"
#include "protocol/curve.hpp"
#include "protocol/messages.hpp"

namespace asio {
class io_context;
}

namespace mf::router {

struct forwarder_options {
  std::string node_id = "router";   // routing id of our DEALERs, seen in worker logs
  std::size_t max_inflight = 4096;  // beyond this, predict answers overloaded (429)
  // Requests ready for one worker in the same loop turn go as one predictBatchRequest frame
  // (to workers announcing protocol level 2). False: each request is a frame of its own.
  bool batch = true;
  std::string front_endpoint;  // ZeroMQ front door to bind; empty = none
  // A replica that timed out is avoided for this long unless it is the only one left.
  std::chrono::milliseconds suspect_for{3000};
  // Cluster CURVE key: every DEALER to a worker is a CURVE client (the front door stays plain).
  std::optional<mf::protocol::curve_keys> curve;
  // The event loop to live on, e.g. the HTTP server's when it runs one thread: then predict()
  // called on that thread forwards at once, with no hand-off to another thread. Exactly one
  // thread may run it (zmq_socket_watch says why). Null: the forwarder runs a loop thread of
  // its own. With a shared loop, destroy the forwarder on the loop thread or after the loop
  // stopped (io_context::stopped()), as the router does.
  std::shared_ptr<asio::io_context> loop;
};

// What the router knows about the cluster, replaced wholesale on every refresh.
struct cluster_view {
  mf::cluster::placement placement;
  std::vector<mf::cluster::node_record> nodes;
  // tenant -> requests_per_second quota (absent or 0 = unlimited); enforced per router.
  std::map<std::string, std::int64_t> rate_limits;
};

struct forwarder_stats {
  std::uint64_t forwarded = 0, retried = 0, shed = 0, timed_out = 0, no_replica = 0,
                rate_limited = 0;
  // predictBatchRequest frames sent to workers, and the requests they carried.
  std::uint64_t batch_frames = 0, batched = 0;
  std::size_t inflight = 0;
  std::size_t workers_up = 0;
  std::int64_t epoch = 0;
};

class predict_forwarder {
 public:
  using callback = std::function<void(mf::protocol::predict_reply)>;

  // Binds the front door (if any) and starts the loop thread (unless options.loop is given).
  static mf::expected<std::unique_ptr<predict_forwarder>> start(forwarder_options options);
  ~predict_forwarder();  // stops the loop; pending requests are answered unavailable
  predict_forwarder(const predict_forwarder&) = delete;
  predict_forwarder& operator=(const predict_forwarder&) = delete;

  // Forwards one request; `done` gets the reply or an error reply (overloaded, unavailable,
  // deadline_exceeded). request.deadline_unix_ms must be set. The request id is replaced by
  // an internal one and restored in the reply.
  void predict(mf::protocol::predict_request request, callback done);

  // New placement + node list (from the state watcher). Requests to nodes that left are
  // retried elsewhere at once.
  void update(cluster_view view);

  forwarder_stats stats() const;
  std::string front_endpoint() const;  // the bound endpoint (port resolved), or ""

 private:
  struct impl;
  explicit predict_forwarder(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

}  // namespace mf::router
