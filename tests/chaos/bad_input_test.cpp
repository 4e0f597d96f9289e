// Bad input against real processes: every hostile HTTP request is answered with the API.md
// status and error envelope and changes nothing; garbage, replayed and out-of-order Cap'n
// Proto frames on the front door and on a worker's ROUTER leave both serving.
#include <doctest/doctest.h>

#include <chrono>
#include <random>
#include <set>

#include <capnp/message.h>

#include "protocol/frame.hpp"
#include "protocol/predict_client.hpp"
#include "protocol/socket.hpp"
#include "tests/chaos/chaos_cluster.hpp"
#include "tests/chaos/load_client.hpp"
#include "tests/support/wait_until.hpp"

using namespace mf::chaos;
using namespace std::chrono_literals;

namespace {

struct bad_case {
  std::string what, method, path, content_type, body;
  std::set<long> statuses;  // acceptable (API.md leaves some room, e.g. 1e999: 400 or 422)
};

// Everything a request could have changed, as one string.
std::string state_of(chaos_cluster& c) {
  std::string out;
  for (const char* path : {"/v1/tenants", "/v1/tenants/t1/models", "/v1/tenants/t1/models/m",
                           "/v1/tenants/t1/jobs", "/v1/tenants/t2/models"}) {
    auto r = http_request("GET", c.base() + path, "", c.admin_headers());
    // created_at/updated_at are stable; the whole body is the snapshot.
    out += std::string(path) + " " + std::to_string(r.status) + " " + r.body + "\n";
  }
  return out;
}

std::string instances(std::size_t rows, std::size_t cols) {
  std::string s = R"({"instances":[)";
  for (std::size_t i = 0; i < rows; ++i) {
    s += i ? ",[" : "[";
    for (std::size_t j = 0; j < cols; ++j) s += j ? ",1" : "1";
    s += "]";
  }
  return s + "]}";
}

}  // namespace

