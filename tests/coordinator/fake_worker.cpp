#include "tests/coordinator/fake_worker.hpp"

#include <map>
#include <optional>

#include <zmq.hpp>

#include "cluster/redis_registry.hpp"
#include "ml/artifact.hpp"
#include "ml/dataset.hpp"
#include "ml/train.hpp"
#include "protocol/codec.hpp"
#include "tests/support/wait_until.hpp"

namespace mf::test {
namespace {

using clock = std::chrono::steady_clock;

// "<tenant>/<model>/<version>.mfm" -> artifact_key.
std::optional<cluster::artifact_key> parse_key(const std::string& key) {
  const auto a = key.find('/');
  const auto b = key.find('/', a + 1);
  const auto dot = key.rfind(".mfm");
  if (a == std::string::npos || b == std::string::npos || dot == std::string::npos) return {};
  try {
    return cluster::artifact_key{key.substr(0, a), key.substr(a + 1, b - a - 1),
                                 std::stoll(key.substr(b + 1, dot - b - 1))};
  } catch (...) {
    return {};
  }
}

struct job_run {
  protocol::train_assign assign;
  std::string peer;
  clock::time_point started;
  clock::time_point next_progress;
};

}  // namespace

fake_worker::fake_worker(std::string id, std::string redis_url, std::string store_spec, int slots,
                         std::chrono::milliseconds train_time)
    : id_(std::move(id)),
      redis_url_(std::move(redis_url)),
      store_spec_(std::move(store_spec)),
      slots_(slots),
      train_time_(train_time) {
  server_ = std::thread([this] { serve(); });
  wait_until([this] { return ready_.load(); }, std::chrono::milliseconds(5000));
  beater_ = std::thread([this] { heartbeat(); });
}

fake_worker::~fake_worker() {
  stop_ = true;
  if (server_.joinable()) server_.join();
  if (beater_.joinable()) beater_.join();
}

void fake_worker::kill() {
  killed_ = true;
}

std::vector<std::string> fake_worker::assigned_jobs() const {
  std::lock_guard lock(mutex_);
  return jobs_;
}

void fake_worker::heartbeat() {
  auto reg = cluster::redis_registry::connect(redis_url_);
  if (!reg) return;
  while (!stop_ && !killed_) {
    cluster::node_record me;
    me.node = id_;
    me.role = "worker";
    me.address = endpoint_;
    me.training_slots = slots_;
    me.last_heartbeat = cluster::now_unix_ms();
    (void)reg->heartbeat(me, 1200);
    for (int i = 0; i < 20 && !stop_ && !killed_; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

void fake_worker::serve() {
  zmq::context_t ctx(1);
  zmq::socket_t sock(ctx, zmq::socket_type::router);
  sock.set(zmq::sockopt::linger, 0);
  sock.bind("tcp://127.0.0.1:*");
  endpoint_ = sock.get(zmq::sockopt::last_endpoint);
  auto store = cluster::make_blob_store(store_spec_, redis_url_);
  ready_ = true;
  std::map<std::string, job_run> running;
  auto reply = [&](const std::string& peer, protocol::body body) {
    if (killed_) return;
    protocol::envelope e;
    e.head.sender = id_;
    e.body = std::move(body);
    auto frame = protocol::encode(e);
    if (!frame) return;
    zmq::message_t id(peer.data(), peer.size());
    zmq::message_t empty;
    try {
      sock.send(id, zmq::send_flags::sndmore);
      sock.send(empty, zmq::send_flags::sndmore);
      sock.send(*frame, zmq::send_flags::none);
    } catch (...) {
    }
  };
  while (!stop_) {
    zmq::pollitem_t item{sock.handle(), 0, ZMQ_POLLIN, 0};
    zmq::poll(&item, 1, std::chrono::milliseconds(10));
    if (item.revents & ZMQ_POLLIN) {
      std::vector<zmq::message_t> parts;
      for (;;) {
        zmq::message_t part;
        if (!sock.recv(part, zmq::recv_flags::dontwait)) break;
        const bool more = part.more();
        parts.push_back(std::move(part));
        if (!more) break;
      }
      if (parts.size() >= 2 && !killed_) {
        const std::string peer = parts.front().to_string();
        auto decoded = protocol::decode(parts.back());
        if (decoded) {
          if (auto* a = std::get_if<protocol::train_assign>(&decoded->body)) {
            ++assigned_;
            {
              std::lock_guard lock(mutex_);
              jobs_.push_back(a->job_id);
            }
            if (static_cast<int>(running.size()) >= slots_) {
              protocol::train_result r;
              r.job_id = a->job_id;
              r.attempt = a->attempt;
              r.error = mf::make_error(errc::overloaded, "no free slot");
              reply(peer, r);
            } else {
              const auto now = clock::now();
              running[a->job_id] = job_run{*a, peer, now, now};
            }
          } else if (auto* c = std::get_if<protocol::train_cancel>(&decoded->body)) {
            ++cancels_;
            auto it = running.find(c->job_id);
            if (it != running.end()) {
              protocol::train_result r;
              r.job_id = c->job_id;
              r.attempt = it->second.assign.attempt;
              r.error = mf::make_error(errc::cancelled, "cancelled");
              reply(it->second.peer, r);
              running.erase(it);
            }
          }
        }
      }
    }
    if (killed_) {
      running.clear();
      continue;
    }
    const auto now = clock::now();
    for (auto it = running.begin(); it != running.end();) {
      auto& run = it->second;
      if (now - run.started < train_time_) {
        if (now >= run.next_progress) {
          const double p = std::chrono::duration<double>(now - run.started) / train_time_;
          reply(run.peer, protocol::train_progress{run.assign.job_id, run.assign.attempt, p * 0.9});
          run.next_progress = now + std::chrono::milliseconds(100);
        }
        ++it;
        continue;
      }
      // Real training on the assigned data, real artifact at the assigned key.
      const auto& a = run.assign;
      protocol::train_result r;
      r.job_id = a.job_id;
      r.attempt = a.attempt;
      r.artifact_key = a.artifact_key;
      ml::dataset data;
      data.n_features = a.n_features;
      data.features = a.features;
      data.labels = a.labels;
      if (!a.dataset_key.empty() && store) {
        // The rows are a dataset blob: read it like a real worker does.
        auto dk = cluster::parse_dataset_path(a.dataset_key);
        auto bytes = dk ? (*store)->get(*dk, cluster::max_dataset_bytes)
                        : mf::expected<std::string>(dk.error());
        auto parsed =
            bytes ? ml::parse_json_dataset(*bytes) : mf::expected<ml::dataset>(bytes.error());
        if (parsed) data = std::move(*parsed);
        ++dataset_reads_;
      }
      ml::params params;
      for (const auto& p : a.params) params[p.name] = p.value;
      ml::train_options opts;
      opts.validation_split = a.validation_split;
      opts.seed = a.seed;
      auto trained = ml::train(a.algorithm, params, data, opts);
      auto key = parse_key(a.artifact_key);
      if (!trained) {
        r.error = trained.error();
      } else if (!key || !store) {
        r.error = mf::make_error(errc::internal, "bad artifact key " + a.artifact_key);
      } else {
        const std::string bytes = ml::serialize_artifact(*trained->model);
        if (auto put = (*store)->put(*key, bytes); !put) {
          r.error = put.error();
        } else {
          r.size_bytes = bytes.size();
          r.sha256 = ml::sha256_hex(bytes);
          r.algorithm = a.algorithm;
          r.n_features = a.n_features;
          r.primary_metric = trained->metrics.primary;
          for (const auto& [name, value] : trained->metrics.values)
            r.metrics.push_back({name, value});
        }
      }
      if (!killed_) {
        reply(run.peer, r);
        if (!r.error) ++completed_;
      }
      it = running.erase(it);
    }
  }
}

}  // namespace mf::test
