// System tests of `modelfleet worker`: a real redis-server, a real worker process, a test
// client over ZeroMQ. Predict, registration, bad input, cold load, eviction, activation,
// training with progress and cancel, SIGTERM drain.
#include <doctest/doctest.h>

#include <signal.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "protocol/socket.hpp"
#include "tests/nodes/worker_harness.hpp"
#include "tests/support/wait_until.hpp"

using namespace mf::test;
using namespace std::chrono_literals;
namespace proto = mf::protocol;

namespace {

proto::predict_request request(const std::string& tenant, const std::string& model,
                               std::vector<double> x, std::uint32_t n_features = 2) {
  proto::predict_request r;
  r.tenant = tenant;
  r.model = model;
  r.n_features = n_features;
  r.features = std::move(x);
  return r;
}

// A DEALER standing in for the coordinator (or a hostile peer).
struct raw_peer {
  zmq::context_t ctx{1};
  zmq::socket_t sock{ctx, zmq::socket_type::dealer};
  explicit raw_peer(const std::string& endpoint) {
    REQUIRE(proto::apply_socket_policy(sock, proto::socket_policy::node_dealer("coord-test")));
    sock.connect(endpoint);
  }
  ~raw_peer() { sock.close(); }
  void send(proto::body body, std::uint64_t id = 1) {
    proto::envelope e;
    e.head.request_id = id;
    e.head.sender = "coord-test";
    e.body = std::move(body);
    // The node DEALER policy queues only to completed connections: retry until connected.
    REQUIRE(wait_until([&] { return static_cast<bool>(proto::send_envelope(sock, "", e)); }, 5s));
  }
  std::optional<proto::envelope> recv(std::chrono::milliseconds timeout) {
    auto got = proto::recv_envelope(sock, timeout);
    if (!got || !got->message) return std::nullopt;
    return std::move(*got->message);
  }
};

}  // namespace

TEST_CASE("worker registers, predicts, reports health/metrics and survives bad input") {
  worker_harness h;
  auto m1 = train_model("logistic_regression", blobs_dataset(200, false));
  auto v1 = h.publish("t1", "m", *m1, true);
  h.place({"t1"});
  h.start();

  // Registered in Redis with its real endpoint.
  REQUIRE(wait_until(
      [&] {
        auto nodes = h.registry().list_nodes();
        // The harness starts it with --memory-budget 256MiB: the record says so.
        return nodes && !nodes->empty() && nodes->front().node == "w1" &&
               nodes->front().address == h.zmq_endpoint() &&
               nodes->front().memory_budget_bytes == std::int64_t{256} << 20 &&
               nodes->front().state == mf::cluster::node_state::up;
      },
      5s));
  // Preloaded from placement.
  REQUIRE(wait_until(
      [&] { return metric_value(h.metrics(), "modelfleet_worker_models_loaded") == 1.0; }, 5s));
  CHECK(http_get(h.admin_url(), "/healthz").first == 200);
  CHECK(http_get(h.admin_url(), "/readyz").first == 200);
  CHECK(http_get(h.admin_url(), "/nope").first == 404);

  auto client = h.client();
  auto r = client.predict(request("t1", "m", {0, 0, 3, 3}), 5s);
  REQUIRE_MESSAGE(r, r.error().message);
  CHECK(r->version == v1);
  CHECK(r->predictions == std::vector<double>{0, 1});
  CHECK(r->n_prob_columns == 1);

  auto wrong = client.predict(request("t1", "m", {1, 2, 3}, 3), 5s);
  REQUIRE_FALSE(wrong);
  CHECK(wrong.error().code == mf::errc::invalid_input);
  auto nan = client.predict(request("t1", "m", {1, std::nan("")}), 5s);
  REQUIRE_FALSE(nan);
  CHECK(nan.error().code == mf::errc::invalid_input);
  auto unknown = client.predict(request("t1", "nope", {1, 2}), 5s);
  REQUIRE_FALSE(unknown);
  CHECK(unknown.error().code == mf::errc::not_found);

  // Garbage frames from a raw peer get a typed error; the worker keeps serving.
  raw_peer peer(h.zmq_endpoint());
  for (std::string junk : {std::string("hello"), std::string(64, '\xff'), std::string(24, '\0')}) {
    REQUIRE(peer.sock.send(zmq::message_t(), zmq::send_flags::sndmore));
    REQUIRE(peer.sock.send(zmq::message_t(junk.data(), junk.size()), zmq::send_flags::none));
    auto reply = peer.recv(5s);
    REQUIRE(reply);
    auto* err = std::get_if<mf::error>(&reply->body);
    REQUIRE(err);
    CHECK(err->code == mf::errc::invalid_input);
  }
  auto again = client.predict(request("t1", "m", {3, 3}), 5s);
  REQUIRE(again);
  CHECK(again->predictions == std::vector<double>{1});
  auto text = h.metrics();
  CHECK(metric_value(text, "modelfleet_worker_frames_bad_total").value_or(0) >= 3);
  CHECK(metric_value(text, "modelfleet_worker_cache_hits_total").value_or(0) >= 2);
  CHECK(text.find("modelfleet_worker_predict_latency_seconds_bucket") != std::string::npos);
  CHECK(h.process().running());
}

