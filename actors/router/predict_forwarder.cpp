// predict_forwarder: a single-threaded event loop on an asio io_context (the DEALERs and the
// front door watched through their ZMQ_FD, a timer for deadlines). One thread owns every socket
// and the placement cache, so none of them needs a lock. A call made on the loop thread (the
// HTTP handler, when the router shares its HTTP loop) is handled at once; other threads talk to
// the loop through a small mutex-guarded inbox, drained by one posted handler per batch.
// Hot path (bench/ W1, W4): no hand-off between threads for an HTTP predict on a shared loop,
// no allocation per loop turn (inbox buffers are reused), counters are relaxed atomics, and the
// deadline scan runs only when the earliest deadline is due.
#include "actors/router/predict_forwarder.hpp"

#include <algorithm>
#include <array>
#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <future>
#include <unordered_map>
#include <variant>
#include <zmq.hpp>

#include "actors/router/zmq_socket_watch.hpp"
#include "protocol/codec.hpp"
#include "protocol/frame.hpp"
#include "protocol/socket.hpp"

namespace mf::router {
namespace {

using steady = std::chrono::steady_clock;
using mf::protocol::predict_reply;
using mf::protocol::predict_request;

std::int64_t unix_ms_now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

predict_reply error_reply(std::uint64_t id, errc code, std::string message) {
  predict_reply r;
  r.request_id = id;
  r.error = mf::make_error(code, std::move(message));
  return r;
}

}  // namespace

struct predict_forwarder::impl {
  struct submit {
    predict_request request;
    callback done;
  };
  using command = std::variant<submit, cluster_view>;

  struct link {
    std::string address;
    std::unique_ptr<zmq::socket_t> socket;
    std::unique_ptr<zmq_socket_watch> watch;  // after `socket`: stops watching before it closes
    std::size_t inflight = 0;
    bool draining = false;
    bool takes_batches = false;  // announced protocol level >= 2
    steady::time_point suspect_until{};
    // Requests (internal ids) chosen for this worker in the current loop turn, sent together
    // by flush_outboxes at the end of the turn.
    std::vector<std::uint64_t> outbox;
  };

  struct pending {
    predict_request request;  // kept for the retry; request_id is the internal id
    std::uint64_t client_id = 0;
    callback done;
    steady::time_point deadline;
    steady::time_point attempt_deadline;
    std::string node;
    // At most two attempts: a fixed pair (node names fit the small-string buffer) instead of a
    // vector, so a request costs no allocation here.
    std::array<std::string, 2> tried_nodes;
    std::size_t tried = 0;
    // Front-door requests are answered on the front socket to `front_identity` (no callback),
    // and usually travel as the client's own frame (ids patched in place), not decoded and
    // re-encoded: `relay` holds it, `relay_offset` is where its header words are.
    bool front_door = false;
    std::string front_identity;
    zmq::message_t relay;
    std::size_t relay_offset = 0;
    bool relayed = false;
    bool has_tried(const std::string& n) const {
      return std::find(tried_nodes.begin(), tried_nodes.begin() + tried, n) !=
             tried_nodes.begin() + tried;
    }
  };

  forwarder_options options;
  std::shared_ptr<asio::io_context> io;  // options.loop, or our own
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> own_loop_guard;
  std::thread own_loop_thread;
  zmq::context_t context{1};
  std::unique_ptr<zmq::socket_t> front;
  std::unique_ptr<zmq_socket_watch> front_watch;
  std::string front_bound;
  std::optional<asio::steady_timer> timer;
  // Handlers posted to the loop hold this; after shutdown it is false and they do nothing
  // (why: on a shared loop they may run, or be destroyed, after the forwarder is gone).
  std::shared_ptr<bool> open = std::make_shared<bool>(true);

  std::mutex inbox_mutex;
  std::vector<command> inbox;  // swapped with `batch` by the loop: capacity is reused
  std::atomic<std::size_t> inflight{0};

