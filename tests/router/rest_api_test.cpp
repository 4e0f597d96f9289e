// REST API conformance over real HTTP: an in-process router on a free port, a real
// redis-server, an fs blob store, fake ZeroMQ workers. Sections follow shared API.md.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "ml/ml.hpp"
#include "protocol/predict_client.hpp"
#include "tests/router/router_fixture.hpp"
#include "tests/support/wait_until.hpp"

using namespace mf::test;
using nlohmann::json;

namespace {

std::string make_artifact(std::size_t n_features = 3) {
  mf::ml::dataset d;
  d.n_features = n_features;
  for (int i = 0; i < 60; ++i) {
    double s = 0;
    for (std::size_t c = 0; c < n_features; ++c) {
      double v = (i * 7 + static_cast<int>(c) * 3) % 11;
      d.features.push_back(v);
      s += v * (c + 1);
    }
    d.labels.push_back(s);
  }
  auto trained = mf::ml::train("linear_regression", {}, d, {});
  REQUIRE(trained.has_value());
  return mf::ml::serialize_artifact(*trained->model);
}

// Threads of this process running at `nice` (field 19 of /proc/self/task/*/stat).
std::size_t threads_at_nice(int nice) {
  std::size_t n = 0;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream in(task.path() / "stat");
    std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto close = stat.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream fields(stat.substr(close + 2));
    std::string field;
    for (int i = 3; i <= 19 && fields >> field; ++i) {
      if (i == 19 && std::stoi(field) == nice) ++n;
    }
  }
  return n;
}

std::string create_tenant(router_fixture& f, const std::string& t) {
  auto r = f.call("PUT", "/v1/tenants/" + t);
  REQUIRE(r.status == 201);
  return parse(r)["api_key"].get<std::string>();
}

}  // namespace

TEST_CASE("health, readiness and metrics need no token") {
  router_fixture f;
  auto h = f.call("GET", "/healthz", "", "");
  CHECK(h.status == 200);
  CHECK(parse(h)["status"] == "ok");
  auto ready = f.call("GET", "/readyz", "", "");
  CHECK(ready.status == 503);  // Redis is up but no worker is
  CHECK(error_code(ready) == "unavailable");
  fake_worker w("w1");
  f.place({{"t1", {"w1"}}}, {&w});
  CHECK(wait_until([&] { return f.call("GET", "/readyz", "", "").status == 200; },
                   std::chrono::seconds(5)));
  auto m = f.call("GET", "/metrics", "", "");
  CHECK(m.status == 200);
  CHECK(m.headers["content-type"].find("text/plain") == 0);
  CHECK(m.body.find("modelfleet_router_requests_total{route=\"healthz\",status=\"200\"}") !=
        std::string::npos);
  CHECK(m.body.find("modelfleet_router_request_seconds_bucket") != std::string::npos);
  CHECK(f.call("GET", "/nope", "", "").status == 404);
}

TEST_CASE("HEAD answers like GET without a body") {
  router_fixture f;
  auto get = f.call("GET", "/healthz", "", "");
  auto head = f.call("HEAD", "/healthz", "", "");
  CHECK(head.status == 200);
  CHECK(head.body.empty());
  CHECK(head.headers["content-length"] == std::to_string(get.body.size()));
  CHECK(head.headers["content-type"] == get.headers["content-type"]);
  // Same auth and routing as GET: no token on a protected route, an unknown path.
  CHECK(f.call("HEAD", "/v1/tenants", "", "").status == 401);
  CHECK(f.call("HEAD", "/nope", "", "").status == 404);
  // Only where GET exists: HEAD on the POST-only predict route is not a route.
  CHECK(f.call("HEAD", "/v1/tenants/t1/models/m/predict").status == 404);
}