TEST_CASE(
    "a predictBatchRequest: resident hits in one batch reply, a cold model alone, errors per "
    "item") {
  worker_harness h;
  auto m1 = train_model("logistic_regression", blobs_dataset(200, false));
  h.publish("t1", "m", *m1, true);
  h.publish("t2", "cold", *m1, true);
  h.place({"t1"});
  h.start();
  REQUIRE(wait_until(
      [&] { return metric_value(h.metrics(), "modelfleet_worker_models_loaded") == 1.0; }, 5s));
  // The worker announces that it takes batches (routers send them only then).
  auto nodes = h.registry().list_nodes();
  REQUIRE(nodes);
  REQUIRE_FALSE(nodes->empty());
  CHECK(nodes->front().protocol == proto::predict_batch_protocol_level);

  raw_peer peer(h.zmq_endpoint());
  auto item = [](std::uint64_t id, const std::string& tenant, const std::string& model,
                 std::vector<double> x, std::uint32_t n_features = 2) {
    auto r = request(tenant, model, std::move(x), n_features);
    r.request_id = id;
    return r;
  };
  proto::predict_batch_request batch;
  batch.items.push_back(item(11, "t1", "m", {0, 0}));
  batch.items.push_back(item(12, "t1", "m", {3, 3, 0, 0}));
  batch.items.push_back(item(13, "t1", "m", {1, 2, 3}, 3));  // wrong feature count
  batch.items.push_back(item(14, "t1", "nope", {1, 2}));     // no such model
  batch.items.push_back(item(15, "t2", "cold", {3, 3}));     // not resident: loads first
  peer.send(batch, 0);

  std::map<std::uint64_t, proto::predict_reply> replies;
  int batch_replies = 0;
  REQUIRE(wait_until(
      [&] {
        auto e = peer.recv(100ms);
        if (!e) return replies.size() == 5;
        if (auto* b = std::get_if<proto::predict_batch_reply>(&e->body)) {
          ++batch_replies;
          for (auto& r : b->items) replies[r.request_id] = r;
        } else if (auto* r = std::get_if<proto::predict_reply>(&e->body)) {
          replies[r->request_id] = *r;
        }
        return replies.size() == 5;
      },
      10s));
  CHECK(batch_replies >= 1);
  CHECK(replies[11].predictions == std::vector<double>{0});
  CHECK(replies[12].predictions == std::vector<double>{1, 0});
  REQUIRE(replies[13].error);
  CHECK(replies[13].error->code == mf::errc::invalid_input);
  REQUIRE(replies[14].error);
  CHECK(replies[14].error->code == mf::errc::not_found);
  REQUIRE_FALSE(replies[15].error);
  CHECK(replies[15].predictions == std::vector<double>{1});

  // A burst bigger than one predictor's chunk: every item answered once, by id.
  proto::predict_batch_request big;
  for (std::uint64_t i = 0; i < 100; ++i)
    big.items.push_back(item(1000 + i, "t1", "m", {i % 2 ? 3.0 : 0.0, i % 2 ? 3.0 : 0.0}));
  peer.send(big, 0);
  std::map<std::uint64_t, double> answers;
  REQUIRE(wait_until(
      [&] {
        auto e = peer.recv(100ms);
        if (e) {
          if (auto* b = std::get_if<proto::predict_batch_reply>(&e->body))
            for (auto& r : b->items) answers[r.request_id] = r.predictions.at(0);
          if (auto* r = std::get_if<proto::predict_reply>(&e->body))
            answers[r->request_id] = r->predictions.at(0);
        }
        return answers.size() == 100;
      },
      10s));
  for (std::uint64_t i = 0; i < 100; ++i) CHECK(answers[1000 + i] == (i % 2 ? 1.0 : 0.0));
  auto text = h.metrics();
  CHECK(metric_value(text, "modelfleet_worker_predict_batch_frames_total") == 2.0);
  CHECK(metric_value(text, "modelfleet_worker_predict_requests_total").value_or(0) >= 105);

  // A batch reply sent to a worker is refused with a typed error; it keeps serving.
  peer.send(proto::predict_batch_reply{{proto::predict_reply{}}}, 77);
  auto refused = peer.recv(5s);
  REQUIRE(refused);
  auto* err = std::get_if<mf::error>(&refused->body);
  REQUIRE(err);
  CHECK(err->code == mf::errc::invalid_input);
  CHECK(h.process().running());
}