  // Counters read by stats() from other threads: relaxed atomics, no lock per request.
  std::atomic<std::uint64_t> n_forwarded{0}, n_retried{0}, n_shed{0}, n_timed_out{0},
      n_no_replica{0}, n_rate_limited{0}, n_batch_frames{0}, n_batched{0};
  std::atomic<std::size_t> n_workers_up{0};
  std::atomic<std::int64_t> n_epoch{0};

  // ---- owned by the I/O thread -----------------------------------------------------------
  std::map<std::string, link> links;
  // Hashed, not ordered (why: every predict looks its tenant up; at 10,000 tenants a tree
  // lookup was 14 string compares on cold cache lines, 2.4 % of the router's samples in W2).
  std::unordered_map<std::string, std::vector<std::string>> placement;
  std::unordered_map<std::uint64_t, pending> pendings;
  std::uint64_t next_id = 1;
  std::int64_t epoch = 0;
  // Earliest attempt deadline of any pending request (may be stale-early after that request
  // finished: then one scan recomputes it). check_timeouts scans only once it is due.
  steady::time_point earliest_deadline = steady::time_point::max();
  std::vector<command> batch;
  std::vector<std::uint64_t> expired_ids, retry_ids;
  // flush_outboxes' scratch (capacity reused: no allocation per flush) and whether a flush is
  // already queued on the loop.
  std::vector<std::uint64_t> sending, send_failed;
  std::vector<const predict_request*> frame_items;
  bool flush_posted = false;
  // One batch frame carries at most this many requests and this many feature values (8 MiB),
  // so a burst of big requests never nears the 64 MiB frame cap.
  static constexpr std::size_t max_frame_items = 256;
  static constexpr std::size_t max_frame_values = std::size_t{1} << 20;
  // The timer's next expiry (max = none) and the generation of its pending wait: a re-armed
  // timer's earlier handler sees another generation and does nothing.
  steady::time_point timer_at = steady::time_point::max();
  std::uint64_t timer_generation = 0;
  static constexpr std::chrono::milliseconds tick_every{100};
  struct bucket {
    double tokens = 0;
    steady::time_point refilled{};
  };
  std::unordered_map<std::string, std::int64_t> rate_limits;
  std::unordered_map<std::string, bucket> buckets;

  // Token bucket per tenant holding one second of its quota.
  bool over_rate(const std::string& tenant) {
    auto limit = rate_limits.find(tenant);
    if (limit == rate_limits.end() || limit->second <= 0) return false;
    const auto now = steady::now();
    const double rate = static_cast<double>(limit->second);
    auto [it, fresh] = buckets.try_emplace(tenant, bucket{rate, now});
    auto& b = it->second;
    if (!fresh) {
      b.tokens =
          std::min(rate, b.tokens + rate * std::chrono::duration<double>(now - b.refilled).count());
      b.refilled = now;
    }
    if (b.tokens < 1.0) return true;
    b.tokens -= 1.0;
    return false;
  }

  bool on_loop_thread() const { return io->get_executor().running_in_this_thread(); }

  void post(command c) {
    bool was_empty;
    {
      std::lock_guard lock(inbox_mutex);
      was_empty = inbox.empty();
      inbox.push_back(std::move(c));
    }
    // The loop swaps the whole inbox in one handler, so a non-empty inbox already has one
    // queued: one post per batch instead of one per request.
    if (was_empty) {
      asio::post(*io, [this, alive = open] {
        if (*alive) drain_inbox();
      });
    }
  }

  void drain_inbox() {
    batch.clear();
    {
      std::lock_guard lock(inbox_mutex);
      batch.swap(inbox);
    }
    for (auto& c : batch) {
      if (auto* s = std::get_if<submit>(&c)) {
        handle_submit(std::move(*s));
      } else {
        handle_view(std::move(std::get<cluster_view>(c)));
      }
    }
  }

  // The timer fires at the earliest attempt deadline, and at least every `tick_every` (a safety
  // net that also drains any socket whose signal was missed).
  void schedule_tick(steady::time_point at) {
    if (at >= timer_at || !*open) return;
    timer_at = at;
    const auto generation = ++timer_generation;
    timer->expires_at(at);
    timer->async_wait([this, alive = open, generation](const std::error_code& ec) {
      if (!*alive || ec || generation != timer_generation) return;
      timer_at = steady::time_point::max();
      on_tick();
    });
  }