TEST_CASE("auth matrix: admin / own tenant / other tenant / none") {
  router_fixture f;
  const std::string k1 = create_tenant(f, "t1");
  const std::string k2 = create_tenant(f, "t2");
  CHECK(f.call("GET", "/v1/tenants/t1/models", "", "").status == 401);
  CHECK(error_code(f.call("GET", "/v1/tenants/t1/models", "", "")) == "unauthorized");
  CHECK(f.call("GET", "/v1/tenants/t1/models", "", "wrong-token").status == 401);
  CHECK(f.call("GET", "/v1/tenants/t1/models").status == 200);
  CHECK(f.call("GET", "/v1/tenants/t1/models", "", k1).status == 200);
  auto other = f.call("GET", "/v1/tenants/t1/models", "", k2);
  CHECK(other.status == 403);
  CHECK(error_code(other) == "forbidden");
  CHECK(f.call("GET", "/v1/tenants", "", k1).status == 403);
  CHECK(f.call("GET", "/v1/cluster/nodes", "", k1).status == 403);
  CHECK(f.call("PUT", "/v1/tenants/t3", "", k1).status == 403);
  CHECK(f.call("GET", "/v1/tenants").status == 200);
}

TEST_CASE("tenants: create, conflict, names, list, quota, keys, delete") {
  router_fixture f;
  auto created =
      f.call("PUT", "/v1/tenants/acme", R"({"quota":{"memory_bytes":1048576,"models":5}})");
  REQUIRE(created.status == 201);
  auto cj = parse(created);
  CHECK(cj["tenant"] == "acme");
  CHECK(cj["api_key"].get<std::string>().size() > 20);
  CHECK(f.call("PUT", "/v1/tenants/acme").status == 409);
  CHECK(error_code(f.call("PUT", "/v1/tenants/acme")) == "conflict");
  for (std::string bad : std::vector<std::string>{"..", "-x", "a%2Fb", std::string(65, 'a')}) {
    auto r = f.call("PUT", "/v1/tenants/" + bad);
    CHECK(r.status == 400);
    CHECK(error_code(r) == "invalid_name");
  }
  CHECK(f.call("PUT", "/v1/tenants/t9", "{not json").status == 400);
  CHECK(f.call("PUT", "/v1/tenants/t9", R"({"quota":{"memory_bytes":-1}})").status == 400);
  CHECK(f.call("PUT", "/v1/tenants/t9", "x", admin_token_value, "text/plain").status == 415);
  auto list = parse(f.call("GET", "/v1/tenants"));
  REQUIRE(list["tenants"].size() == 1);
  CHECK(list["tenants"][0]["tenant"] == "acme");
  CHECK(list["tenants"][0]["models"] == 0);
  CHECK(list["tenants"][0]["created_at"].get<std::string>().size() >= 20);
  auto patched = f.call("PATCH", "/v1/tenants/acme", R"({"quota":{"requests_per_second":10}})");
  CHECK(patched.status == 200);
  CHECK(parse(patched)["quota"]["requests_per_second"] == 10);
  CHECK(parse(patched)["quota"]["memory_bytes"] == 1048576);
  CHECK(f.call("PATCH", "/v1/tenants/nobody", R"({"quota":{}})").status == 404);

  // Rotation: both keys work until the old one is deleted.
  const std::string old_key = cj["api_key"];
  auto rotated = f.call("POST", "/v1/tenants/acme/keys", "", old_key);
  REQUIRE(rotated.status == 201);
  const std::string new_key = parse(rotated)["api_key"];
  CHECK(f.call("GET", "/v1/tenants/acme/models", "", new_key).status == 200);
  CHECK(f.call("GET", "/v1/tenants/acme/models", "", old_key).status == 200);
  auto keys = f.registry->list_keys("acme");
  REQUIRE(keys.has_value());
  std::string old_id;
  for (const auto& k : *keys) {
    if (k.hash == mf::cluster::sha256_hex(old_key)) old_id = k.key_id;
  }
  REQUIRE_FALSE(old_id.empty());
  CHECK(f.call("DELETE", "/v1/tenants/acme/keys/" + old_id).status == 204);
  CHECK(f.call("GET", "/v1/tenants/acme/models", "", old_key).status == 401);
  CHECK(f.call("GET", "/v1/tenants/acme/models", "", new_key).status == 200);

  CHECK(f.call("DELETE", "/v1/tenants/acme").status == 204);
  CHECK(f.call("DELETE", "/v1/tenants/acme").status == 404);
  CHECK(f.call("GET", "/v1/tenants/acme/models").status == 404);
  CHECK(f.call("GET", "/v1/tenants/acme/models", "", new_key).status == 401);
}