TEST_CASE("hostile HTTP input gets the API.md error and changes nothing") {
  cluster_options opt;
  opt.name = "bad";
  opt.workers = 1;
  opt.replicas = 1;
  chaos_cluster c(opt);
  c.create_tenant("t1");
  c.create_tenant("t2");
  const std::string artifact = small_artifact();
  c.upload_model("t1", "m", artifact);
  REQUIRE(c.wait_predict_ok("t1", "m", 15s));
  const std::string before = state_of(c);

  const std::string predict = "/v1/tenants/t1/models/m/predict";
  const std::string train = "/v1/tenants/t1/models/m/train";
  const std::string upload = "/v1/tenants/t1/models/m/versions?activate=always";
  const std::string json = "application/json";
  const std::string nested =
      std::string(R"({"instances":)") + std::string(100000, '[') + std::string(100000, ']') + "}";
  std::string truncated = artifact.substr(0, artifact.size() / 2);
  std::string flipped = artifact;
  flipped[flipped.size() - 3] ^= 0x5a;
  std::mt19937 rng(3);
  std::string random_bytes(4096, '\0');
  for (auto& ch : random_bytes) ch = static_cast<char>(rng());
  const std::string png = std::string("\x89PNG\r\n\x1a\n", 8) + random_bytes;

  std::vector<bad_case> cases = {
      {"malformed JSON", "POST", predict, json, R"({"instances":[[1,2]})", {400}},
      {"not JSON at all", "POST", predict, json, "hello", {400}},
      {"empty body", "POST", predict, json, "", {400}},
      {"deeply nested arrays", "POST", predict, json, nested, {400, 422}},
      {"deeply nested objects",
       "POST",
       train,
       json,
       std::string(50000, '{') + std::string(50000, '}'),
       {400}},
      {"huge number", "POST", predict, json, R"({"instances":[[1e999,1]]})", {400, 422}},
      {"huge integer",
       "POST",
       predict,
       json,
       R"({"instances":[[123456789012345678901234567890,1]]})",
       {200, 400, 422}},  // finite
      {"NaN bare", "POST", predict, json, R"({"instances":[[NaN,1]]})", {400, 422}},
      {"nan lower", "POST", predict, json, R"({"instances":[[nan,1]]})", {400, 422}},
      {"Infinity", "POST", predict, json, R"({"instances":[[Infinity,1]]})", {400, 422}},
      {"-Infinity", "POST", predict, json, R"({"instances":[[-Infinity,1]]})", {400, 422}},
      {"NaN string", "POST", predict, json, R"({"instances":[["NaN",1]]})", {422}},
      {"inf string", "POST", predict, json, R"({"instances":[["inf",1]]})", {422}},
      {"string feature", "POST", predict, json, R"({"instances":[["1",2]]})", {422}},
      {"bool feature", "POST", predict, json, R"({"instances":[[true,2]]})", {422}},
      {"null feature", "POST", predict, json, R"({"instances":[[null,2]]})", {422}},
      {"10,001 instances", "POST", predict, json, instances(10001, 2), {422}},
      {"wrong feature count", "POST", predict, json, instances(1, 3), {422}},
      {"ragged rows", "POST", predict, json, R"({"instances":[[1,2],[1]]})", {422}},
      {"empty instances", "POST", predict, json, R"({"instances":[]})", {422}},
      {"instances not a list", "POST", predict, json, R"({"instances":{"a":1}})", {400, 422}},
      {"version not a number",
       "POST",
       predict,
       json,
       R"({"instances":[[1,2]],"version":"x"})",
       {400, 422}},
      {"unknown version", "POST", predict, json, R"({"instances":[[1,2]],"version":99})", {404}},
      {"text/plain predict", "POST", predict, "text/plain", instances(1, 2), {415}},
      {"xml predict", "POST", predict, "application/xml", "<a/>", {415}},
      {"octet-stream train", "POST", train, "application/octet-stream", "x", {415}},
      {"json upload", "POST", upload, json, artifact, {415}},
      {"body past 64 MiB", "POST", predict, json, std::string((64u << 20) + 1024, ' '), {413}},
      {"unknown algorithm",
       "POST",
       train,
       json,
       R"({"algorithm":"gpt","data":{"features":[[1,2],[2,1]],"labels":[1,0]}})",
       {422}},
      {"unknown param",
       "POST",
       train,
       json,
       R"({"algorithm":"linear_svm","params":{"zzz":1},"data":{"features":[[1,2],[2,1]],"labels":[1,0]}})",
       {422}},
      {"labels length mismatch",
       "POST",
       train,
       json,
       R"({"algorithm":"linear_svm","data":{"features":[[1,2],[2,1]],"labels":[1]}})",
       {422}},
      {"NaN in training data",
       "POST",
       train,
       json,
       R"({"algorithm":"linear_regression","data":{"features":[[1,2],["NaN",1]],"labels":[1,0]}})",
       {400, 422}},
      {"CSV without label column",
       "POST",
       train + "?algorithm=linear_regression&label_column=y",
       "text/csv",
       "a,b\n1,2\n3,4\n",
       {422, 400}},
      {"CSV garbage",
       "POST",
       train + "?algorithm=linear_regression&label_column=y",
       "text/csv",
       random_bytes,
       {400, 422}},
      {"random artifact", "POST", upload, "application/octet-stream", random_bytes, {422}},
      {"truncated artifact", "POST", upload, "application/octet-stream", truncated, {422}},
      {"bit-flipped artifact", "POST", upload, "application/octet-stream", flipped, {422}},
      {"foreign artifact (PNG)", "POST", upload, "application/octet-stream", png, {422}},
      {"empty artifact", "POST", upload, "application/octet-stream", "", {422, 400}},
      {"tenant ..", "PUT", "/v1/tenants/..", json, "", {400, 404}},
      {"tenant %2e%2e", "PUT", "/v1/tenants/%2e%2e", json, "", {400}},
      {"tenant .", "PUT", "/v1/tenants/.", json, "", {400, 404}},
      {"tenant %2F slash", "PUT", "/v1/tenants/a%2Fb", json, "", {400}},
      {"tenant slash", "PUT", "/v1/tenants/a/b", json, "", {400, 404}},
      {"tenant NUL", "PUT", "/v1/tenants/a%00b", json, "", {400}},
      {"tenant 10 KB", "PUT", "/v1/tenants/" + std::string(10240, 'a'), json, "", {400, 414, 431}},
      {"tenant unicode", "PUT", "/v1/tenants/t%C3%A9", json, "", {400}},
      {"tenant leading dash", "PUT", "/v1/tenants/-x", json, "", {400}},
      {"model ..", "POST", "/v1/tenants/t1/models/%2e%2e/predict", json, instances(1, 2), {400}},
      {"model traversal",
       "POST",
       "/v1/tenants/t1/models/..%2F..%2Fetc/versions?activate=always",
       "application/octet-stream",
       artifact,
       {400}},
      {"model 10 KB",
       "POST",
       "/v1/tenants/t1/models/" + std::string(10240, 'm') + "/predict",
       json,
       instances(1, 2),
       {400, 414, 431}},
      {"job id traversal", "GET", "/v1/jobs/..%2F..%2Fetc%2Fpasswd", json, "", {400, 404}},
      {"negative version",
       "GET",
       "/v1/tenants/t1/models/m/versions/-1/artifact",
       json,
       "",
       {400, 404}},
      {"version overflow",
       "GET",
       "/v1/tenants/t1/models/m/versions/99999999999999999999999/artifact",
       json,
       "",
       {400, 404}},
      {"quota negative",
       "PATCH",
       "/v1/tenants/t1",
       json,
       R"({"quota":{"memory_bytes":-5}})",
       {400, 422}},
      {"quota not an object", "PATCH", "/v1/tenants/t1", json, R"({"quota":"lots"})", {400, 422}},
  };

  std::size_t wrong = 0;
  std::string report;
  for (const auto& bc : cases) {
    const auto r = http_request(
        bc.method, c.base() + bc.path, bc.body,
        {"Authorization: Bearer " + c.admin_token(), "Content-Type: " + bc.content_type}, 30000ms);
    bool envelope = false;
    try {
      const auto j = nlohmann::json::parse(r.body);
      envelope = j.size() == 1 && j.contains("error") && j["error"].size() == 2 &&
                 j["error"]["code"].is_string() && j["error"]["message"].is_string();
    } catch (...) {
    }
    // API.md: every error is the envelope (a finite huge number may legitimately predict).
    const bool ok = bc.statuses.count(r.status) == 1 && (envelope || r.status == 200);
    if (!ok) {
      ++wrong;
      report += bc.what + ": got " + std::to_string(r.status) + " " + r.body.substr(0, 200) + "\n";
    }
  }
  const std::string after = state_of(c);
  CHECK_MESSAGE(wrong == 0, report);
  CHECK(before == after);
  // Still serving.
  CHECK(c.wait_predict_ok("t1", "m", 5s));
  MESSAGE("bad input: " << cases.size() << " hostile requests, " << wrong << " answered wrong");
  write_figures("bad_input_http", {{"cases", cases.size()}, {"wrong", wrong}, {"report", report}});
}