  void on_tick() {
    check_timeouts();
    if (front_watch) front_watch->poke();
    for (auto& [node, l] : links) {
      if (l.watch) l.watch->poke();
    }
    schedule_tick(std::min(earliest_deadline, steady::now() + tick_every));
  }

  // The bookkeeping of an answered request (its answer is sent by the caller).
  void release(pending& p) {
    auto it = links.find(p.node);
    if (it != links.end() && it->second.inflight > 0) --it->second.inflight;
    inflight.fetch_sub(1);
  }

  void finish(pending& p, predict_reply reply) {
    reply.request_id = p.client_id;
    release(p);
    if (p.front_door) return answer_front(p.front_identity, std::move(reply));
    try {
      p.done(std::move(reply));
    } catch (...) {
      // A callback must not take the I/O thread down.
    }
  }

  // Picks the least-loaded live replica of the tenant not tried yet; "" if none.
  std::string choose(const pending& p) {
    auto it = placement.find(p.request.tenant);
    if (it == placement.end()) return {};
    const auto now = steady::now();
    std::string best;
    std::tuple<int, std::size_t, std::size_t> best_rank{};
    for (std::size_t i = 0; i < it->second.size(); ++i) {
      const auto& node = it->second[i];
      if (p.has_tried(node)) continue;
      auto l = links.find(node);
      if (l == links.end() || !l->second.socket) continue;
      int penalty = (l->second.suspect_until > now ? 2 : 0) + (l->second.draining ? 1 : 0);
      std::tuple<int, std::size_t, std::size_t> rank{penalty, l->second.inflight, i};
      if (best.empty() || rank < best_rank) {
        best = node;
        best_rank = rank;
      }
    }
    return best;
  }

  std::size_t untried_replicas(const pending& p) {
    auto it = placement.find(p.request.tenant);
    if (it == placement.end()) return 0;
    std::size_t n = 0;
    for (const auto& node : it->second) {
      auto l = links.find(node);
      if (l != links.end() && l->second.socket && !p.has_tried(node)) {
        ++n;
      }
    }
    return n;
  }

  // Sends `p` to a replica (at most two attempts in all). Returns false when `p` was answered:
  // with no replica left, with fail_code and `why`, or, when `why` is empty, that no worker
  // holds the tenant (built only then: built up front it cost every request two allocations).
  bool dispatch(pending& p, errc fail_code, std::string_view why = {}) {
    while (p.tried < 2) {
      std::string node = choose(p);
      if (node.empty()) break;
      p.tried_nodes[p.tried++] = node;
      auto& l = links[node];
      if (p.relayed) {
        auto sent = send_relay(*l.socket, p);
        if (l.watch) l.watch->sent();
        if (!sent) {
          l.suspect_until = steady::now() + options.suspect_for;
          continue;
        }
      } else {
        // Sent at the end of this loop turn, with whatever else is ready for this worker; a
        // failed send then moves it on (fail_over), as a failed send here would.
        queue_send(l, p.request.request_id);
      }
      p.node = node;
      ++l.inflight;
      const auto now = steady::now();
      // With another replica left, give this one half the time so a retry still fits.
      p.attempt_deadline =
          untried_replicas(p) > 0 && p.tried < 2 ? now + (p.deadline - now) / 2 : p.deadline;
      earliest_deadline = std::min(earliest_deadline, p.attempt_deadline);
      schedule_tick(earliest_deadline);
      if (p.tried > 1) bump(n_retried);
      return true;
    }
    p.node.clear();
    if (p.tried == 0) bump(n_no_replica);
    finish(p, error_reply(0, fail_code,
                          why.empty() ? "no worker holds tenant " + p.request.tenant + " right now"
                                      : std::string(why)));
    return false;
  }