TEST_CASE("training: validation errors, 202, job record, cancel, CSV") {
  router_fixture f;
  const std::string k1 = create_tenant(f, "t1");
  create_tenant(f, "t2");
  const std::string good = R"({"algorithm":"logistic_regression","params":{"c":1.0},
      "data":{"features":[[0.1,2.3,1.0],[0.7,0.2,3.1],[0.3,0.3,0.3],[0.9,0.1,2.0]],"labels":[1,0,1,0]},
      "validation_split":0.25,"activate":"if_better"})";
  CHECK(f.call("POST", "/v1/tenants/t1/models/churn/train", good, admin_token_value, "text/plain")
            .status == 415);
  CHECK(error_code(f.call("POST", "/v1/tenants/t1/models/churn/train", "{bad")) ==
        "malformed_json");
  CHECK(f.call("POST", "/v1/tenants/t1/models/churn/train", R"({"data":{}})").status == 400);
  auto unknown_alg = f.call("POST", "/v1/tenants/t1/models/churn/train",
                            R"({"algorithm":"quantum","data":{"features":[[1]],"labels":[1]}})");
  CHECK(unknown_alg.status == 422);
  CHECK(error_code(unknown_alg) == "invalid_input");
  CHECK(
      f.call(
           "POST", "/v1/tenants/t1/models/churn/train",
           R"({"algorithm":"logistic_regression","params":{"nope":1},"data":{"features":[[1],[2]],"labels":[1,0]}})")
          .status == 422);
  CHECK(f.call("POST", "/v1/tenants/t1/models/churn/train",
               R"({"algorithm":"linear_regression","data":{"features":[[1],[2]],"labels":[1]}})")
            .status == 422);
  CHECK(f.call("POST", "/v1/tenants/t1/models/churn/train",
               R"({"algorithm":"linear_regression","data":{"features":[],"labels":[]}})")
            .status == 422);
  CHECK(f.call("POST", "/v1/tenants/t1/models/../train", good).status == 400);

  // Training submissions go to the bulk lane: one thread of its own at nice 19 (the default),
  // so parsing and storing big bodies yields to predictions.
  CHECK(threads_at_nice(19) == 1);
  auto queued = f.call("POST", "/v1/tenants/t1/models/churn/train", good, k1);
  REQUIRE(queued.status == 202);
  CHECK(f.call("GET", "/metrics", "", "").body.find("modelfleet_router_bulk_queue 0") !=
        std::string::npos);
  auto qj = parse(queued);
  CHECK(qj["status"] == "queued");
  const std::string job = qj["job_id"];
  auto got = f.call("GET", "/v1/jobs/" + job, "", k1);
  REQUIRE(got.status == 200);
  auto gj = parse(got);
  CHECK(gj["tenant"] == "t1");
  CHECK(gj["model"] == "churn");
  CHECK(gj["algorithm"] == "logistic_regression");
  CHECK(gj["status"] == "queued");
  // The stored request is what the coordinator reads back.
  auto record = f.registry->get_job(job);
  REQUIRE(record.has_value());
  auto stored = json::parse(record->request_ref);
  CHECK(stored["params"]["c"] == 1.0);
  // The rows are a dataset blob written before the job, not inline in the Redis record.
  CHECK_FALSE(stored.contains("data"));
  CHECK(stored["dataset_key"] == "t1/_datasets/" + job + ".json");
  const auto dataset_file = f.blob_dir / "t1" / "_datasets" / (job + ".json");
  REQUIRE(std::filesystem::exists(dataset_file));
  {
    std::ifstream in(dataset_file);
    auto rows = json::parse(in);
    CHECK(rows["features"].size() == 4);
    CHECK(rows["labels"].size() == 4);
  }
  // A running job has a reserved version id in its record, but no version until it succeeded.
  {
    auto running = *record;
    running.status = mf::cluster::job_status::running;
    running.attempts = 1;
    running.version = 3;
    REQUIRE(f.registry->update_job(running));
    CHECK(parse(f.call("GET", "/v1/jobs/" + job, "", k1))["version"].is_null());
    CHECK(parse(f.call("GET", "/v1/tenants/t1/jobs", "", k1))["jobs"][0]["version"].is_null());
    running.status = mf::cluster::job_status::succeeded;
    REQUIRE(f.registry->update_job(running));
    CHECK(parse(f.call("GET", "/v1/jobs/" + job, "", k1))["version"] == 3);
    running.status = mf::cluster::job_status::queued;  // back, for the checks below
    running.version.reset();
    running.attempts = 0;
    REQUIRE(f.registry->update_job(running));
  }
  CHECK(f.call("GET", "/v1/jobs/" + job, "", create_tenant(f, "t3")).status == 403);
  CHECK(f.call("GET", "/v1/jobs/nope").status == 404);
  auto jobs = parse(f.call("GET", "/v1/tenants/t1/jobs?status=queued", "", k1));
  REQUIRE(jobs["jobs"].size() == 1);
  CHECK(f.call("GET", "/v1/tenants/t1/jobs?status=bogus").status == 400);
  CHECK(f.call("DELETE", "/v1/jobs/" + job, "", k1).status == 202);
  CHECK(parse(f.call("GET", "/v1/jobs/" + job))["status"] == "cancelled");
  CHECK(f.call("DELETE", "/v1/jobs/" + job).status == 409);

  // A tenant key cannot create a tenant implicitly; the admin can.
  CHECK(f.call("POST", "/v1/tenants/newbie/models/m/train", good, k1).status == 403);
  CHECK(f.call("POST", "/v1/tenants/newbie/models/m/train", good).status == 202);
  CHECK(f.registry->get_tenant("newbie").has_value());

  const std::string csv = "a,b,label\n0.1,2.3,1\n0.7,0.2,0\n0.3,0.3,1\n0.9,0.1,0\n";
  auto csv_job = f.call(
      "POST", "/v1/tenants/t1/models/churn/train?algorithm=linear_svm&label_column=label&param.c=2",
      csv, admin_token_value, "text/csv");
  CHECK(csv_job.status == 202);
  CHECK(f.call("POST",
               "/v1/tenants/t1/models/churn/train?algorithm=linear_svm&label_column=missing", csv,
               admin_token_value, "text/csv")
            .status == 422);
}

