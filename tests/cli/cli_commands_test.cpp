// The client commands against a fake router: the HTTP requests each command sends, what it
// prints for humans and with --json, and its exit codes (0 ok, 1 API error, 2 usage).
#include <doctest/doctest.h>
#include <openssl/evp.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "nodes/cli/cli_commands.hpp"
#include "tests/cli/fake_router.hpp"
#include "tests/support/free_port.hpp"

namespace {

using mf::test::fake_request;
using mf::test::fake_response;
using mf::test::fake_router;
using json = nlohmann::json;

struct run_result {
  int code;
  std::string out;
  std::string err;
};

run_result run(std::vector<std::string> args, bool tty = false) {
  std::ostringstream out, err;
  args.insert(args.begin(), "modelfleet");
  const int code = mf::cli::run_cli(args, mf::cli::cli_io{&out, &err, tty});
  return {code, out.str(), err.str()};
}

// Common flags for a fake router.
std::vector<std::string> with(const fake_router& router, std::vector<std::string> args) {
  args.insert(args.end(), {"--url", router.url(), "--token", "admin-secret"});
  return args;
}

fake_response ok_json(const json& body, int status = 200) {
  return {status, body.dump()};
}

fake_response error_json(int status, const std::string& code, const std::string& message) {
  return {status, json{{"error", {{"code", code}, {"message", message}}}}.dump()};
}

std::string temp_file(const std::string& name, const std::string& content) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("mf_cli_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto path = (dir / name).string();
  std::ofstream(path, std::ios::binary) << content;
  return path;
}

std::string sha256_hex(const std::string& data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(data.data(), data.size(), digest, &size, EVP_sha256(), nullptr);
  std::string out;
  static constexpr char hex[] = "0123456789abcdef";
  for (unsigned i = 0; i < size; ++i) {
    out += hex[digest[i] >> 4];
    out += hex[digest[i] & 0xF];
  }
  return out;
}

}  // namespace

TEST_CASE("tenants create sends PUT with the bearer token and prints the key once") {
  fake_router router([](const fake_request& r) {
    if (r.method == "PUT" && r.path() == "/v1/tenants/acme") {
      return ok_json({{"tenant", "acme"}, {"api_key", "key-123"}}, 201);
    }
    return error_json(404, "not_found", "no route");
  });
  auto r = run(with(router, {"tenants", "create", "acme"}));
  CHECK(r.code == 0);
  CHECK(r.out.find("tenant acme created") != std::string::npos);
  CHECK(r.out.find("api_key: key-123") != std::string::npos);
  const auto requests = router.requests();
  REQUIRE(requests.size() == 1);
  CHECK(requests[0].headers.at("authorization") == "Bearer admin-secret");
  CHECK(requests[0].body.empty());

  auto q = run(with(router, {"tenants", "create", "acme", "--quota-models", "5", "--json"}));
  CHECK(q.code == 0);
  CHECK(json::parse(q.out)["api_key"] == "key-123");
  const auto body = json::parse(router.requests().back().body);
  CHECK(body["quota"]["models"] == 5);
  CHECK(router.requests().back().headers.at("content-type") == "application/json");
}

TEST_CASE("an API error prints the envelope's code and message and exits 1") {
  fake_router router(
      [](const fake_request&) { return error_json(409, "conflict", "tenant acme exists"); });
  auto r = run(with(router, {"tenants", "create", "acme"}));
  CHECK(r.code == 1);
  CHECK(r.out.empty());
  CHECK(r.err == "error: conflict: tenant acme exists\n");
}

TEST_CASE("a non-JSON error body still gives exit 1 and the status") {
  fake_router router([](const fake_request&) {
    return fake_response{502, "bad gateway", "text/plain"};
  });
  auto r = run(with(router, {"tenants", "list"}));
  CHECK(r.code == 1);
  CHECK(r.err.find("HTTP 502") != std::string::npos);
}

TEST_CASE("an unreachable router exits 1 with unavailable") {
  const auto port = mf::test::free_tcp_port();
  auto r = run({"tenants", "list", "--url", "http://127.0.0.1:" + std::to_string(port)});
  CHECK(r.code == 1);
  CHECK(r.err.find("error: unavailable:") == 0);
}