TEST_CASE("garbage, replayed and out-of-order frames on the front door and a worker") {
  cluster_options opt;
  opt.name = "badzmq";
  opt.workers = 1;
  opt.replicas = 1;
  chaos_cluster c(opt);
  c.create_tenant("t1");
  c.upload_model("t1", "m", small_artifact());
  REQUIRE(c.wait_predict_ok("t1", "m", 15s));
  const std::string worker_zmq = ready_value(c.worker("w1"), "zmq");
  REQUIRE(!worker_zmq.empty());

  zmq::context_t ctx;
  std::mt19937 rng(11);
  auto garbage_frames = [&] {
    std::vector<std::vector<std::string>> out;
    out.push_back({""});                       // delimiter only
    out.push_back({"x"});                      // no delimiter
    out.push_back({"", ""});                   // empty payload
    out.push_back({"", std::string(7, 'a')});  // not word-aligned
    std::string table(16, '\0');
    table[0] = '\xff';  // segment count 256
    table[4] = '\xff';
    out.push_back({"", table});
    std::string huge(16, '\0');
    huge[4] = '\xff', huge[5] = '\xff', huge[6] = '\xff', huge[7] = '\x7f';  // absurd segment size
    out.push_back({"", huge});
    for (int i = 0; i < 200; ++i) {
      std::string g(8 * (1 + rng() % 64), '\0');
      for (auto& ch : g) ch = static_cast<char>(rng());
      out.push_back({"", g});
    }
    out.push_back({"", "a", "b", "c"});  // too many frames
    return out;
  };

  for (const std::string& endpoint : {c.front(), worker_zmq}) {
    CAPTURE(endpoint);
    zmq::socket_t s(ctx, zmq::socket_type::dealer);
    s.set(zmq::sockopt::linger, 0);
    s.connect(endpoint);
    for (const auto& msg : garbage_frames()) {
      for (std::size_t i = 0; i < msg.size(); ++i)
        s.send(zmq::buffer(msg[i]),
               i + 1 < msg.size() ? zmq::send_flags::sndmore : zmq::send_flags::dontwait);
    }
    // Replayed: the same request id twice; out of order: a reply sent as a request.
    mf::protocol::predict_request req;
    req.request_id = 4242;
    req.deadline_unix_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count() +
                           5000;
    req.tenant = "t1";
    req.model = "m";
    req.n_features = 2;
    req.features = {1, 1};
    REQUIRE(mf::protocol::send_envelope(s, "", mf::protocol::make_envelope(req)).has_value());
    REQUIRE(mf::protocol::send_envelope(s, "", mf::protocol::make_envelope(req)).has_value());
    mf::protocol::predict_reply fake;
    fake.request_id = 4243;
    (void)mf::protocol::send_envelope(s, "", mf::protocol::make_envelope(fake));
    // Both copies of 4242 are answered (predict is idempotent); nothing else is a success.
    int answered_4242 = 0;
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (std::chrono::steady_clock::now() < deadline && answered_4242 < 2) {
      auto r = mf::protocol::recv_envelope(s, 200ms);
      if (!r || !r->message) continue;
      if (r->request_id == 4242 &&
          std::holds_alternative<mf::protocol::predict_reply>(r->message->body))
        ++answered_4242;
    }
    CHECK(answered_4242 == 2);
    // A fresh client still gets answers.
    auto client = mf::protocol::predict_client::create();
    REQUIRE(client.has_value());
    REQUIRE(client->connect(endpoint).has_value());
    mf::protocol::predict_request ok = req;
    ok.request_id = 0;
    auto reply = client->predict(ok, 3000ms);
    CHECK_MESSAGE(reply.has_value(), (reply ? "" : reply.error().message));

    // A well-framed but insane predict (3 numbers for 2 features: our encoder refuses to write
    // it, so it is built by hand) gets a typed invalid_input with the sender's id. Through the
    // front door the router relays the frame and it is the worker that refuses it.
    capnp::MallocMessageBuilder builder;
    auto env = builder.initRoot<mf::protocol::wire::Envelope>();
    env.setRequestId(5151);
    env.setTenant("t1");
    auto body = env.getBody().initPredictRequest();
    body.setModel("m");
    body.setNFeatures(2);
    auto features = body.initFeatures(3);
    for (unsigned i = 0; i < 3; ++i) features.set(i, 1.0);
    auto insane = mf::protocol::to_zmq_message(builder);
    REQUIRE(insane.has_value());
    REQUIRE(mf::protocol::send_frame(s, "", std::move(*insane)).has_value());
    bool refused = false;
    const auto until = std::chrono::steady_clock::now() + 5s;
    while (!refused && std::chrono::steady_clock::now() < until) {
      auto r = mf::protocol::recv_envelope(s, 200ms);
      if (!r || !r->message || r->request_id != 5151) continue;
      const auto* reply_body = std::get_if<mf::protocol::predict_reply>(&r->message->body);
      const auto* error_body = std::get_if<mf::error>(&r->message->body);
      const auto code = reply_body && reply_body->error ? reply_body->error->code
                        : error_body                    ? error_body->code
                                                        : mf::errc::internal;
      CHECK(code == mf::errc::invalid_input);
      refused = true;
    }
    CHECK(refused);
  }
  CHECK(c.worker("w1").running());
  CHECK(c.router().running());
  CHECK(c.wait_predict_ok("t1", "m", 5s));
}