TEST_CASE("models, versions, artifacts: upload, download, activate, rollback, history, delete") {
  router_fixture f;
  const std::string k1 = create_tenant(f, "t1");
  const std::string artifact = make_artifact();
  CHECK(
      f.call("POST", "/v1/tenants/t1/models/m/versions", artifact, k1, "application/json").status ==
      415);
  std::string corrupt = artifact;
  corrupt[corrupt.size() / 2] ^= 0x5a;
  CHECK(f.call("POST", "/v1/tenants/t1/models/m/versions", corrupt, k1, "application/octet-stream")
            .status == 422);
  CHECK(f.call("POST", "/v1/tenants/t1/models/m/versions", artifact.substr(0, 40), k1,
               "application/octet-stream")
            .status == 422);
  CHECK(f.call("GET", "/v1/tenants/t1/models/m").status == 404);  // nothing stored

  auto v1 =
      f.call("POST", "/v1/tenants/t1/models/m/versions", artifact, k1, "application/octet-stream");
  REQUIRE(v1.status == 201);
  CHECK(parse(v1)["version"] == 1);
  auto v2 = f.call("POST", "/v1/tenants/t1/models/m/versions?activate=always", artifact, k1,
                   "application/octet-stream");
  REQUIRE(v2.status == 201);
  CHECK(parse(v2)["version"] == 2);

  auto model = parse(f.call("GET", "/v1/tenants/t1/models/m", "", k1));
  CHECK(model["active_version"] == 2);
  REQUIRE(model["versions"].size() == 2);
  CHECK(model["versions"][0]["source"] == "upload");
  CHECK(model["versions"][0]["n_features"] == 3);
  CHECK(model["versions"][0]["size_bytes"] == artifact.size());
  auto models = parse(f.call("GET", "/v1/tenants/t1/models", "", k1));
  REQUIRE(models["models"].size() == 1);
  CHECK(models["models"][0]["versions"] == 2);

  auto down = f.call("GET", "/v1/tenants/t1/models/m/versions/1/artifact", "", k1, "");
  REQUIRE(down.status == 200);
  CHECK(down.body == artifact);
  CHECK(down.headers["content-type"] == "application/octet-stream");
  CHECK(down.headers["x-artifact-sha256"] == mf::cluster::sha256_hex(artifact));
  CHECK(f.call("GET", "/v1/tenants/t1/models/m/versions/9/artifact").status == 404);
  CHECK(f.call("GET", "/v1/tenants/t1/models/m/versions/x/artifact").status == 400);

  auto act = f.call("POST", "/v1/tenants/t1/models/m/versions/1/activate", "", k1);
  CHECK(act.status == 200);
  CHECK(parse(act)["active_version"] == 1);
  CHECK(f.call("POST", "/v1/tenants/t1/models/m/versions/7/activate").status == 404);
  auto rb = f.call("POST", "/v1/tenants/t1/models/m/rollback", "", k1);
  CHECK(rb.status == 200);
  CHECK(parse(rb)["active_version"] == 2);
  auto hist = parse(f.call("GET", "/v1/tenants/t1/models/m/history", "", k1));
  REQUIRE(hist["events"].size() >= 3);
  CHECK(hist["events"][0]["reason"] == "rollback");
  CHECK(hist["events"][0]["to"] == 2);
  CHECK(hist["events"][1]["reason"] == "activate");

  CHECK(f.call("DELETE", "/v1/tenants/t1/models/m/versions/2").status == 409);
  CHECK(f.call("DELETE", "/v1/tenants/t1/models/m/versions/1").status == 204);
  CHECK(f.call("GET", "/v1/tenants/t1/models/m/versions/1/artifact").status == 404);
  CHECK(f.call("DELETE", "/v1/tenants/t1/models/m/versions/2?force=true").status == 204);
  // A training job of this model and one of another model: deleting the model removes only
  // its own job's dataset blob.
  const std::string body =
      R"({"algorithm":"linear_regression","data":{"features":[[1,2,3],[2,3,4]],"labels":[1,2]}})";
  const std::string mine = parse(f.call("POST", "/v1/tenants/t1/models/m/train", body))["job_id"];
  const std::string other =
      parse(f.call("POST", "/v1/tenants/t1/models/other/train", body))["job_id"];
  const auto datasets = f.blob_dir / "t1" / "_datasets";
  REQUIRE(std::filesystem::exists(datasets / (mine + ".json")));
  REQUIRE(std::filesystem::exists(datasets / (other + ".json")));
  CHECK(f.call("DELETE", "/v1/tenants/t1/models/m").status == 204);
  CHECK_FALSE(std::filesystem::exists(datasets / (mine + ".json")));
  CHECK(std::filesystem::exists(datasets / (other + ".json")));
  CHECK(f.call("GET", "/v1/tenants/t1/models/m").status == 404);
  CHECK(f.call("DELETE", "/v1/tenants/t1/models/m").status == 404);
  // Deleting the tenant removes the rest.
  CHECK(f.call("DELETE", "/v1/tenants/t1").status == 204);
  CHECK_FALSE(std::filesystem::exists(datasets / (other + ".json")));
}

