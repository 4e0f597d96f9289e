// CURVE on a real cluster (--curve-keys, here through MODELFLEET_CURVE_KEYS): keyed nodes serve
// predictions and training; a worker without the key, or with another cluster's key, registers
// in Redis but is never placed (the coordinator only places workers that answered its ping over
// CURVE), over several placement epochs, and never gets a single frame from the router or the
// coordinator; a keyed worker joining later is verified and placed; a raw DEALER without the
// key gets no reply from a keyed worker, the same DEALER with the key does.
#include <doctest/doctest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <vector>

#include <nlohmann/json.hpp>
#include <zmq.hpp>

#include "protocol/curve.hpp"
#include "protocol/socket.hpp"
#include "tests/chaos/chaos_cluster.hpp"
#include "tests/support/wait_until.hpp"

using namespace mf::chaos;
using namespace std::chrono_literals;

namespace {

const std::string binary = MF_BINARY_DIR "/nodes/modelfleet";

// Sets an environment variable for the processes this test starts; restores it on scope exit.
class scoped_env {
 public:
  scoped_env(const char* name, const std::string& value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old, had_ = true;
    ::setenv(name, value.c_str(), 1);
  }
  ~scoped_env() {
    if (had_)
      ::setenv(name_, old_.c_str(), 1);
    else
      ::unsetenv(name_);
  }

 private:
  const char* name_;
  std::string old_;
  bool had_ = false;
};

// modelfleet_worker_frames_total of a worker, from its admin /metrics; -1 if unreadable.
long frames_in(chaos_cluster& c, const std::string& worker) {
  const auto r = http_request("GET", c.worker_admin(worker) + "/metrics", "", {}, 2000ms);
  const std::string key = "\nmodelfleet_worker_frames_total{";
  const auto at = r.body.find(key);
  if (r.status != 200 || at == std::string::npos) return -1;
  const auto space = r.body.find(' ', r.body.find('}', at));
  return std::atol(r.body.c_str() + space + 1);
}

std::string train_body() {
  std::string f = "[", l = "[";
  for (int i = 0; i < 40; ++i) {
    const int a = i % 11, b = (i * 3) % 5;
    f += (i ? ",[" : "[") + std::to_string(a) + "," + std::to_string(b) + "]";
    l += (i ? "," : "") + std::to_string(2 * a + b);
  }
  return R"({"algorithm":"linear_regression","data":{"features":)" + f + "],\"labels\":" + l +
         R"(]},"activate":"never"})";
}

// Sends a ping on a fresh DEALER (with `keys`: as a CURVE client) and waits up to `wait` for
// any reply.
bool ping_answered(const std::string& endpoint, const mf::protocol::curve_keys* keys,
                   std::chrono::milliseconds wait) {
  zmq::context_t ctx(1);
  zmq::socket_t s(ctx, zmq::socket_type::dealer);
  s.set(zmq::sockopt::linger, 0);
  if (keys) REQUIRE(mf::protocol::apply_curve_client(s, *keys).has_value());
  s.connect(endpoint);
  mf::protocol::envelope ping;
  ping.head.request_id = 77;
  ping.body = mf::protocol::ping{};
  // Queued by the DEALER until (if ever) the handshake completes.
  REQUIRE(mf::protocol::send_envelope(s, "", ping).has_value());
  auto got = mf::protocol::recv_envelope(s, wait);
  return got.has_value() && got->message.has_value() &&
         std::holds_alternative<mf::protocol::pong>(got->message->body);
}

}  // namespace

