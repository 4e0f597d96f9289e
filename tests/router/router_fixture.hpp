// router_fixture: an in-process router (service + RESTinio server + forwarder) against a real
// redis-server and an fs blob store in a temp dir, plus fake ZeroMQ workers. Not thread-safe.
// MF_ROUTER_LOOP=shared runs the forwarder on the HTTP server's one-thread loop (the router's
// default on 2 cores); otherwise the forwarder has its own loop thread and HTTP two threads.
#pragma once

#include <asio/io_context.hpp>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <zmq.hpp>

#include "cluster/fs_blob_store.hpp"
#include "cluster/redis_registry.hpp"
#include "nodes/router/http_server.hpp"
#include "protocol/socket.hpp"
#include "tests/router/http_client.hpp"
#include "tests/support/redis_server_fixture.hpp"

namespace mf::test {

inline const std::string admin_token_value = "admin-secret-token";

// A worker stand-in: ROUTER socket answering predict requests with the row sums; can be told
// to stay silent (a hung or dead worker). At protocol level 2 it also takes predictBatchRequest
// frames and answers each with one predictBatchReply; at level 1 a batch is a router bug, counted
// in `batches_refused` and left unanswered.
class fake_worker {
 public:
  explicit fake_worker(std::string id, std::int64_t protocol = 1)
      : id_(std::move(id)), protocol_(protocol) {
    socket_.bind("tcp://127.0.0.1:*");
    endpoint_ = *mf::protocol::last_endpoint(socket_);
    thread_ = std::thread([this] { run(); });
  }
  ~fake_worker() {
    stop_ = true;
    thread_.join();
  }
  const std::string& endpoint() const { return endpoint_; }
  const std::string& id() const { return id_; }
  std::int64_t protocol() const { return protocol_; }
  std::atomic<bool> silent{false};
  // Level 2: answer every batch item with this error instead (0 = answer normally).
  std::atomic<int> batch_error{0};
  std::atomic<int> served{0};
  std::atomic<int> single_frames{0}, batch_frames{0}, batch_items{0}, batches_refused{0};

 private:
  mf::protocol::predict_reply answer(const mf::protocol::predict_request& req) const {
    mf::protocol::predict_reply r;
    r.request_id = req.request_id;
    r.model = req.model;
    r.version = req.version.value_or(1);
    for (std::size_t i = 0; i < req.rows(); ++i) {
      double s = 0;
      for (std::size_t c = 0; c < req.n_features; ++c) s += req.features[i * req.n_features + c];
      r.predictions.push_back(s);
    }
    return r;
  }