TEST_CASE("cold load, eviction under a small budget, activation switch") {
  worker_harness h;
  auto a = train_model("logistic_regression", blobs_dataset(200, false));
  auto b = train_model("logistic_regression", blobs_dataset(200, true));
  // The worker's footprint of the model: loaded as it loads it (without validation metrics).
  auto served = mf::ml::load_artifact(mf::ml::serialize_artifact(*a), {.keep_metrics = false});
  REQUIRE(served);
  const std::size_t size = (*served)->memory_bytes();
  // Room for two models: loading four evicts.
  std::vector<std::int64_t> versions;
  for (int i = 0; i < 4; ++i)
    versions.push_back(h.publish("t2", "m" + std::to_string(i), *a, true));
  auto v1 = h.publish("t1", "m", *a, true);
  h.start({"--memory-budget", std::to_string(size * 5 / 2)});
  auto client = h.client();

  // Nothing placed: every first request is a cold load (single flight on the worker).
  for (int round = 0; round < 2; ++round)
    for (int i = 0; i < 4; ++i) {
      auto r = client.predict(request("t2", "m" + std::to_string(i), {3, 3}), 5s);
      REQUIRE_MESSAGE(r, r.error().message);
      CHECK(r->predictions == std::vector<double>{1});
    }
  auto text = h.metrics();
  CHECK(metric_value(text, "modelfleet_worker_cache_loads_total").value_or(0) >= 5);
  // Second-round reloads name a known version of a just-written (page-cached) artifact: the
  // model host reads it in place, without a loader thread.
  CHECK(metric_value(text, "modelfleet_worker_cache_inline_loads_total").value_or(0) >= 1);
  CHECK(metric_value(text, "modelfleet_worker_cache_evictions_total").value_or(0) >= 3);
  CHECK(metric_value(text, "modelfleet_worker_memory_bytes").value_or(1e18) <=
        static_cast<double>(size * 5 / 2));
  CHECK(metric_value(text, "modelfleet_worker_models_loaded").value_or(99) <= 2);

  // Activation: v2 answers the opposite class once activated; no request fails meanwhile.
  auto first = client.predict(request("t1", "m", {3, 3}), 5s);
  REQUIRE(first);
  CHECK(first->version == v1);
  auto v2 = h.publish("t1", "m", *b, false);
  REQUIRE(h.registry().activate("t1", "m", v2, "activate", "admin"));
  int failures = 0;
  REQUIRE(wait_until(
      [&] {
        auto r = client.predict(request("t1", "m", {3, 3}), 5s);
        if (!r) ++failures;
        return r && r->version == v2 && r->predictions == std::vector<double>{0};
      },
      5s));
  CHECK(failures == 0);
}