  void queue_send(link& l, std::uint64_t id) {
    l.outbox.push_back(id);
    if (flush_posted) return;
    flush_posted = true;
    // Posted behind the handlers already queued on the loop (the other connections ready in
    // this turn), so everything they forward joins the same frames.
    asio::post(*io, [this, alive = open] {
      if (*alive) flush_outboxes();
    });
  }

  void flush_outboxes() {
    flush_posted = false;
    for (auto& [node, l] : links) {
      if (!l.outbox.empty()) flush_outbox(node, l);
    }
  }

  // Sends the worker's outbox: one frame per request to a level-1 worker, batches of up to
  // max_frame_items to a level-2 one (a lone request still travels as a plain predictRequest).
  void flush_outbox(const std::string& node, link& l) {
    sending.clear();
    sending.swap(l.outbox);  // fail-overs below may queue onto other links' outboxes
    send_failed.clear();
    frame_items.clear();
    std::size_t frame_values = 0;
    auto send_frame_items = [&] {
      if (frame_items.empty()) return;
      mf::expected<void> sent;
      if (!l.socket) {  // its connect failed at the last view: move everything on
        sent = mf::make_error(errc::unavailable, "no socket");
      } else if (frame_items.size() == 1) {
        sent = mf::protocol::send_envelope(
            *l.socket, "", mf::protocol::make_envelope(*frame_items.front(), options.node_id));
      } else {
        auto frame = mf::protocol::encode_predict_batch(frame_items, options.node_id);
        sent = frame ? mf::protocol::send_frame(*l.socket, "", std::move(*frame))
                     : mf::expected<void>(frame.error());
        if (sent) {
          bump(n_batch_frames);
          n_batched.fetch_add(frame_items.size(), std::memory_order_relaxed);
        }
      }
      if (!sent) {
        l.suspect_until = steady::now() + options.suspect_for;
        for (const auto* r : frame_items) send_failed.push_back(r->request_id);
      }
      frame_items.clear();
      frame_values = 0;
    };
    for (auto id : sending) {
      auto it = pendings.find(id);
      if (it == pendings.end() || it->second.node != node) continue;  // answered or moved
      const predict_request& r = it->second.request;
      if (!frame_items.empty() && (!l.takes_batches || frame_items.size() == max_frame_items ||
                                   frame_values + r.features.size() > max_frame_values))
        send_frame_items();
      frame_items.push_back(&r);
      frame_values += r.features.size();
    }
    send_frame_items();
    if (l.socket && l.watch) l.watch->sent();
    for (auto id : send_failed)
      fail_over(id, errc::unavailable, "cannot send to worker " + node + " right now");
    sending.clear();
  }

  // A relayed frame is kept for a retry: ZeroMQ shares a large buffer between copies.
  static mf::expected<void> send_relay(zmq::socket_t& socket, pending& p) {
    zmq::message_t copy;
    copy.copy(p.relay);
    return mf::protocol::send_frame(socket, "", std::move(copy));
  }

  static void bump(std::atomic<std::uint64_t>& counter) {
    counter.fetch_add(1, std::memory_order_relaxed);
  }

  void handle_submit(submit s) {
    pending p;
    p.client_id = s.request.request_id;
    p.done = std::move(s.done);
    p.request = std::move(s.request);
    admit(std::move(p));
  }

  // From here on an HTTP request and a relayed front-door frame take the same path.
  void admit(pending p) {
    const auto id = next_id++;
    p.request.request_id = id;
    if (p.relayed) mf::protocol::patch_header_word(p.relay, p.relay_offset, id);
    const auto remaining = std::chrono::milliseconds(
        std::max<std::int64_t>(0, p.request.deadline_unix_ms - unix_ms_now()));
    p.deadline = steady::now() + remaining;
    if (remaining.count() == 0) {
      finish(p, error_reply(0, errc::deadline_exceeded,
                            "deadline passed before the request was forwarded"));
      return;
    }
    if (over_rate(p.request.tenant)) {
      bump(n_rate_limited);
      finish(p,
             error_reply(0, errc::overloaded,
                         "tenant " + p.request.tenant + " is over its requests_per_second quota"));
      return;
    }
    bump(n_forwarded);
    if (dispatch(p, errc::unavailable)) {
      pendings.emplace(id, std::move(p));
    }
  }