TEST_CASE("size limits: 413 above 64 MiB") {
  router_fixture f;
  std::string big((64u << 20) + 16, ' ');
  auto r = f.call("POST", "/v1/tenants/t1/models/m/predict", big);
  CHECK(r.status == 413);
  CHECK(error_code(r) == "payload_too_large");
}

TEST_CASE("cluster routes: nodes, drain, placement") {
  router_fixture f;
  mf::cluster::node_record n;
  n.node = "w1";
  n.role = "worker";
  n.address = "tcp://127.0.0.1:1";
  n.memory_bytes = 1000;
  n.memory_budget_bytes = 1 << 30;
  REQUIRE(f.registry->heartbeat(n, 5000).has_value());
  auto nodes = parse(f.call("GET", "/v1/cluster/nodes"));
  REQUIRE(nodes["nodes"].size() == 1);
  CHECK(nodes["nodes"][0]["memory_bytes"] == 1000);
  CHECK(nodes["nodes"][0]["memory_budget_bytes"] == 1 << 30);
  CHECK(nodes["nodes"][0]["node"] == "w1");
  CHECK(nodes["nodes"][0]["state"] == "up");
  CHECK(f.call("POST", "/v1/cluster/nodes/w1/drain").status == 202);
  CHECK(parse(f.call("GET", "/v1/cluster/nodes"))["nodes"][0]["state"] == "draining");
  CHECK(f.call("POST", "/v1/cluster/nodes/w1/undrain").status == 202);
  CHECK(parse(f.call("GET", "/v1/cluster/nodes"))["nodes"][0]["state"] == "up");
  CHECK(f.call("POST", "/v1/cluster/nodes/ghost/drain").status == 404);
  mf::cluster::placement p;
  p.epoch = 4;
  p.replicas = 2;
  p.tenants = {{"t1", {"w1", "w2"}}, {"t2", {"w2", "w1"}}};
  REQUIRE(f.registry->put_placement(p).has_value());
  auto pj = parse(f.call("GET", "/v1/cluster/placement"));
  CHECK(pj["epoch"] == 4);
  CHECK(pj["replicas"] == 2);
  CHECK(pj["tenants"]["t1"] == json::array({"w1", "w2"}));
  auto one = parse(f.call("GET", "/v1/cluster/placement?tenant=t2"));
  CHECK(one["tenants"].size() == 1);
  CHECK(f.call("GET", "/v1/cluster/placement?tenant=..").status == 400);
}