TEST_CASE("training end to end: progress, artifact, result, registry record; cancel is prompt") {
  worker_harness h;
  REQUIRE(h.registry().create_tenant("t1"));
  h.start({"--train-slots", "1"});
  raw_peer coord(h.zmq_endpoint());

  mf::cluster::job_record job;
  job.tenant = "t1";
  job.model = "trained";
  job.algorithm = "logistic_regression";
  auto created = h.registry().create_job(job);
  REQUIRE(created);
  created->attempts = 1;
  created->status = mf::cluster::job_status::running;
  // A cancel request already stored (without its event, so this worker keeps training): the
  // worker's progress and result writes are field-level and must keep it.
  created->cancel_requested = true;
  REQUIRE(h.registry().update_job(*created));

  auto data = blobs_dataset(400, false);
  proto::train_assign assign;
  assign.job_id = created->id;
  assign.tenant = "t1";
  assign.model = "trained";
  assign.algorithm = "logistic_regression";
  assign.n_features = 2;
  assign.features = data.features;
  assign.labels = data.labels;
  assign.validation_split = 0.2;
  assign.seed = 7;
  assign.attempt = 1;
  assign.artifact_key = "t1/trained/1.mfm";
  coord.send(assign);

  std::vector<double> progress;
  std::optional<proto::train_result> result;
  auto deadline = std::chrono::steady_clock::now() + 60s;
  while (!result && std::chrono::steady_clock::now() < deadline) {
    auto e = coord.recv(1s);
    if (!e) continue;
    if (auto* p = std::get_if<proto::train_progress>(&e->body)) progress.push_back(p->progress);
    if (auto* r = std::get_if<proto::train_result>(&e->body)) result = *r;
  }
  REQUIRE(result);
  REQUIRE_MESSAGE(!result->error, (result->error ? result->error->message : std::string()));
  REQUIRE(progress.size() >= 2);
  CHECK(progress.front() == 0.0);
  CHECK(progress.back() == 1.0);
  auto bytes = h.blobs().get({"t1", "trained", 1}, 1 << 20);
  REQUIRE(bytes);
  CHECK(result->sha256 == mf::ml::sha256_hex(*bytes));
  CHECK(result->size_bytes == bytes->size());
  CHECK(mf::ml::load_artifact(*bytes));
  auto rec = h.registry().get_job(created->id);
  REQUIRE(rec);
  CHECK(rec->progress == 1.0);
  CHECK(rec->node == "w1");
  CHECK_FALSE(rec->metrics.empty());
  CHECK(rec->cancel_requested);
  CHECK(rec->status == mf::cluster::job_status::running);  // the coordinator ends it
  // The artifact as the worker wrote it, for a coordinator that missed the trainResult.
  CHECK(rec->artifact_key == "t1/trained/1.mfm");
  CHECK(rec->sha256 == result->sha256);
  CHECK(rec->size_bytes == static_cast<std::int64_t>(result->size_bytes));

  // Cancel: a long mlp, stopped promptly, no artifact written.
  auto big = blobs_dataset(3000, false);
  assign.job_id = "slow-job";
  assign.algorithm = "mlp";
  assign.params = {{"epochs", 5000}, {"hidden", 64}};
  assign.features = big.features;
  assign.labels = big.labels;
  assign.artifact_key = "t1/trained/2.mfm";
  coord.send(assign);
  bool started = false;
  while (!started && std::chrono::steady_clock::now() < deadline) {
    auto e = coord.recv(1s);
    if (e && std::get_if<proto::train_progress>(&e->body)) started = true;
  }
  REQUIRE(started);
  auto t0 = std::chrono::steady_clock::now();
  coord.send(proto::train_cancel{"slow-job"});
  std::optional<proto::train_result> cancelled;
  while (!cancelled && std::chrono::steady_clock::now() < t0 + 10s) {
    auto e = coord.recv(1s);
    if (!e) continue;
    if (auto* r = std::get_if<proto::train_result>(&e->body)) cancelled = *r;
  }
  REQUIRE(cancelled);
  REQUIRE(cancelled->error);
  CHECK(cancelled->error->code == mf::errc::cancelled);
  CHECK(std::chrono::steady_clock::now() - t0 < 3s);
  auto exists = h.blobs().exists({"t1", "trained", 2});
  REQUIRE(exists);
  CHECK_FALSE(*exists);
}