  // Moves a pending request off `node` (dead, timed out or refusing) to another replica.
  void fail_over(std::uint64_t id, errc code, const std::string& why) {
    auto it = pendings.find(id);
    if (it == pendings.end()) return;
    pending& p = it->second;
    auto l = links.find(p.node);
    if (l != links.end() && l->second.inflight > 0) --l->second.inflight;
    p.node.clear();
    if (steady::now() >= p.deadline) {
      finish_and_erase(it, error_reply(0, errc::deadline_exceeded, "deadline exceeded"));
      return;
    }
    if (!dispatch(p, code, why)) pendings.erase(it);
  }

  void finish_and_erase(std::unordered_map<std::uint64_t, pending>::iterator it,
                        predict_reply reply) {
    finish(it->second, std::move(reply));
    pendings.erase(it);
  }

  void handle_view(cluster_view view) {
    epoch = view.placement.epoch;
    placement.clear();
    placement.reserve(view.placement.tenants.size());
    for (auto& tenants = view.placement.tenants; !tenants.empty();) {
      auto node = tenants.extract(tenants.begin());  // moves the key too
      placement.emplace(std::move(node.key()), std::move(node.mapped()));
    }
    rate_limits.clear();
    rate_limits.insert(view.rate_limits.begin(), view.rate_limits.end());
    std::erase_if(buckets, [&](const auto& kv) { return !rate_limits.count(kv.first); });
    std::map<std::string, bool> alive;  // node -> draining
    std::size_t up = 0;
    for (const auto& n : view.nodes) {
      if (n.role != "worker" || n.state == mf::cluster::node_state::down || n.address.empty())
        continue;
      alive[n.node] = n.state == mf::cluster::node_state::draining;
      ++up;
      auto& l = links[n.node];
      l.draining = n.state == mf::cluster::node_state::draining;
      l.takes_batches = options.batch && n.protocol >= mf::protocol::predict_batch_protocol_level;
      if (!l.socket || l.address != n.address) {
        try {
          auto s = std::make_unique<zmq::socket_t>(context, zmq::socket_type::dealer);
          auto policy = mf::protocol::socket_policy::node_dealer(options.node_id);
          (void)mf::protocol::apply_socket_policy(*s, policy);
          // Without the cluster key applied, never connect: no plain traffic to a worker.
          if (options.curve && !mf::protocol::apply_curve_client(*s, *options.curve)) continue;
          s->connect(n.address);
          l.watch.reset();  // before the old socket closes
          l.socket = std::move(s);
          l.address = n.address;
          l.watch = std::make_unique<zmq_socket_watch>(*io, *l.socket, [this, node = n.node] {
            auto it = links.find(node);
            if (it != links.end() && it->second.socket) on_worker_frame(node, *it->second.socket);
          });
        } catch (const std::exception&) {
          // zmq (socket, connect) or asio (watching its descriptor): no link to this node now.
          l.watch.reset();
          l.socket.reset();
        }
      }
    }
    // Nodes gone or down: close their socket and move their requests elsewhere now.
    std::vector<std::string> gone;
    for (auto& [node, l] : links) {
      if (!alive.count(node)) gone.push_back(node);
    }
    for (const auto& node : gone) {
      links.erase(node);
      std::vector<std::uint64_t> moved;
      for (auto& [id, p] : pendings) {
        if (p.node == node) moved.push_back(id);
      }
      for (auto id : moved) fail_over(id, errc::unavailable, "worker " + node + " went down");
    }
    n_workers_up.store(up, std::memory_order_relaxed);
    n_epoch.store(epoch, std::memory_order_relaxed);
  }