TEST_CASE("usage errors exit 2 and send nothing") {
  fake_router router([](const fake_request&) { return ok_json(json::object()); });
  CHECK(run({}).code == 2);
  CHECK(run({"tenants"}).code == 2);
  CHECK(run({"tenants", "frobnicate"}).code == 2);
  CHECK(run(with(router, {"models", "show", "--tenant", "t"})).code == 2);  // --model missing
  CHECK(run(with(router, {"predict", "--tenant", "t", "--model", "m"})).code == 2);
  CHECK(run(with(router,
                 {"train", "-t", "t", "-m", "m", "-a", "auto", "--csv", "/nonexistent/file.csv"}))
            .code == 2);
  CHECK(run(with(router, {"tenants", "list", "--output", "yaml"})).code == 2);
  const auto csv = temp_file("label.csv", "a,b,y\n1,2,0\n");
  auto r = run(with(router, {"train", "-t", "t", "-m", "m", "-a", "logistic_regression", "--csv",
                             csv, "--label", "missing"}));
  CHECK(r.code == 2);
  CHECK(r.err.find("column 'missing'") != std::string::npos);
  CHECK(router.requests().empty());
  CHECK(run({"tenants", "list", "--help"}).code == 0);
}

TEST_CASE("tenants list prints an aligned table; --json prints the API's JSON") {
  fake_router router([](const fake_request& r) {
    if (r.path() == "/v1/tenants") {
      return ok_json(
          {{"tenants",
            {{{"tenant", "acme"}, {"models", 3}, {"created_at", "2024-01-01T00:00:00Z"}},
             {{"tenant", "b"}, {"models", 0}, {"created_at", "2024-01-02T00:00:00Z"}}}}});
    }
    return error_json(404, "not_found", "x");
  });
  auto r = run(with(router, {"tenants", "list"}));
  CHECK(r.code == 0);
  CHECK(r.out ==
        "TENANT  MODELS  CREATED\n"
        "acme    3       2024-01-01T00:00:00Z\n"
        "b       0       2024-01-02T00:00:00Z\n");
  auto j = run(with(router, {"tenants", "list", "--json"}));
  CHECK(json::parse(j.out)["tenants"].size() == 2);

  auto d = run(with(router, {"tenants", "delete", "acme"}));
  CHECK(d.code == 1);  // the fake answers 404 for DELETE
  CHECK(d.err.find("not_found") != std::string::npos);
}

TEST_CASE("train uploads the CSV with its query and --no-wait prints the job id") {
  fake_router router([](const fake_request& r) {
    if (r.method == "POST" && r.path() == "/v1/tenants/acme/models/churn/train") {
      return ok_json({{"job_id", "job-42"}, {"status", "queued"}}, 202);
    }
    return error_json(404, "not_found", "x");
  });
  const std::string data = "x1,x2,label\n0.1,2,1\n0.3,1,0\n";
  const auto csv = temp_file("train.csv", data);
  auto r = run(with(router, {"train", "--tenant", "acme", "--model", "churn", "--algorithm",
                             "logistic_regression", "--csv", csv, "--label", "label", "--param",
                             "c=1.5", "--activate", "always", "--no-wait"}));
  CHECK(r.code == 0);
  CHECK(r.out == "job-42\n");
  const auto req = router.requests().at(0);
  CHECK(req.headers.at("content-type") == "text/csv");
  CHECK(req.body == data);
  CHECK(req.query() ==
        "algorithm=logistic_regression&label_column=label&param.c=1.5&activate=always");

  auto bad = run(with(router, {"train", "-t", "acme", "-m", "churn", "-a", "auto", "--csv", csv,
                               "--param", "novalue", "--no-wait"}));
  CHECK(bad.code == 2);
}

namespace {

// A job that is queued, then running at 50%, then finishes as `final_status`.
struct job_script {
  std::atomic<int> polls{0};
  std::string final_status = "succeeded";
  fake_response handle(const fake_request& r) {
    if (r.method == "POST") return ok_json({{"job_id", "j1"}, {"status", "queued"}}, 202);
    if (r.path() == "/v1/jobs/j1") {
      const int n = polls++;
      json job{{"job_id", "j1"}, {"tenant", "acme"}, {"model", "churn"}, {"error", nullptr}};
      if (n == 0) {
        job["status"] = "queued";
        job["progress"] = 0.0;
      } else if (n == 1) {
        job["status"] = "running";
        job["progress"] = 0.5;
      } else {
        job["status"] = final_status;
        job["progress"] = 1.0;
        if (final_status == "succeeded") {
          job["version"] = 3;
          job["activated"] = true;
          job["metrics"] = {{"accuracy", 0.93}, {"auc", 0.97}, {"primary", "accuracy"}};
        } else {
          job["error"] = {{"code", "invalid_input"}, {"message", "labels must be 0/1"}};
        }
      }
      return ok_json(job);
    }
    return error_json(404, "not_found", "x");
  }
};

}  // namespace

