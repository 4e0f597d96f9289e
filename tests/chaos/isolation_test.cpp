// Tenant isolation over HTTP against a real router: for every API.md route, tenant A's key can
// never read, predict, download, train or delete anything of tenant B, nor reach admin
// routes; no token / unknown token is 401. Nothing changes; A's own routes still work.
#include <doctest/doctest.h>

#include <set>

#include "tests/chaos/chaos_cluster.hpp"
#include "tests/chaos/load_client.hpp"
#include "tests/support/wait_until.hpp"

using namespace mf::chaos;
using namespace std::chrono_literals;

namespace {

struct route {
  std::string method, path, content_type, body;
};

std::string snapshot(chaos_cluster& c) {
  std::string out;
  for (const char* p :
       {"/v1/tenants", "/v1/tenants/b/models", "/v1/tenants/b/models/m",
        "/v1/tenants/b/models/m/history", "/v1/tenants/b/jobs", "/v1/cluster/placement"}) {
    const auto r = http_request("GET", c.base() + p, "", c.admin_headers());
    out += std::string(p) + " " + std::to_string(r.status) + " " + r.body + "\n";
  }
  return out;
}

}  // namespace

TEST_CASE("tenant isolation matrix over every route") {
  cluster_options opt;
  opt.name = "iso";
  opt.workers = 1;
  opt.replicas = 1;
  chaos_cluster c(opt);
  const std::string key_a = c.create_tenant("a");
  const std::string key_b = c.create_tenant("b");
  const std::string artifact = small_artifact();
  c.upload_model("a", "m", artifact);
  c.upload_model("b", "m", artifact);
  c.upload_model("b", "m", artifact);  // b has versions 1 and 2, 2 active
  REQUIRE(c.wait_predict_ok("b", "m", 15s));
  const std::string train =
      R"({"algorithm":"linear_regression","data":{"features":[[1,2],[2,1],[3,3]],"labels":[4,5,9]},"activate":"never"})";
  const auto job =
      http_request("POST", c.base() + "/v1/tenants/b/models/m/train", train, c.admin_headers());
  REQUIRE(job.status == 202);
  const std::string b_job = nlohmann::json::parse(job.body).at("job_id").get<std::string>();
  const std::string b_key_id = "k";  // a key id that may or may not exist: 403 must come first
  const std::string before = snapshot(c);

  const std::string json = "application/json", octet = "application/octet-stream";
  // Tenant B's routes (API.md, section by section).
  const std::vector<route> b_routes = {
      {"DELETE", "/v1/tenants/b", json, ""},
      {"PATCH", "/v1/tenants/b", json, R"({"quota":{"models":1}})"},
      {"PUT", "/v1/tenants/b", json, ""},
      {"POST", "/v1/tenants/b/keys", json, ""},
      {"DELETE", "/v1/tenants/b/keys/" + b_key_id, json, ""},
      {"POST", "/v1/tenants/b/models/m/train", json, train},
      {"POST", "/v1/tenants/b/models/m/train?algorithm=linear_regression&label_column=y",
       "text/csv", "a,y\n1,2\n2,4\n3,6\n"},
      {"GET", "/v1/tenants/b/jobs", json, ""},
      {"GET", "/v1/tenants/b/jobs?status=running", json, ""},
      {"POST", "/v1/tenants/b/models/m/predict", json, R"({"instances":[[1,1]]})"},
      {"GET", "/v1/tenants/b/models", json, ""},
      {"GET", "/v1/tenants/b/models/m", json, ""},
      {"POST", "/v1/tenants/b/models/m/versions/1/activate", json, ""},
      {"POST", "/v1/tenants/b/models/m/rollback", json, ""},
      {"GET", "/v1/tenants/b/models/m/history", json, ""},
      {"DELETE", "/v1/tenants/b/models/m/versions/1", json, ""},
      {"DELETE", "/v1/tenants/b/models/m/versions/2?force=true", json, ""},
      {"DELETE", "/v1/tenants/b/models/m", json, ""},
      {"GET", "/v1/tenants/b/models/m/versions/1/artifact", json, ""},
      {"POST", "/v1/tenants/b/models/m/versions?activate=always", octet, artifact},
  };
  // Admin-only routes (a tenant key is 403 even for its own tenant's admin actions).
  const std::vector<route> admin_routes = {
      {"GET", "/v1/tenants", json, ""},
      {"PUT", "/v1/tenants/c", json, ""},
      {"PUT", "/v1/tenants/a", json, ""},
      {"DELETE", "/v1/tenants/a", json, ""},
      {"GET", "/v1/cluster/nodes", json, ""},
      {"POST", "/v1/cluster/nodes/w1/drain", json, ""},
      {"POST", "/v1/cluster/nodes/w1/undrain", json, ""},
      {"GET", "/v1/cluster/placement", json, ""},
      {"GET", "/v1/cluster/placement?tenant=b", json, ""},
  };

  auto call = [&](const route& r, const std::string& token) {
    std::vector<std::string> h = {"Content-Type: " + r.content_type};
    if (!token.empty()) h.push_back("Authorization: Bearer " + token);
    return http_request(r.method, c.base() + r.path, r.body, h);
  };
  std::size_t checked = 0;
  std::string wrong;
  auto expect = [&](const route& r, const std::string& who, const std::string& token,
                    std::set<long> statuses) {
    const auto res = call(r, token);
    ++checked;
    if (!statuses.count(res.status))
      wrong += who + " " + r.method + " " + r.path + " -> " + std::to_string(res.status) + " " +
               res.body.substr(0, 120) + "\n";
  };
  for (const auto& r : b_routes) {
    expect(r, "key A", key_a, {403});
    expect(r, "no token", "", {401});
    expect(r, "bad token", "not-a-key", {401});
    expect(r, "B's key with a flipped char",
           key_b.substr(0, key_b.size() - 1) + (key_b.back() == 'a' ? "b" : "a"), {401});
  }
  for (const auto& r : admin_routes) {
    expect(r, "key A", key_a, {403});
    expect(r, "no token", "", {401});
  }
  // Jobs: B's job is invisible to A (403, or 404 that does not confirm it exists).
  expect({"GET", "/v1/jobs/" + b_job, json, ""}, "key A", key_a, {403, 404});
  expect({"DELETE", "/v1/jobs/" + b_job, json, ""}, "key A", key_a, {403, 404});
  expect({"GET", "/v1/jobs/" + b_job, json, ""}, "no token", "", {401});

  CHECK_MESSAGE(wrong.empty(), wrong);
  CHECK(snapshot(c) == before);
  // Positive controls: A's key works on A's own routes, B's on B's.
  CHECK(call({"POST", "/v1/tenants/a/models/m/predict", json, R"({"instances":[[1,1]]})"}, key_a)
            .status == 200);
  CHECK(call({"GET", "/v1/tenants/a/models", json, ""}, key_a).status == 200);
  CHECK(call({"GET", "/v1/tenants/b/models/m/versions/1/artifact", json, ""}, key_b).body ==
        artifact);
  CHECK(call({"GET", "/v1/jobs/" + b_job, json, ""}, key_b).status == 200);
  MESSAGE("isolation: " << checked << " forbidden requests checked");
  write_figures("isolation_matrix", {{"requests", checked}, {"wrong", wrong}});
}