TEST_CASE("SIGTERM drains: every in-flight request is answered, then the node deregisters") {
  worker_harness h;
  auto m = train_model("logistic_regression", blobs_dataset(200, false));
  h.publish("t1", "m", *m, true);
  h.place({"t1"});
  h.start();
  REQUIRE(wait_until(
      [&] {
        auto nodes = h.registry().list_nodes();
        return nodes && nodes->size() == 1;
      },
      5s));
  auto client = h.client();
  REQUIRE(client.predict(request("t1", "m", {3, 3}), 5s));  // warm
  std::vector<double> rows;
  for (int i = 0; i < 500; ++i) {
    rows.push_back(i % 2 ? 3 : 0);
    rows.push_back(i % 2 ? 3 : 0);
  }
  constexpr int n = 300;
  for (int i = 0; i < n; ++i) REQUIRE(client.send(request("t1", "m", rows)));
  h.process().signal(SIGTERM);
  int ok = 0;
  for (int i = 0; i < n; ++i) {
    auto r = client.receive(10s);
    REQUIRE_MESSAGE(r, "reply " << i << " missing: " << r.error().message);
    if (!r->error && r->predictions.size() == 500) ++ok;
  }
  CHECK(ok == n);
  auto code = h.process().wait_for(15s);
  REQUIRE(code);
  CHECK(*code == 0);
  auto nodes = h.registry().list_nodes();
  REQUIRE(nodes);
  CHECK(nodes->empty());
}

namespace {
double p99_ms(proto::predict_client& client, int n) {
  std::vector<double> ms;
  for (int i = 0; i < n; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    auto r = client.predict(request("t1", "m", {3, 3}), 5s);
    REQUIRE(r);
    ms.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(ms.begin(), ms.end());
  return ms[static_cast<std::size_t>(0.99 * (ms.size() - 1))];
}
}  // namespace

TEST_CASE("training does not starve predictions (predict p99 with and without a training job)") {
  worker_harness h;
  auto m = train_model("logistic_regression", blobs_dataset(200, false));
  h.publish("t1", "m", *m, true);
  h.place({"t1"});
  h.start({"--train-slots", "1"});
  auto client = h.client();
  (void)p99_ms(client, 200);  // warm up
  const double idle = p99_ms(client, 2000);
  raw_peer coord(h.zmq_endpoint());
  auto big = blobs_dataset(3000, false);
  proto::train_assign assign;
  assign.job_id = "busy";
  assign.tenant = "t1";
  assign.model = "busy";
  assign.algorithm = "mlp";
  assign.params = {{"epochs", 5000}, {"hidden", 64}};
  assign.n_features = 2;
  assign.features = big.features;
  assign.labels = big.labels;
  assign.attempt = 1;
  assign.artifact_key = "t1/busy/1.mfm";
  coord.send(assign);
  REQUIRE(wait_until(
      [&] { return metric_value(h.metrics(), "modelfleet_worker_train_running") == 1.0; }, 5s));
  const double busy = p99_ms(client, 2000);
  CHECK(metric_value(h.metrics(), "modelfleet_worker_train_running") == 1.0);  // still training
  coord.send(proto::train_cancel{"busy"});
  MESSAGE("predict p99 idle " << idle << " ms, while training " << busy << " ms");
  CHECK(busy < std::max(10.0, 5 * idle));
}