TEST_CASE("train waits for the job: plain lines off a terminal, a bar on one, JSON with --json") {
  const auto csv = temp_file("t.csv", "a,y\n1,0\n2,1\n");
  const std::vector<std::string> args = {
      "train", "-t", "acme",    "-m", "churn",           "-a",  "logistic_regression",
      "--csv", csv,  "--label", "y",  "--poll-interval", "0.01"};
  {
    job_script script;
    fake_router router([&](const fake_request& r) { return script.handle(r); });
    auto r = run(with(router, args));
    CHECK(r.code == 0);
    CHECK(r.out ==
          "job j1 queued\n"
          "job j1 running 50%\n"
          "job j1 succeeded: acme/churn version 3 (active)  accuracy=0.93 auc=0.97\n");
  }
  {
    job_script script;
    fake_router router([&](const fake_request& r) { return script.handle(r); });
    auto r = run(with(router, args), /*tty=*/true);
    CHECK(r.code == 0);
    CHECK(r.out.find("[###############---------------]  50%  running") != std::string::npos);
    CHECK(r.out.find("[##############################] 100%  succeeded") != std::string::npos);
  }
  {
    job_script script;
    fake_router router([&](const fake_request& r) { return script.handle(r); });
    auto with_json = with(router, args);
    with_json.push_back("--json");
    auto r = run(with_json);
    CHECK(r.code == 0);
    const auto job = json::parse(r.out);
    CHECK(job["status"] == "succeeded");
    CHECK(job["version"] == 3);
  }
  {
    job_script script;
    fake_router router([&](const fake_request& r) { return script.handle(r); });
    auto r = run(with(router, {"jobs", "wait", "j1", "--poll-interval", "0.01"}));
    CHECK(r.code == 0);
    CHECK(r.out.find("job j1 succeeded") != std::string::npos);
    CHECK(router.requests().size() == 3);  // queued, running, succeeded: no POST
  }
  {
    job_script script;
    script.final_status = "failed";
    fake_router router([&](const fake_request& r) { return script.handle(r); });
    auto r = run(with(router, args));
    CHECK(r.code == 1);
    CHECK(r.err == "error: job j1 failed: labels must be 0/1\n");
  }
}

TEST_CASE("jobs show, list and cancel") {
  fake_router router([](const fake_request& r) {
    if (r.method == "GET" && r.path() == "/v1/jobs/j9") {
      return ok_json({{"job_id", "j9"}, {"status", "running"}, {"progress", 0.42}, {"node", "w1"}});
    }
    if (r.method == "GET" && r.path() == "/v1/tenants/acme/jobs") {
      return ok_json({{"jobs", {{{"job_id", "j9"}, {"model", "m"}, {"status", "running"}}}}});
    }
    if (r.method == "DELETE" && r.path() == "/v1/jobs/j9") return fake_response{202, ""};
    if (r.method == "DELETE") return error_json(409, "conflict", "job finished");
    return error_json(404, "not_found", "x");
  });
  auto s = run(with(router, {"jobs", "show", "j9"}));
  CHECK(s.code == 0);
  CHECK(s.out.find("status: running\nprogress: 42%\n") != std::string::npos);
  CHECK(s.out.find("node: w1\n") != std::string::npos);

  auto l = run(with(router, {"jobs", "list", "--tenant", "acme", "--status", "running"}));
  CHECK(l.code == 0);
  CHECK(router.requests().back().query() == "status=running");
  CHECK(l.out.find("j9") != std::string::npos);

  CHECK(run(with(router, {"jobs", "cancel", "j9"})).out == "job j9: cancel requested\n");
  auto c = run(with(router, {"jobs", "cancel", "j8"}));
  CHECK(c.code == 1);
  CHECK(c.err == "error: conflict: job finished\n");
}