TEST_CASE("predict: parsing errors, no replica, forwarding, deadline, retry on a dead replica") {
  router_fixture f;
  const std::string k1 = create_tenant(f, "t1");
  const std::string body = R"({"instances":[[1,2,3],[4,5,6]]})";
  CHECK(f.call("POST", "/v1/tenants/t1/models/m/predict", body, k1, "text/plain").status == 415);
  CHECK(error_code(f.call("POST", "/v1/tenants/t1/models/m/predict", "{oops", k1)) ==
        "malformed_json");
  auto ragged =
      f.call("POST", "/v1/tenants/t1/models/m/predict", R"({"instances":[[1,2],[3]]})", k1);
  CHECK(ragged.status == 422);
  CHECK(parse(ragged)["error"]["message"].get<std::string>().find("instances[1]") !=
        std::string::npos);
  auto none = f.call("POST", "/v1/tenants/t1/models/m/predict", body, k1);
  CHECK(none.status == 503);
  CHECK(error_code(none) == "unavailable");
  CHECK(f.call("POST", "/v1/tenants/t1/models/m/predict", body, k1, "application/json",
               {"X-Request-Deadline-Ms: soon"})
            .status == 400);

  fake_worker w1("w1"), w2("w2");
  f.place({{"t1", {"w1", "w2"}}}, {&w1, &w2});
  http_result ok;
  REQUIRE(wait_until(
      [&] {
        ok = f.call("POST", "/v1/tenants/t1/models/m/predict", body, k1);
        return ok.status == 200;
      },
      std::chrono::seconds(5)));
  auto oj = parse(ok);
  CHECK(oj["model"] == "m");
  CHECK(oj["predictions"] == json::array({6, 15}));

  // Spread: both replicas get work (least-loaded choice with ties by placement order is fine,
  // but the sum must be all requests).
  for (int i = 0; i < 20; ++i)
    CHECK(f.call("POST", "/v1/tenants/t1/models/m/predict", body, k1).status == 200);
  CHECK(w1.served + w2.served >= 21);

  // One replica hangs: every request still succeeds through the retry within its deadline.
  w1.silent = true;
  w2.silent = false;
  for (int i = 0; i < 5; ++i) {
    auto start = std::chrono::steady_clock::now();
    auto r = f.call("POST", "/v1/tenants/t1/models/m/predict", body, k1, "application/json",
                    {"X-Request-Deadline-Ms: 800"});
    auto took = std::chrono::steady_clock::now() - start;
    CHECK(r.status == 200);
    CHECK(took < std::chrono::milliseconds(1500));
  }
  // Both hang: 504 after the deadline.
  w2.silent = true;
  auto start = std::chrono::steady_clock::now();
  auto late = f.call("POST", "/v1/tenants/t1/models/m/predict", body, k1, "application/json",
                     {"X-Request-Deadline-Ms: 300"});
  CHECK(late.status == 504);
  CHECK(error_code(late) == "deadline_exceeded");
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::milliseconds(2000));

  // The dead replica leaves the node list: requests go straight to the live one.
  w2.silent = false;
  f.place({{"t1", {"w1", "w2"}}}, {&w2}, 2);
  CHECK(wait_until(
      [&] { return f.call("POST", "/v1/tenants/t1/models/m/predict", body, k1).status == 200; },
      std::chrono::seconds(5)));
}