  void on_worker_frame(const std::string& node, zmq::socket_t& socket) {
    for (int i = 0; i < 256; ++i) {
      auto got = mf::protocol::recv_frame(socket, std::chrono::milliseconds(0));
      if (!got) return;  // nothing more to read
      const std::span<const std::byte> bytes(static_cast<const std::byte*>(got->payload.data()),
                                             got->payload.size());
      auto reader = mf::protocol::frame_reader::open(bytes);
      if (!reader) continue;  // a worker sent garbage; its request will time out
      if (reader->kind() == mf::protocol::wire::Envelope::Body::PREDICT_BATCH_REPLY) {
        on_batch_reply(node, *reader);
        continue;
      }
      std::uint64_t id = 0;
      bool clean_reply = false;
      try {
        id = reader->root().getRequestId();
        clean_reply = reader->kind() == mf::protocol::wire::Envelope::Body::PREDICT_REPLY &&
                      !reader->root().getBody().getPredictReply().hasError();
      } catch (...) {
        continue;
      }
      auto it = pendings.find(id);
      if (it == pendings.end() || it->second.node != node)
        continue;  // late reply of a retried request
      if (it->second.relayed && clean_reply) {
        // The worker's frame goes back to the client as is, with the client's id restored.
        if (auto offset = mf::protocol::header_words_offset(bytes)) {
          mf::protocol::patch_header_word(got->payload, *offset, it->second.client_id);
          (void)mf::protocol::send_frame(*front, it->second.front_identity,
                                         std::move(got->payload));
          front_watch->sent();
          release(it->second);
          pendings.erase(it);
          continue;
        }
      }
      auto message = mf::protocol::decode(*reader);
      if (!message) continue;
      if (auto* reply = std::get_if<predict_reply>(&message->body)) {
        settle(it, std::move(*reply));
      } else if (auto* err = std::get_if<mf::error>(&message->body)) {
        finish_and_erase(it, error_reply(0, err->code, err->message));
      }
    }
  }

  // The replies of a predictBatchReply, each settled as if it had come alone.
  void on_batch_reply(const std::string& node, const mf::protocol::frame_reader& reader) {
    auto message = mf::protocol::decode(reader);
    if (!message) return;  // a worker sent garbage; its requests will time out
    auto* batch = std::get_if<mf::protocol::predict_batch_reply>(&message->body);
    if (!batch) return;
    for (auto& reply : batch->items) {
      auto it = pendings.find(reply.request_id);
      if (it == pendings.end() || it->second.node != node) continue;  // late, retried elsewhere
      settle(it, std::move(reply));
    }
  }

  // A worker's answer to a pending request: a worker that cannot serve it now (unavailable)
  // gets it moved to another replica while one is left; anything else is the answer.
  void settle(std::unordered_map<std::uint64_t, pending>::iterator it, predict_reply reply) {
    if (reply.error && reply.error->code == errc::unavailable && it->second.tried < 2) {
      fail_over(it->first, errc::unavailable, reply.error->message);
      return;
    }
    finish_and_erase(it, std::move(reply));
  }

  void check_timeouts() {
    const auto now = steady::now();
    if (now < earliest_deadline) return;
    auto& expired = expired_ids;
    auto& retry = retry_ids;
    expired.clear();
    retry.clear();
    earliest_deadline = steady::time_point::max();
    for (auto& [id, p] : pendings) {
      if (now >= p.deadline) {
        expired.push_back(id);
      } else if (now >= p.attempt_deadline) {
        retry.push_back(id);
      } else {
        earliest_deadline = std::min(earliest_deadline, p.attempt_deadline);
      }
    }
    for (auto id : expired) {
      auto it = pendings.find(id);
      if (auto l = links.find(it->second.node); l != links.end())
        l->second.suspect_until = now + options.suspect_for;
      bump(n_timed_out);
      finish_and_erase(
          it, error_reply(0, errc::deadline_exceeded, "no worker answered before the deadline"));
    }
    for (auto id : retry) {
      auto it = pendings.find(id);
      if (auto l = links.find(it->second.node); l != links.end())
        l->second.suspect_until = now + options.suspect_for;
      fail_over(id, errc::deadline_exceeded, "no worker answered before the deadline");
    }
  }