TEST_CASE("predict sends instances from CSV or JSON and prints a row per instance") {
  fake_router router([](const fake_request& r) {
    if (r.method == "POST" && r.path() == "/v1/tenants/acme/models/churn/predict") {
      const auto body = json::parse(r.body);
      json reply{{"model", "churn"}, {"version", 3}};
      json preds = json::array(), probs = json::array();
      for (std::size_t i = 0; i < body["instances"].size(); ++i) {
        preds.push_back(i % 2);
        probs.push_back(i % 2 ? 0.9 : 0.1);
      }
      reply["predictions"] = preds;
      reply["probabilities"] = probs;
      return ok_json(reply);
    }
    return error_json(404, "not_found", "x");
  });
  const auto csv = temp_file("rows.csv", "x1,x2,label\n1,2,0\n3.5,4,1\n\n");
  auto r = run(with(router, {"predict", "-t", "acme", "-m", "churn", "--csv", csv, "--drop-column",
                             "label", "--deadline-ms", "250"}));
  CHECK(r.code == 0);
  auto req = router.requests().back();
  CHECK(json::parse(req.body) == json{{"instances", {{1.0, 2.0}, {3.5, 4.0}}}});
  CHECK(req.headers.at("x-request-deadline-ms") == "250");
  CHECK(r.out ==
        "model acme/churn version 3\n"
        "ROW  PREDICTION  PROBABILITY\n"
        "1    0           0.1\n"
        "2    1           0.9\n");

  auto j = run(with(router, {"predict", "-t", "acme", "-m", "churn", "--json", "[0.5, 1]",
                             "--version", "2", "--output", "json"}));
  CHECK(j.code == 0);
  CHECK(json::parse(router.requests().back().body) ==
        json{{"instances", {{0.5, 1}}}, {"version", 2}});
  CHECK(json::parse(j.out)["predictions"] == json{0});

  auto bad = run(with(router, {"predict", "-t", "acme", "-m", "churn", "--json", "{oops"}));
  CHECK(bad.code == 2);
  const auto ragged = temp_file("ragged.csv", "1,2\n3\n");
  auto rr = run(with(router, {"predict", "-t", "acme", "-m", "churn", "--csv", ragged}));
  CHECK(rr.code == 2);
  CHECK(rr.err.find("line 2") != std::string::npos);
}

TEST_CASE("models list, show, activate, delete, history and rollback") {
  fake_router router([](const fake_request& r) {
    const std::string base = "/v1/tenants/acme/models";
    if (r.method == "GET" && r.path() == base) {
      return ok_json({{"models",
                       {{{"model", "churn"},
                         {"active_version", 2},
                         {"versions", 2},
                         {"algorithm", "logistic_regression"},
                         {"updated_at", "t"}}}}});
    }
    if (r.method == "GET" && r.path() == base + "/churn") {
      return ok_json({{"model", "churn"},
                      {"active_version", 2},
                      {"versions",
                       {{{"version", 1},
                         {"algorithm", "lr"},
                         {"n_features", 4},
                         {"metrics", {{"accuracy", 0.8}}},
                         {"size_bytes", 2048},
                         {"source", "train"}},
                        {{"version", 2},
                         {"algorithm", "lr"},
                         {"n_features", 4},
                         {"metrics", {{"accuracy", 0.9}}},
                         {"size_bytes", 2048},
                         {"source", "upload"}}}}});
    }
    if (r.method == "POST" && r.path() == base + "/churn/versions/1/activate") return ok_json({});
    if (r.method == "POST" && r.path() == base + "/churn/rollback") {
      return ok_json({{"active_version", 1}});
    }
    if (r.method == "GET" && r.path() == base + "/churn/history") {
      return ok_json(
          {{"events",
            {{{"at", "t"}, {"from", 1}, {"to", 2}, {"reason", "activate"}, {"by", "admin"}}}}});
    }
    if (r.method == "DELETE" && r.path() == base + "/churn/versions/2") {
      return r.query() == "force=true" ? fake_response{204, ""}
                                       : error_json(409, "conflict", "version 2 is active");
    }
    return error_json(404, "not_found", "x");
  });
  auto l = run(with(router, {"models", "list", "-t", "acme"}));
  CHECK(l.code == 0);
  CHECK(l.out.find("churn  2       2         logistic_regression") != std::string::npos);

  auto s = run(with(router, {"models", "show", "-t", "acme", "-m", "churn"}));
  CHECK(s.code == 0);
  CHECK(s.out.find("model acme/churn  active version 2\n") == 0);
  CHECK(s.out.find("2        *       lr         4         accuracy=0.9  2.0 KiB  upload") !=
        std::string::npos);

  auto a = run(with(router, {"models", "activate", "-t", "acme", "-m", "churn", "--version", "1"}));
  CHECK(a.code == 0);
  CHECK(a.out == "model acme/churn: version 1 is active\n");
  CHECK(run(with(router, {"models", "rollback", "-t", "acme", "-m", "churn"})).out ==
        "model acme/churn: version 1 is active\n");
  CHECK(
      run(with(router, {"models", "history", "-t", "acme", "-m", "churn"})).out.find("activate") !=
      std::string::npos);

  auto d = run(with(router, {"models", "delete", "-t", "acme", "-m", "churn", "-v", "2"}));
  CHECK(d.code == 1);
  CHECK(d.err == "error: conflict: version 2 is active\n");
  auto f =
      run(with(router, {"models", "delete", "-t", "acme", "-m", "churn", "-v", "2", "--force"}));
  CHECK(f.code == 0);
  CHECK(f.out == "model acme/churn: version 2 deleted\n");
}

