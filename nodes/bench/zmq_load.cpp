// zmq_load: load threads over ZeroMQ — the router's front door through
// mf::protocol::predict_client (pipelined send/receive, replies matched by request id), and the
// raw DEALER/ROUTER ceiling loop (same frame sizes, no decoding, no model).
#include <deque>
#include <random>
#include <thread>
#include <unordered_map>

#include <zmq.hpp>

#include "nodes/bench/load_driver.hpp"
#include "nodes/bench/raw_zmq_socket.hpp"
#include "protocol/codec.hpp"
#include "protocol/predict_client.hpp"

namespace mf::bench {
namespace {

using namespace std::chrono;

std::int64_t unix_ms_now() {
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

// How long a receive may block: until the next due send (open loop) or a short tick; below a
// millisecond the thread polls and yields instead of blocking.
milliseconds receive_wait(bool open_loop, bool can_send, bench_clock::time_point next_due,
                          bench_clock::time_point now) {
  if (!open_loop || !can_send) return milliseconds(20);
  if (next_due <= now) return milliseconds(0);
  return std::min(milliseconds(20), duration_cast<milliseconds>(next_due - now));
}

}  // namespace

mf::expected<void> run_front_thread(const bench_options& o, const workload& wl,
                                    const thread_share& share, bench_clock::time_point start,
                                    recorder& rec, run_result& out) {
  auto client = protocol::predict_client::create();
  if (!client) return std::move(client).error();
  if (auto c = client->connect(o.front); !c) return std::move(c).error();

  struct pending_request {
    bench_clock::time_point due;
    op_kind op;
  };
  std::unordered_map<std::uint64_t, pending_request> pending;
  std::mt19937_64 rng(o.seed * 7919 + share.index);
  const auto send_end = start + o.warmup + o.duration;
  const auto hard_end = send_end + o.timeout + seconds(1);
  const bool open_loop = share.rate > 0;
  const auto interval =
      open_loop ? duration_cast<bench_clock::duration>(duration<double>(1.0 / share.rate))
                : bench_clock::duration::zero();
  auto next_due = start;

  auto launch = [&](bench_clock::time_point due) -> mf::expected<void> {
    const planned_request plan = wl.next(rng);
    protocol::predict_request request;
    request.deadline_unix_ms = unix_ms_now() + o.timeout.count();
    request.tenant = wl.tenant_name(plan.tenant);
    request.model = wl.model();
    request.n_features = static_cast<std::uint32_t>(wl.n_features());
    request.features = wl.features(plan.body);
    auto id = client->send(std::move(request));
    if (!id) return std::move(id).error();
    pending.emplace(*id, pending_request{due, op_kind::predict});
    ++out.sent;
    return {};
  };

  for (;;) {
    auto now = bench_clock::now();
    const bool sending = now < send_end;
    if (sending) {
      if (!open_loop) {
        while (pending.size() < share.connections) {
          if (auto l = launch(now); !l) return l;
        }
      } else {
        while (pending.size() < share.connections && next_due <= now && next_due < send_end) {
          if (auto l = launch(next_due); !l) return l;
          next_due += interval;
        }
      }
    }
    if (!sending && pending.empty()) break;
    if (now >= hard_end) {
      out.unfinished += pending.size();
      break;
    }
    const auto wait =
        receive_wait(open_loop, sending && pending.size() < share.connections, next_due, now);
    auto reply = client->receive(wait);
    if (!reply) {
      if (reply.error().code == mf::errc::deadline_exceeded) {
        if (wait.count() == 0) std::this_thread::yield();
        continue;
      }
      return std::move(reply).error();
    }
    const auto done = bench_clock::now();
    auto it = pending.find(reply->request_id);
    if (it == pending.end()) continue;  // a reply to a request we gave up on
    const bool ok = !reply->error;
    rec.completed(it->second.op, it->second.due, done, ok, wl.rows(),
                  ok ? std::string() : std::string(mf::to_string(reply->error->code)));
    pending.erase(it);
  }
  if (open_loop && next_due < send_end) {
    out.missed_sends += static_cast<std::uint64_t>((send_end - next_due) / interval);
  }
  return {};
}

mf::expected<void> run_ceiling_thread(const bench_options& o, const workload& wl,
                                      const std::string& endpoint, const thread_share& share,
                                      bench_clock::time_point start, recorder& rec,
                                      run_result& out) {
  try {
    // The request frame a real client would send, built once: the ceiling moves the same bytes.
    protocol::predict_request request;
    request.request_id = 1;
    request.deadline_unix_ms = unix_ms_now() + 60'000;
    request.tenant = wl.tenant_name(0);
    request.model = wl.model();
    request.n_features = static_cast<std::uint32_t>(wl.n_features());
    request.features = wl.features(0);
    auto frame = protocol::encode(protocol::make_envelope(std::move(request)));
    if (!frame) return std::move(frame).error();
    const std::string payload(static_cast<const char*>(frame->data()), frame->size());

    zmq::context_t context(1);
    zmq::socket_t socket(context, zmq::socket_type::dealer);
    set_raw_ceiling_options(socket);
    socket.connect(endpoint);

    std::deque<bench_clock::time_point> pending;  // one echo server: replies come in order
    const auto send_end = start + o.warmup + o.duration;
    const auto hard_end = send_end + o.timeout + seconds(1);
    const bool open_loop = share.rate > 0;
    const auto interval =
        open_loop ? duration_cast<bench_clock::duration>(duration<double>(1.0 / share.rate))
                  : bench_clock::duration::zero();
    auto next_due = start;
    auto launch = [&](bench_clock::time_point due) {
      socket.send(zmq::message_t(), zmq::send_flags::sndmore);
      socket.send(zmq::message_t(payload.data(), payload.size()), zmq::send_flags::none);
      pending.push_back(due);
      ++out.sent;
    };
    for (;;) {
      auto now = bench_clock::now();
      const bool sending = now < send_end;
      if (sending) {
        if (!open_loop) {
          while (pending.size() < share.connections) launch(now);
        } else {
          while (pending.size() < share.connections && next_due <= now && next_due < send_end) {
            launch(next_due);
            next_due += interval;
          }
        }
      }
      if (!sending && pending.empty()) break;
      if (now >= hard_end) {
        out.unfinished += pending.size();
        break;
      }
      const auto wait =
          receive_wait(open_loop, sending && pending.size() < share.connections, next_due, now);
      zmq::pollitem_t item{socket.handle(), 0, ZMQ_POLLIN, 0};
      if (zmq::poll(&item, 1, wait) == 0) {
        if (wait.count() == 0) std::this_thread::yield();
        continue;
      }
      for (;;) {
        zmq::message_t empty, reply;
        if (!socket.recv(empty, zmq::recv_flags::dontwait)) break;
        if (!empty.more() || !socket.recv(reply, zmq::recv_flags::none)) continue;
        if (pending.empty()) continue;
        rec.completed(op_kind::predict, pending.front(), bench_clock::now(), true, wl.rows(), {});
        pending.pop_front();
      }
    }
    if (open_loop && next_due < send_end) {
      out.missed_sends += static_cast<std::uint64_t>((send_end - next_due) / interval);
    }
    return {};
  } catch (const zmq::error_t& e) {
    return mf::make_error(mf::errc::unavailable, std::string("zmq ceiling: ") + e.what());
  }
}

}  // namespace mf::bench