TEST_CASE("load shedding: 429 with Retry-After past the in-flight limit") {
  router_fixture f(/*max_inflight=*/2);
  fake_worker w("w1");
  f.place({{"t1", {"w1"}}}, {&w});
  const std::string body = R"({"instances":[[1]]})";
  REQUIRE(wait_until(
      [&] { return f.call("POST", "/v1/tenants/t1/models/m/predict", body).status == 200; },
      std::chrono::seconds(5)));
  w.silent = true;  // requests now pile up in flight
  std::vector<std::thread> holders;
  for (int i = 0; i < 2; ++i) {
    holders.emplace_back([&] {
      (void)f.call("POST", "/v1/tenants/t1/models/m/predict", body, admin_token_value,
                   "application/json", {"X-Request-Deadline-Ms: 1500"});
    });
  }
  const bool full =
      wait_until([&] { return f.forwarder->stats().inflight >= 2; }, std::chrono::seconds(5));
  auto shed = f.call("POST", "/v1/tenants/t1/models/m/predict", body);
  for (auto& t : holders) t.join();
  REQUIRE(full);
  CHECK(shed.status == 429);
  CHECK(error_code(shed) == "overloaded");
  CHECK(shed.headers.count("retry-after") == 1);
}

TEST_CASE("front door: the same Cap'n Proto predict over ZeroMQ") {
  router_fixture f(4096, "tcp://127.0.0.1:*");
  fake_worker w("w1");
  f.place({{"t1", {"w1"}}}, {&w});
  auto client = mf::protocol::predict_client::create();
  REQUIRE(client.has_value());
  REQUIRE(client->connect(f.forwarder->front_endpoint()).has_value());
  mf::protocol::predict_request req;
  req.tenant = "t1";
  req.model = "m";
  req.n_features = 2;
  req.features = {1, 2, 3, 4};
  mf::expected<mf::protocol::predict_reply> reply = mf::make_error(mf::errc::internal, "not yet");
  REQUIRE(wait_until(
      [&] {
        reply = client->predict(req, std::chrono::milliseconds(1000));
        return reply.has_value();
      },
      std::chrono::seconds(5)));
  CHECK(reply->predictions == std::vector<double>{3, 7});
  req.tenant = "nobody";
  auto miss = client->predict(req, std::chrono::milliseconds(1000));
  REQUIRE_FALSE(miss.has_value());
  CHECK(miss.error().code == mf::errc::unavailable);
}