TEST_CASE("CURVE cluster: keyed nodes serve; keyless and foreign-key workers get no frame") {
  const auto root =
      std::filesystem::temp_directory_path() / ("mf_curve_cluster_" + std::to_string(::getpid()));
  std::filesystem::remove_all(root);
  const std::string keys_dir = (root / "keys").string(), other_dir = (root / "other").string();
  // The real command makes the keys (and refuses to overwrite them).
  REQUIRE(std::system((binary + " keygen --curve-keys " + keys_dir + " >/dev/null").c_str()) == 0);
  REQUIRE(std::system((binary + " keygen --curve-keys " + other_dir + " >/dev/null").c_str()) == 0);
  CHECK(std::system((binary + " keygen --curve-keys " + keys_dir + " 2>/dev/null").c_str()) != 0);
  const auto keys = mf::protocol::load_curve_keys(keys_dir);
  REQUIRE(keys.has_value());

  // Every role started below inherits the cluster key through the environment.
  scoped_env env("MODELFLEET_CURVE_KEYS", keys_dir);
  cluster_options opt;
  opt.name = "curve";
  opt.workers = 1;   // w1: the cluster key
  opt.replicas = 3;  // every tenant is placed on every worker, the intruders included
  opt.train_slots = 1;
  chaos_cluster c(opt);
  {
    scoped_env off("MODELFLEET_CURVE_KEYS", "");
    c.start_worker("w2");  // no key: a plain ROUTER
  }
  c.start_worker("w3", {"--curve-keys", other_dir});  // another cluster's key

  // Both intruders registered (they have Redis) before any tenant exists.
  REQUIRE_MESSAGE(mf::test::wait_until(
                      [&] {
                        const auto r = http_request("GET", c.base() + "/v1/cluster/nodes", "",
                                                    c.admin_headers());
                        return r.status == 200 && r.body.find("\"w2\"") != std::string::npos &&
                               r.body.find("\"w3\"") != std::string::npos;
                      },
                      20s),
                  c.logs());

  // Several placement epochs (one per new tenant): every one lists only the keyed worker,
  // although replicas=3 would put every tenant on every registered worker.
  const std::vector<std::string> only_w1{"w1"};
  std::set<long> epochs;
  for (const std::string t : {"t1", "t2", "t3", "t4"}) {
    c.create_tenant(t);
    c.upload_model(t, "m", small_artifact());
    REQUIRE_MESSAGE(mf::test::wait_until([&] { return !c.placement(t).empty(); }, 20s), c.logs());
    epochs.insert(c.placement_epoch());
    for (const std::string seen : {"t1", "t2", "t3", "t4"}) {
      if (seen > t) break;
      const auto owners = c.placement(seen);
      CHECK_MESSAGE(owners == only_w1, seen << " placed on " << owners.size() << " workers");
    }
  }
  MESSAGE("placement epochs checked: " << epochs.size());
  CHECK(epochs.size() >= 3);
  REQUIRE_MESSAGE(c.wait_predict_ok("t1", "m", 20s), c.logs());

  // The coordinator says why: one event=node_unverified per intruder, and a gauge of 2.
  const std::string coordinator_log = c.coordinator("c1").log();
  auto count = [&](const std::string& needle) {
    std::size_t n = 0;
    for (auto at = coordinator_log.find(needle); at != std::string::npos;
         at = coordinator_log.find(needle, at + 1))
      ++n;
    return n;
  };
  CHECK_MESSAGE(count("event=node_unverified node=w2 ") == 1, coordinator_log);
  CHECK_MESSAGE(count("event=node_unverified node=w3 ") == 1, coordinator_log);
  CHECK(count("event=node_unverified node=w1 ") == 0);
  const auto metrics =
      http_request("GET", c.coordinator_admin("c1") + "/metrics", "", {}, 2000ms).body;
  CHECK_MESSAGE(metrics.find("\nmodelfleet_coordinator_nodes_unverified 2\n") != std::string::npos,
                metrics);

  // Predictions: all answered (by w1; a try on an intruder times out and moves on).
  auto headers = c.admin_headers();
  headers.push_back("X-Request-Deadline-Ms: 5000");
  http_client client;
  int ok = 0;
  for (int i = 0; i < 100; ++i)
    ok += client.request("POST", c.predict_url("t1", "m"), R"({"instances":[[1,1]]})", headers)
              .status == 200;
  CHECK(ok == 100);

  // Training: the job runs, and only on the keyed worker.
  const auto posted = http_request("POST", c.base() + "/v1/tenants/t1/models/m/train", train_body(),
                                   c.admin_headers());
  REQUIRE_MESSAGE(posted.status == 202, posted.body);
  const auto job = nlohmann::json::parse(posted.body).at("job_id").get<std::string>();
  nlohmann::json record;
  const bool finished = mf::test::wait_until(
      [&] {
        const auto r = http_request("GET", c.base() + "/v1/jobs/" + job, "", c.admin_headers());
        if (r.status != 200) return false;
        record = nlohmann::json::parse(r.body);
        const auto s = record.value("status", "");
        return s == "succeeded" || s == "failed" || s == "cancelled";
      },
      60s, 100ms);
  CHECK_MESSAGE(finished, record.dump() << "\n" << c.logs());
  CHECK_MESSAGE(record.value("status", "") == "succeeded", record.dump());
  CHECK(record.value("node", "") == "w1");

  // A keyed worker joining later is verified and placed next to w1; the intruders still not.
  c.start_worker("w4");
  const std::vector<std::string> keyed{"w1", "w4"};
  CHECK_MESSAGE(mf::test::wait_until(
                    [&] {
                      auto p = c.placement("t1");
                      std::sort(p.begin(), p.end());
                      return p == keyed;
                    },
                    20s),
                c.logs());
  for (const std::string t : {"t1", "t2", "t3", "t4"}) {
    for (const auto& owner : c.placement(t)) CHECK_MESSAGE((owner == "w1" || owner == "w4"), t);
  }

  // Not one frame reached the intruders; the keyed worker got plenty.
  const long w1 = frames_in(c, "w1"), w2 = frames_in(c, "w2"), w3 = frames_in(c, "w3");
  MESSAGE("frames received: w1=" << w1 << " w2(no key)=" << w2 << " w3(other key)=" << w3);
  CHECK(w1 >= 100);
  CHECK(w2 == 0);
  CHECK(w3 == 0);

  // A raw DEALER: nothing without the key, a pong with it.
  const std::string w1_zmq = ready_value(c.worker("w1"), "zmq");
  CHECK_FALSE(ping_answered(w1_zmq, nullptr, 1500ms));
  CHECK(ping_answered(w1_zmq, &*keys, 5000ms));
  std::filesystem::remove_all(root);
}