TEST_CASE("models upload posts the bytes; download checks the sha256 and writes the file") {
  const std::string artifact("MFM\0binary\xff payload", 19);
  std::string served = artifact;
  std::string advertised_sha = sha256_hex(artifact);
  fake_router router([&](const fake_request& r) {
    const std::string base = "/v1/tenants/acme/models/churn";
    if (r.method == "POST" && r.path() == base + "/versions") {
      return ok_json({{"version", 7}}, 201);
    }
    if (r.method == "GET" && r.path() == base)
      return ok_json({{"model", "churn"}, {"active_version", 7}});
    if (r.method == "GET" && r.path() == base + "/versions/7/artifact") {
      fake_response resp{200, served, "application/octet-stream"};
      resp.headers["X-Artifact-Sha256"] = advertised_sha;
      return resp;
    }
    return error_json(404, "not_found", "x");
  });
  const auto file = temp_file("model.mfm", artifact);
  auto u = run(with(router, {"models", "upload", "-t", "acme", "-m", "churn", "--file", file,
                             "--activate", "always"}));
  CHECK(u.code == 0);
  CHECK(u.out == "uploaded acme/churn version 7 (active)\n");
  const auto up = router.requests().back();
  CHECK(up.body == artifact);
  CHECK(up.headers.at("content-type") == "application/octet-stream");
  CHECK(up.query() == "activate=always");

  const auto out_path = temp_file("downloaded.mfm", "");
  auto d =
      run(with(router, {"models", "download", "-t", "acme", "-m", "churn", "--out", out_path}));
  CHECK(d.code == 0);
  std::ifstream in(out_path, std::ios::binary);
  const std::string got((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(got == artifact);
  CHECK(d.out.find("version 7") != std::string::npos);

  served[3] = 'X';  // corrupted in transit
  auto bad = run(with(
      router, {"models", "download", "-t", "acme", "-m", "churn", "-v", "7", "--out", out_path}));
  CHECK(bad.code == 1);
  CHECK(bad.err.find("does not match") != std::string::npos);
}

TEST_CASE("nodes list, drain, undrain and placement") {
  fake_router router([](const fake_request& r) {
    if (r.path() == "/v1/cluster/nodes") {
      return ok_json({{"nodes",
                       {{{"node", "worker-1"},
                         {"role", "worker"},
                         {"state", "up"},
                         {"address", "tcp://127.0.0.1:5000"},
                         {"tenants", 2},
                         {"models_loaded", 3},
                         {"memory_bytes", 1048576},
                         {"inflight", 0},
                         {"last_heartbeat", "t"}},
                        {{"node", "router-1"}, {"role", "router"}, {"state", "up"}}}}});
    }
    if (r.method == "POST" && r.path() == "/v1/cluster/nodes/worker-1/drain") {
      return fake_response{202, ""};
    }
    if (r.method == "POST" && r.path() == "/v1/cluster/nodes/worker-1/undrain") {
      return fake_response{202, ""};
    }
    if (r.path() == "/v1/cluster/placement") {
      return ok_json(
          {{"epoch", 17}, {"replicas", 2}, {"tenants", {{"acme", {"worker-1", "worker-2"}}}}});
    }
    return error_json(404, "not_found", "no node");
  });
  auto l = run(with(router, {"nodes", "list"}));
  CHECK(l.code == 0);
  CHECK(l.out.find("worker-1  worker  up     tcp://127.0.0.1:5000  2        3       1.0 MiB") !=
        std::string::npos);
  CHECK(l.out.find("router-1  router  up     -") != std::string::npos);
  CHECK(run(with(router, {"nodes", "drain", "worker-1"})).out == "node worker-1: draining\n");
  CHECK(run(with(router, {"nodes", "undrain", "worker-1"})).out == "node worker-1: undrained\n");
  CHECK(run(with(router, {"nodes", "drain", "worker-9"})).code == 1);
  // worker-1 reports state "up" with 2 tenants, so a bounded --wait gives up with exit 1.
  auto w = run(
      with(router, {"nodes", "drain", "worker-1", "--wait", "0.05", "--poll-interval", "0.01"}));
  CHECK(w.code == 1);
  CHECK(w.err ==
        "error: deadline_exceeded: node worker-1 is still up with 2 tenants after 0.05 s\n");

  auto p = run(with(router, {"placement", "--tenant", "acme"}));
  CHECK(p.code == 0);
  CHECK(router.requests().back().query() == "tenant=acme");
  CHECK(p.out == "epoch 17  replicas 2\nTENANT  NODES\nacme    worker-1,worker-2\n");
}

TEST_CASE("nodes drain --wait returns once the node reports draining with no tenants") {
  std::atomic<int> polls{0};
  fake_router router([&](const fake_request& r) {
    if (r.method == "POST") return fake_response{202, R"({"node":"w1","draining":true})"};
    const int n = polls++;
    json node{{"node", "w1"},
              {"role", "worker"},
              {"state", n < 2 ? "up" : "draining"},
              {"tenants", n < 3 ? 4 : 0}};
    return ok_json({{"nodes", {node}}});
  });
  auto r = run(with(router, {"nodes", "drain", "w1", "--wait", "30", "--poll-interval", "0.01"}));
  CHECK(r.code == 0);
  CHECK(r.out == "node w1: drained (no tenants left)\n");
  CHECK(polls == 4);
}

TEST_CASE("the token comes from MODELFLEET_DATA_DIR/admin.token when none is given") {
  fake_router router([](const fake_request&) { return ok_json({{"tenants", json::array()}}); });
  const auto token_path = temp_file("admin.token", "file-token\n");
  const auto dir = std::filesystem::path(token_path).parent_path().string();
  ::unsetenv("MODELFLEET_TOKEN");
  ::unsetenv("MODELFLEET_ADMIN_TOKEN");
  ::unsetenv("MODELFLEET_ADMIN_TOKEN_FILE");
  ::setenv("MODELFLEET_DATA_DIR", dir.c_str(), 1);
  auto r = run({"tenants", "list", "--url", router.url()});
  ::unsetenv("MODELFLEET_DATA_DIR");
  CHECK(r.code == 0);
  CHECK(router.requests().back().headers.at("authorization") == "Bearer file-token");
  ::setenv("MODELFLEET_URL", router.url().c_str(), 1);
  ::setenv("MODELFLEET_TOKEN", "env-token", 1);
  auto e = run({"tenants", "list"});
  ::unsetenv("MODELFLEET_URL");
  ::unsetenv("MODELFLEET_TOKEN");
  CHECK(e.code == 0);
  CHECK(router.requests().back().headers.at("authorization") == "Bearer env-token");
  const auto node_token = temp_file("node.token", "node-token\n");
  ::setenv("MODELFLEET_ADMIN_TOKEN_FILE", node_token.c_str(), 1);
  auto n = run({"tenants", "list", "--url", router.url()});
  ::unsetenv("MODELFLEET_ADMIN_TOKEN_FILE");
  CHECK(n.code == 0);
  CHECK(router.requests().back().headers.at("authorization") == "Bearer node-token");
}