  void answer_front(const std::string& identity, predict_reply reply) {
    (void)mf::protocol::send_envelope(
        *front, identity, mf::protocol::make_envelope(std::move(reply), options.node_id));
    front_watch->sent();
  }

  // A frame the front door cannot take: an error envelope with the client's id (0 if unknown).
  void refuse_front(const std::string& identity, std::uint64_t client_id, mf::error why) {
    mf::protocol::envelope e;
    e.head.request_id = client_id;
    e.body = std::move(why);
    (void)mf::protocol::send_envelope(*front, identity, e);
    front_watch->sent();
  }

  // Front door: the router reads the header (tenant, id, deadline) and relays the client's frame;
  // the worker validates the body and answers typed errors, which come back decoded.
  void on_front_frame() {
    for (int i = 0; i < 256; ++i) {
      auto got = mf::protocol::recv_frame(*front, std::chrono::milliseconds(0));
      if (!got) return;
      relay_front(std::move(got->identity), std::move(got->payload));
    }
  }

  void relay_front(std::string identity, zmq::message_t frame) {
    const std::span<const std::byte> bytes(static_cast<const std::byte*>(frame.data()),
                                           frame.size());
    auto reader = mf::protocol::frame_reader::open(bytes);
    if (!reader) return refuse_front(identity, 0, reader.error());
    pending p;
    bool header_read = true;
    try {
      auto root = reader->root();
      p.client_id = root.getRequestId();
      p.request.deadline_unix_ms = root.getDeadlineUnixMs();
      auto tenant = root.getTenant();
      p.request.tenant.assign(tenant.begin(), tenant.size());
    } catch (...) {
      header_read = false;  // decode() below says why
    }
    if (reader->kind() != mf::protocol::wire::Envelope::Body::PREDICT_REQUEST)
      return refuse_front(
          identity, p.client_id,
          mf::make_error(errc::invalid_input, "the front door takes predict requests only"));
    auto offset = header_read ? mf::protocol::header_words_offset(bytes) : std::nullopt;
    if (!offset) {  // an unusual (multi-segment, far-pointer) encoding: decode it instead
      auto message = mf::protocol::decode(*reader);
      auto* req = message ? std::get_if<predict_request>(&message->body) : nullptr;
      if (!req)
        return refuse_front(identity, p.client_id,
                            message ? mf::make_error(errc::invalid_input, "not a predict request")
                                    : message.error());
      p.request = std::move(*req);
    } else {
      p.relayed = true;
      p.relay_offset = *offset;
    }
    if (p.request.deadline_unix_ms == 0) {
      p.request.deadline_unix_ms = unix_ms_now() + 1000;
      if (p.relayed)
        mf::protocol::patch_header_word(frame, p.relay_offset + 8,
                                        static_cast<std::uint64_t>(p.request.deadline_unix_ms));
    }
    if (inflight.load() >= options.max_inflight) {
      bump(n_shed);
      answer_front(identity,
                   error_reply(p.client_id, errc::overloaded, "router in-flight limit reached"));
      return;
    }
    inflight.fetch_add(1);
    if (p.relayed) p.relay = std::move(frame);
    p.front_door = true;
    p.front_identity = std::move(identity);
    admit(std::move(p));
  }