  void run() {
    while (!stop_) {
      auto got = mf::protocol::recv_envelope(socket_, std::chrono::milliseconds(20));
      if (!got || !got->message) continue;
      if (auto* batch = std::get_if<mf::protocol::predict_batch_request>(&got->message->body)) {
        if (protocol_ < 2) {
          ++batches_refused;
          continue;
        }
        ++batch_frames;
        batch_items += static_cast<int>(batch->items.size());
        if (silent) continue;
        mf::protocol::predict_batch_reply out;
        for (const auto& req : batch->items) {
          auto r = answer(req);
          if (batch_error != 0) {
            r.predictions.clear();
            r.error = mf::make_error(static_cast<mf::errc>(batch_error.load()), "fake refusal");
          }
          out.items.push_back(std::move(r));
        }
        served += static_cast<int>(out.items.size());
        mf::protocol::envelope e;
        e.head.sender = id_;
        e.body = std::move(out);
        (void)mf::protocol::send_envelope(socket_, got->identity, e);
        continue;
      }
      auto* req = std::get_if<mf::protocol::predict_request>(&got->message->body);
      if (!req) continue;
      ++single_frames;
      if (silent) continue;
      ++served;
      (void)mf::protocol::send_envelope(socket_, got->identity,
                                        mf::protocol::make_envelope(answer(*req), id_));
    }
  }
  std::string id_;
  std::int64_t protocol_ = 1;
  zmq::context_t context_{1};
  zmq::socket_t socket_{context_, zmq::socket_type::router};
  std::string endpoint_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

struct router_fixture {
  explicit router_fixture(std::size_t max_inflight = 4096, std::string front = {}) {
    blob_dir = std::filesystem::temp_directory_path() /
               ("mf_router_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter()++));
    std::filesystem::create_directories(blob_dir);
    const char* loop_mode = std::getenv("MF_ROUTER_LOOP");
    const bool shared_loop = loop_mode && std::string(loop_mode) == "shared";
    std::shared_ptr<asio::io_context> loop;
    if (shared_loop) loop = std::make_shared<asio::io_context>(1);
    mf::router::forwarder_options fo;
    fo.node_id = "router-test";
    fo.max_inflight = max_inflight;
    fo.front_endpoint = front;
    fo.loop = loop;
    forwarder = std::move(*mf::router::predict_forwarder::start(fo));
    const std::string url = redis.url(), dir = blob_dir.string();
    mf::router::context_factory factory = [url,
                                           dir]() -> mf::expected<mf::router::handler_context> {
      auto reg = mf::cluster::redis_registry::connect(url);
      if (!reg) return std::move(reg).error();
      auto blobs = mf::cluster::fs_blob_store::open(dir);
      if (!blobs) return std::move(blobs).error();
      mf::router::handler_context ctx;
      ctx.registry = std::make_shared<mf::cluster::redis_registry>(std::move(*reg));
      ctx.blobs = std::shared_ptr<mf::cluster::blob_store>(std::move(*blobs));
      return ctx;
    };
    mf::router::service_options so;
    so.admin_token = admin_token_value;
    service = std::move(*mf::router::router_service::create(so, factory, forwarder.get()));
    server = std::move(*mf::router::http_server::start(
        *service, "127.0.0.1", 0, shared_loop ? 1 : 2, std::chrono::milliseconds(10000), loop));
    base = "http://127.0.0.1:" + std::to_string(server->port());
    registry.emplace(std::move(*mf::cluster::redis_registry::connect(url)));
  }
  ~router_fixture() {
    server.reset();
    service.reset();
    forwarder.reset();
    std::error_code ec;
    std::filesystem::remove_all(blob_dir, ec);
  }

  http_result call(const std::string& method, const std::string& path, const std::string& body = {},
                   const std::string& token = admin_token_value,
                   const std::string& content_type = "application/json",
                   std::vector<std::string> extra = {}) {
    if (!token.empty()) extra.push_back("Authorization: Bearer " + token);
    if (!content_type.empty()) extra.push_back("Content-Type: " + content_type);
    return http_request(method, base + path, body, extra);
  }

  // Points the forwarder at fake workers: tenant -> nodes.
  void place(const std::map<std::string, std::vector<std::string>>& tenants,
             const std::vector<const fake_worker*>& workers, std::int64_t epoch = 1) {
    mf::router::cluster_view v;
    v.placement.epoch = epoch;
    v.placement.tenants = tenants;
    for (auto* w : workers) {
      mf::cluster::node_record n;
      n.node = w->id();
      n.role = "worker";
      n.address = w->endpoint();
      n.protocol = w->protocol();
      v.nodes.push_back(n);
    }
    forwarder->update(std::move(v));
  }

  static int& counter() {
    static int c = 0;
    return c;
  }

  redis_server_fixture redis;
  std::filesystem::path blob_dir;
  std::unique_ptr<mf::router::predict_forwarder> forwarder;
  std::unique_ptr<mf::router::router_service> service;
  std::unique_ptr<mf::router::http_server> server;
  std::optional<mf::cluster::redis_registry> registry;
  std::string base;
};

inline nlohmann::json parse(const http_result& r) {
  return nlohmann::json::parse(r.body, nullptr, false);
}

// The error code of an error envelope, "" if the body is not one.
inline std::string error_code(const http_result& r) {
  auto j = parse(r);
  if (j.is_discarded() || !j.is_object() || !j.contains("error")) return "";
  return j["error"].value("code", "");
}

}  // namespace mf::test
