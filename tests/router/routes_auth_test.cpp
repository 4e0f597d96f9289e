// Unit tests of route matching, name validation, auth decisions and the error envelope.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "nodes/router/api_types.hpp"
#include "nodes/router/auth.hpp"
#include "nodes/router/routes.hpp"

using namespace mf::router;
using mf::errc;

TEST_CASE("every API.md route matches with its parameters") {
  struct row {
    const char* method;
    const char* path;
    route_id id;
  };
  for (auto [method, path, id] : std::initializer_list<row>{
           {"GET", "/healthz", route_id::healthz},
           {"GET", "/readyz", route_id::readyz},
           {"GET", "/metrics", route_id::metrics},
           {"GET", "/admin/", route_id::admin_ui},
           {"GET", "/v1/tenants", route_id::tenants_list},
           {"PUT", "/v1/tenants/t1", route_id::tenant_create},
           {"PATCH", "/v1/tenants/t1", route_id::tenant_patch},
           {"DELETE", "/v1/tenants/t1", route_id::tenant_delete},
           {"POST", "/v1/tenants/t1/keys", route_id::key_create},
           {"DELETE", "/v1/tenants/t1/keys/k1", route_id::key_delete},
           {"POST", "/v1/tenants/t1/models/m/train", route_id::train},
           {"GET", "/v1/jobs/j1", route_id::job_get},
           {"DELETE", "/v1/jobs/j1", route_id::job_cancel},
           {"GET", "/v1/tenants/t1/jobs", route_id::tenant_jobs},
           {"POST", "/v1/tenants/t1/models/m/predict", route_id::predict},
           {"GET", "/v1/tenants/t1/models", route_id::models_list},
           {"GET", "/v1/tenants/t1/models/m", route_id::model_get},
           {"DELETE", "/v1/tenants/t1/models/m", route_id::model_delete},
           {"POST", "/v1/tenants/t1/models/m/versions/3/activate", route_id::version_activate},
           {"POST", "/v1/tenants/t1/models/m/rollback", route_id::model_rollback},
           {"GET", "/v1/tenants/t1/models/m/history", route_id::model_history},
           {"DELETE", "/v1/tenants/t1/models/m/versions/3", route_id::version_delete},
           {"GET", "/v1/tenants/t1/models/m/versions/3/artifact", route_id::artifact_get},
           {"POST", "/v1/tenants/t1/models/m/versions", route_id::version_upload},
           {"GET", "/v1/cluster/nodes", route_id::nodes_list},
           {"POST", "/v1/cluster/nodes/w1/drain", route_id::node_drain},
           {"POST", "/v1/cluster/nodes/w1/undrain", route_id::node_undrain},
           {"GET", "/v1/cluster/placement", route_id::placement_get},
       }) {
    CAPTURE(path);
    auto m = match_route(method, path);
    REQUIRE(m.has_value());
    CHECK(m->id == id);
  }
  auto m = match_route("POST", "/v1/tenants/acme/models/churn/versions/12/activate");
  REQUIRE(m.has_value());
  CHECK(m->tenant == "acme");
  CHECK(m->model == "churn");
  CHECK(m->version_text == "12");
}

TEST_CASE("unknown paths and wrong methods are 404") {
  CHECK(match_route("GET", "/nope").error().code == errc::not_found);
  CHECK(match_route("GET", "/v1/tenants/t/models/m/frobnicate").error().code == errc::not_found);
  CHECK(match_route("POST", "/v1/tenants").error().code == errc::not_found);
  CHECK(match_route("GET", "/v1/tenants/t/models/m/predict").error().code == errc::not_found);
}

TEST_CASE("names are validated before anything else: 400 invalid_name") {
  for (const char* path : {"/v1/tenants/..", "/v1/tenants/.", "/v1/tenants/-x", "/v1/tenants/a%2Fb",
                           "/v1/tenants/%2E%2E"}) {
    CAPTURE(path);
    auto m = match_route("PUT", path);
    REQUIRE(m.has_value());
    auto v = validate_names(*m);
    REQUIRE_FALSE(v.has_value());
    CHECK(v.error().code == errc::invalid_name);
  }
  std::string long_name(65, 'a');
  auto m = match_route("GET", "/v1/tenants/t1/models/" + long_name);
  REQUIRE(m.has_value());
  CHECK(validate_names(*m).error().code == errc::invalid_name);
  auto ok = match_route("GET", "/v1/tenants/t1/models/" + std::string(64, 'a'));
  CHECK(validate_names(*ok).has_value());
  auto bad_version = match_route("DELETE", "/v1/tenants/t1/models/m/versions/abc");
  CHECK(validate_names(*bad_version).error().code == errc::invalid_field);
}

TEST_CASE("authorization matrix: admin, own tenant, other tenant") {
  principal admin{true, ""}, t1{false, "t1"};
  auto own = *match_route("POST", "/v1/tenants/t1/models/m/predict");
  auto other = *match_route("POST", "/v1/tenants/t2/models/m/predict");
  auto admin_only = *match_route("GET", "/v1/cluster/nodes");
  auto tenants = *match_route("PUT", "/v1/tenants/t1");
  CHECK(authorize(admin, own).has_value());
  CHECK(authorize(admin, admin_only).has_value());
  CHECK(authorize(t1, own).has_value());
  CHECK(authorize(t1, other).error().code == errc::forbidden);
  CHECK(authorize(t1, admin_only).error().code == errc::forbidden);
  CHECK(authorize(t1, tenants).error().code == errc::forbidden);
}

TEST_CASE("bearer tokens and the constant-time admin check") {
  CHECK(bearer_token("Bearer abc").value() == "abc");
  CHECK(bearer_token("bearer   abc  ").value() == "abc");
  CHECK_FALSE(bearer_token("Basic abc").has_value());
  CHECK_FALSE(bearer_token("Bearer ").has_value());
  CHECK_FALSE(bearer_token("").has_value());
  admin_token token("s3cret");
  CHECK(token.matches("s3cret"));
  CHECK_FALSE(token.matches("s3cre"));
  CHECK_FALSE(token.matches("s3cret2"));
  CHECK_FALSE(admin_token{}.matches(""));
  using mf::cluster::sha256;
  using mf::cluster::sha256_hex;
  CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  // The request path hashes a token once and checks the admin digest with it; the hex of that
  // digest is the stored tenant-key hash.
  CHECK(token.matches(sha256("s3cret")));
  CHECK_FALSE(token.matches(sha256("s3creT")));
  CHECK_FALSE(admin_token{}.matches(sha256("")));
  CHECK(mf::cluster::to_hex(sha256("abc")) == mf::cluster::hash_api_key("abc"));
  CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST_CASE("the error envelope is exactly {error:{code,message}}") {
  auto r = error_response(mf::make_error(errc::overloaded, "too \"busy\""));
  CHECK(r.status == 429);
  auto j = nlohmann::json::parse(r.body);
  CHECK(j.size() == 1);
  CHECK(j["error"].size() == 2);
  CHECK(j["error"]["code"] == "overloaded");
  CHECK(j["error"]["message"] == "too \"busy\"");
  REQUIRE(r.headers.size() == 1);
  CHECK(r.headers[0].first == "Retry-After");
  CHECK(media_type("Application/JSON; charset=utf-8") == "application/json");
}

TEST_CASE("upload bodies may be 256 MiB, others 64 MiB") {
  CHECK(body_limit(route_id::version_upload) == 256u << 20);
  CHECK(body_limit(route_id::predict) == 64u << 20);
}