  // On the loop thread: answers everything still pending or queued, then closes the sockets.
  void shutdown() {
    if (!*open) return;
    *open = false;
    if (timer) timer->cancel();
    for (auto& [id, p] : pendings)
      finish(p, error_reply(0, errc::unavailable, "router is shutting down"));
    pendings.clear();
    std::vector<command> rest;
    {
      std::lock_guard lock(inbox_mutex);
      rest.swap(inbox);
    }
    for (auto& c : rest) {
      if (auto* s = std::get_if<submit>(&c)) {
        inflight.fetch_sub(1);
        s->done(error_reply(s->request.request_id, errc::unavailable, "router is shutting down"));
      }
    }
    links.clear();
    front_watch.reset();
    front.reset();
  }
};

mf::expected<std::unique_ptr<predict_forwarder>> predict_forwarder::start(
    forwarder_options options) {
  auto p = std::make_unique<impl>();
  p->options = std::move(options);
  p->io = p->options.loop ? p->options.loop : std::make_shared<asio::io_context>(1);
  p->timer.emplace(*p->io);
  if (!p->options.front_endpoint.empty()) {
    try {
      p->front = std::make_unique<zmq::socket_t>(p->context, zmq::socket_type::router);
      (void)mf::protocol::apply_socket_policy(*p->front, mf::protocol::socket_policy::front_door());
      p->front->bind(p->options.front_endpoint);
      auto ep = mf::protocol::last_endpoint(*p->front);
      p->front_bound = ep ? *ep : p->options.front_endpoint;
      auto* raw = p.get();
      p->front_watch =
          std::make_unique<zmq_socket_watch>(*p->io, *p->front, [raw] { raw->on_front_frame(); });
    } catch (const std::exception& e) {
      return mf::make_error(errc::unavailable, "cannot bind front door " +
                                                   p->options.front_endpoint + ": " + e.what());
    }
  }
  auto* raw = p.get();
  asio::post(*p->io, [raw, alive = p->open] {
    if (*alive) raw->schedule_tick(steady::now() + impl::tick_every);
  });
  if (!p->options.loop) {
    p->own_loop_guard.emplace(asio::make_work_guard(*p->io));
    p->own_loop_thread = std::thread([raw] {
      for (;;) {
        try {
          raw->io->run();
          return;
        } catch (...) {
          // a handler threw: keep serving
        }
      }
    });
  }
  return std::unique_ptr<predict_forwarder>(new predict_forwarder(std::move(p)));
}

predict_forwarder::predict_forwarder(std::unique_ptr<impl> p) : impl_(std::move(p)) {}

predict_forwarder::~predict_forwarder() {
  auto& p = *impl_;
  if (p.own_loop_thread.joinable()) {
    asio::post(*p.io, [raw = impl_.get()] {
      raw->shutdown();
      raw->io->stop();
    });
    p.own_loop_thread.join();
  } else if (p.on_loop_thread() || p.io->stopped()) {
    p.shutdown();
  } else {
    // A shared loop still running on another thread: shut down there, and wait for it.
    std::promise<void> done;
    asio::post(*p.io, [raw = impl_.get(), &done] {
      raw->shutdown();
      done.set_value();
    });
    done.get_future().wait();
  }
}

void predict_forwarder::predict(mf::protocol::predict_request request, callback done) {
  if (impl_->inflight.fetch_add(1) >= impl_->options.max_inflight) {
    impl_->inflight.fetch_sub(1);
    impl::bump(impl_->n_shed);
    done(error_reply(request.request_id, errc::overloaded,
                     "router in-flight limit reached; retry later"));
    return;
  }
  // On the loop thread (the router's HTTP handler on a shared loop): forward now.
  if (impl_->on_loop_thread() && *impl_->open)
    return impl_->handle_submit(impl::submit{std::move(request), std::move(done)});
  impl_->post(impl::submit{std::move(request), std::move(done)});
}

void predict_forwarder::update(cluster_view view) {
  impl_->post(std::move(view));
}

forwarder_stats predict_forwarder::stats() const {
  const auto& p = *impl_;
  constexpr auto relaxed = std::memory_order_relaxed;
  forwarder_stats s;
  s.forwarded = p.n_forwarded.load(relaxed);
  s.retried = p.n_retried.load(relaxed);
  s.shed = p.n_shed.load(relaxed);
  s.timed_out = p.n_timed_out.load(relaxed);
  s.no_replica = p.n_no_replica.load(relaxed);
  s.rate_limited = p.n_rate_limited.load(relaxed);
  s.batch_frames = p.n_batch_frames.load(relaxed);
  s.batched = p.n_batched.load(relaxed);
  s.inflight = p.inflight.load(relaxed);
  s.workers_up = p.n_workers_up.load(relaxed);
  s.epoch = p.n_epoch.load(relaxed);
  return s;
}

std::string predict_forwarder::front_endpoint() const {
  return impl_->front_bound;
}

}  // namespace mf::router