TEST_CASE("front door relay: client ids kept apart, retry with the same frame, worker errors") {
  router_fixture f(4096, "tcp://127.0.0.1:*");
  fake_worker quiet("w1");
  fake_worker w2("w2");
  quiet.silent = true;  // takes the first attempt (same load, listed first) and never answers
  f.place({{"t1", {"w1", "w2"}}}, {&quiet, &w2});
  // The forwarder applies a view on its own thread: wait until it has both workers.
  REQUIRE(
      wait_until([&] { return f.forwarder->stats().workers_up == 2; }, std::chrono::seconds(5)));
  // Two clients: both number their requests from 1, so only the router's relay keeps them apart.
  auto a = mf::protocol::predict_client::create();
  auto b = mf::protocol::predict_client::create();
  REQUIRE(a.has_value());
  REQUIRE(b.has_value());
  REQUIRE(a->connect(f.forwarder->front_endpoint()).has_value());
  REQUIRE(b->connect(f.forwarder->front_endpoint()).has_value());
  mf::protocol::predict_request req;
  req.tenant = "t1";
  req.model = "m";
  req.n_features = 1;
  for (int i = 0; i < 3; ++i) {
    req.features = {static_cast<double>(i)};
    auto ra = a->predict(req, std::chrono::milliseconds(2000));
    req.features = {static_cast<double>(100 + i)};
    auto rb = b->predict(req, std::chrono::milliseconds(2000));
    REQUIRE(ra.has_value());
    REQUIRE(rb.has_value());
    CHECK(ra->predictions == std::vector<double>{static_cast<double>(i)});
    CHECK(rb->predictions == std::vector<double>{static_cast<double>(100 + i)});
  }
  CHECK(w2.served.load() >= 6);
  CHECK(f.forwarder->stats().retried >= 1);  // the silent replica's attempts moved to w2
}

TEST_CASE("a tenant over its requests_per_second quota gets 429") {
  router_fixture f;
  fake_worker w("w1");
  mf::router::cluster_view v;
  v.placement.epoch = 1;
  v.placement.tenants = {{"t1", {"w1"}}, {"t2", {"w1"}}};
  mf::cluster::node_record n;
  n.node = "w1";
  n.role = "worker";
  n.address = w.endpoint();
  v.nodes.push_back(n);
  v.rate_limits = {{"t1", 3}};
  f.forwarder->update(v);
  const std::string body = R"({"instances":[[1]]})";
  REQUIRE(wait_until(
      [&] { return f.call("POST", "/v1/tenants/t2/models/m/predict", body).status == 200; },
      std::chrono::seconds(5)));
  int ok = 0, limited = 0;
  for (int i = 0; i < 10; ++i) {
    auto r = f.call("POST", "/v1/tenants/t1/models/m/predict", body);
    if (r.status == 200) ++ok;
    if (r.status == 429) ++limited;
  }
  CHECK(ok >= 3);
  CHECK(limited >= 1);
  // Another tenant is not affected.
  for (int i = 0; i < 10; ++i)
    CHECK(f.call("POST", "/v1/tenants/t2/models/m/predict", body).status == 200);
}
