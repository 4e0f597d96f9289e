// Tests of the model host + predictors with a fake model source, inside one actor system:
// single flight, atomic activation under concurrent readers, deletes/placement, deadlines.
#include "actors/model_host.hpp"

#include <doctest/doctest.h>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>

#include <fstream>
#include <thread>

#include <unistd.h>

#include "actors/predictor.hpp"
#include "tests/actors/fake_source.hpp"
#include "tests/support/wait_until.hpp"

using namespace mf::actors;
using mf::test::fake_world;
using namespace std::chrono_literals;

namespace {

struct host_fixture {
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  std::shared_ptr<fake_world> world = std::make_shared<fake_world>();
  std::shared_ptr<snapshot_cell> cell = std::make_shared<snapshot_cell>();
  std::shared_ptr<worker_metrics> metrics = std::make_shared<worker_metrics>();
  model_host_actor host;

  explicit host_fixture(std::size_t budget = 64u << 20, std::size_t loaders = 2,
                        bool inline_loads = true) {
    cfg.set("scheduler.max-threads", 4);
    sys = std::make_unique<caf::actor_system>(cfg);
    model_host_config hc;
    hc.budget_bytes = budget;
    hc.loaders = loaders;
    hc.inline_loads = inline_loads;
    hc.source_factory = mf::test::fake_factory(world);
    hc.cell = cell;
    hc.metrics = metrics;
    host = spawn_model_host(*sys, hc);
  }
  ~host_fixture() {
    world->set_gate(true);
    caf::anon_send_exit(host, caf::exit_reason::user_shutdown);
  }

  lease_reply lease(const std::string& t, const std::string& m, std::int64_t v = -1) {
    caf::scoped_actor self{*sys};
    lease_reply out;
    self->request(host, 10s, load_atom::value, lease_request{{t, m}, v, {}})
        .receive(
            [&](lease_reply& r) { out = std::move(r); },
            [&](caf::error& e) { out.error = mf::make_error(mf::errc::internal, sys->render(e)); });
    return out;
  }
  host_stats stats() {
    caf::scoped_actor self{*sys};
    host_stats out;
    self->request(host, 10s, stats_atom::value)
        .receive([&](host_stats& s) { out = std::move(s); }, [&](caf::error&) {});
    return out;
  }
  std::int64_t active_version(const std::string& t, const std::string& m) {
    auto e = cell->load()->lookup({t, m}, -1);
    return e ? e->key.version : 0;
  }
};

// Collects replies the predictors send, for assertions.
struct collecting_sink final : reply_sink {
  std::mutex mutex;
  std::vector<mf::protocol::predict_reply> replies;
  void send(const std::string&, mf::protocol::envelope message) override {
    std::lock_guard lock(mutex);
    if (auto* r = std::get_if<mf::protocol::predict_reply>(&message.body)) replies.push_back(*r);
  }
  std::size_t size() {
    std::lock_guard lock(mutex);
    return replies.size();
  }
};

predict_job_ptr make_job(const std::string& t, const std::string& m, std::vector<double> x,
                         std::uint32_t n_features, std::int64_t deadline_ms = 0) {
  auto job = std::make_shared<predict_job>();
  job->request.request_id = 7;
  job->request.tenant = t;
  job->request.model = m;
  job->request.n_features = n_features;
  job->request.features = std::move(x);
  job->request.deadline_unix_ms = deadline_ms;
  job->received = std::chrono::steady_clock::now();
  return job;
}

}  // namespace

TEST_CASE("single flight: 64 concurrent requests for a cold model trigger exactly one load") {
  host_fixture f;
  f.world->add("t", "m", 3, true);
  f.world->set_gate(false);  // hold the load until every request waits on it
  std::vector<lease_reply> got(64);
  std::vector<std::thread> clients;
  for (int i = 0; i < 64; ++i) clients.emplace_back([&, i] { got[i] = f.lease("t", "m"); });
  REQUIRE(mf::test::wait_until([&] { return f.stats().waiters == 64; }, 10s));
  CHECK(f.stats().loads_pending == 1);
  f.world->set_gate(true);
  for (auto& c : clients) c.join();
  CHECK(f.world->loads.load() == 1);
  for (const auto& r : got) {
    REQUIRE(r.entry != nullptr);
    CHECK(r.entry == got[0].entry);  // everyone leases the same loaded model
    CHECK(r.entry->key.version == 3);
  }
  CHECK(f.metrics->cache_loads.load() == 1);
  // The snapshot follows the leases with the next (coalesced) publish.
  CHECK(mf::test::wait_until([&] { return f.active_version("t", "m") == 3; }, 5s));
}

TEST_CASE("a cold model already in memory loads on the host itself; the rest wait for a loader") {
  for (bool inline_loads : {true, false}) {
    CAPTURE(inline_loads);
    host_fixture f(64u << 20, 2, inline_loads);
    f.world->add("t", "m", 3, true);
    f.world->add("t", "slow", 1, true);
    f.world->in_memory.insert({"t", "m", 3});
    if (inline_loads) {
      f.world->set_gate(false);  // a loader would block: only the host can answer now
      auto r = f.lease("t", "m", 3);
      REQUIRE(r.entry != nullptr);
      CHECK(r.entry->key.version == 3);
      CHECK(f.world->cached_loads.load() == 1);
      CHECK(f.world->loads.load() == 0);
      CHECK(f.metrics->cache_inline_loads.load() == 1);
      CHECK(f.metrics->cache_loads.load() == 1);
      CHECK(mf::test::wait_until(
          [&] {
            return f.cell->load()->lookup({"t", "m"}, 3) != nullptr;
          },
          5s));
      // Not in memory: the same call waits for a loader, which waits for the gate.
      lease_reply slow;
      std::thread client([&] { slow = f.lease("t", "slow", 1); });
      CHECK(mf::test::wait_until([&] { return f.stats().waiters == 1; }, 5s));
      f.world->set_gate(true);
      client.join();
      REQUIRE(slow.entry != nullptr);
      CHECK(f.world->loads.load() == 1);
      CHECK(f.metrics->cache_inline_loads.load() == 1);
    } else {
      REQUIRE(f.lease("t", "m", 3).entry != nullptr);
      CHECK(f.world->cached_loads.load() == 0);  // switched off: always a loader
      CHECK(f.world->loads.load() == 1);
      CHECK(f.metrics->cache_inline_loads.load() == 0);
    }
  }
}

TEST_CASE("a waiter whose deadline passes while its model loads gets deadline_exceeded") {
  host_fixture f;
  f.world->add("t", "m", 3, true);
  f.world->set_gate(false);  // the load cannot finish until the gate opens
  const auto sent = std::chrono::steady_clock::now();
  // Three waiters on one load: 150 ms, none, and 60 ms (which joins the load already in flight).
  auto ask = [&](std::optional<std::chrono::steady_clock::time_point> deadline, lease_reply& out,
                 std::chrono::steady_clock::time_point& answered) {
    caf::scoped_actor self{*f.sys};
    // The test's own bound (5 s) only turns a host that never expires into a failure.
    self->request(f.host, 5s, load_atom::value, lease_request{{"t", "m"}, 3, deadline})
        .receive([&](lease_reply& r) { out = std::move(r); },
                 [&](caf::error& e) {
                   out.error = mf::make_error(mf::errc::internal, f.sys->render(e));
                 });
    answered = std::chrono::steady_clock::now();
  };
  lease_reply r150, rnone, r60;
  std::chrono::steady_clock::time_point t150, tnone, t60;
  std::thread a([&] { ask(sent + 150ms, r150, t150); });
  REQUIRE(mf::test::wait_until([&] { return f.stats().waiters == 1; }, 5s));
  std::thread b([&] { ask(std::nullopt, rnone, tnone); });
  std::thread c([&] { ask(sent + 60ms, r60, t60); });
  a.join();
  c.join();
  for (auto* r : {&r150, &r60}) {
    CHECK(r->entry == nullptr);
    CHECK(r->error.code == mf::errc::deadline_exceeded);
  }
  CHECK(t60 - sent >= 60ms);  // neither before its own deadline
  CHECK(t150 - sent >= 150ms);
  CHECK(f.stats().waiters == 1);  // the waiter without a deadline still waits
  CHECK(f.stats().loads_pending == 1);
  f.world->set_gate(true);
  b.join();
  REQUIRE(rnone.entry != nullptr);
  CHECK(rnone.entry->key.version == 3);
  CHECK(f.world->loads.load() == 1);
}

TEST_CASE("a failed load answers every waiter with the error and caches nothing") {
  host_fixture f;
  auto r = f.lease("t", "missing");
  CHECK(r.entry == nullptr);
  CHECK(r.error.code == mf::errc::not_found);
  CHECK(f.stats().models_loaded == 0);
  CHECK(f.metrics->cache_load_failures.load() == 1);
}

TEST_CASE("activation is atomic under concurrent readers: old or new, never a mix or a gap") {
  host_fixture f;
  f.world->add("t", "m", 1, true);
  REQUIRE(f.lease("t", "m").entry);
  // The lease answers first; the snapshot follows with the next (coalesced) publish. Readers
  // start once it serves v1: from then on there must never be a gap.
  REQUIRE(mf::test::wait_until([&] { return f.active_version("t", "m") == 1; }, 5s));
  std::atomic<bool> stop{false};
  std::atomic<long> reads{0}, bad{0}, gaps{0}, backwards{0};
  std::vector<std::thread> readers;
  for (int i = 0; i < 4; ++i)
    readers.emplace_back([&] {
      mf::ml::prediction out;
      std::vector<double> x{0.5, 0.5};
      std::int64_t last = 0;
      while (!stop.load()) {
        auto snap = f.cell->load();
        lease e = snap->lookup({"t", "m"}, -1);
        if (!e) {
          ++gaps;
          continue;
        }
        if (!e->model->predict(x, 1, out) || out.values[0] != static_cast<double>(e->key.version))
          ++bad;
        if (e->key.version < last) ++backwards;
        last = e->key.version;
        ++reads;
      }
    });
  for (std::int64_t v = 2; v <= 20; ++v) {
    f.world->add("t", "m", v, false);
    if (v == 10) f.world->set_gate(false);  // a slow load: readers must keep getting v9
    caf::anon_send(f.host, activate_atom::value, model_key{"t", "m", v});
    if (v == 10) {
      REQUIRE(mf::test::wait_until([&] { return f.stats().loads_pending == 1; }, 5s));
      CHECK(f.active_version("t", "m") == 9);
      f.world->set_gate(true);
    }
    REQUIRE(mf::test::wait_until([&] { return f.active_version("t", "m") == v; }, 5s));
  }
  stop = true;
  for (auto& r : readers) r.join();
  CHECK(reads.load() > 0);
  CHECK(bad.load() == 0);
  CHECK(gaps.load() == 0);
  CHECK(backwards.load() == 0);
}

TEST_CASE("out-of-order activation loads end on the latest activation") {
  host_fixture f(64u << 20, 2);
  f.world->add("t", "m", 1, true);
  f.world->add("t", "m", 2, false);
  f.world->add("t", "m", 3, false);
  REQUIRE(f.lease("t", "m").entry);
  caf::anon_send(f.host, activate_atom::value, model_key{"t", "m", 2});
  caf::anon_send(f.host, activate_atom::value, model_key{"t", "m", 3});
  REQUIRE(mf::test::wait_until(
      [&] { return f.stats().loads_pending == 0 && f.active_version("t", "m") == 3; }, 5s));
  CHECK(f.active_version("t", "m") == 3);
}

TEST_CASE("deletes and placement changes evict; placement preloads the active versions") {
  host_fixture f;
  f.world->add("a", "m1", 1, true);
  f.world->add("a", "m2", 4, true);
  f.world->add("b", "m1", 2, true);
  caf::anon_send(f.host, placement_atom::value, std::vector<std::string>{"a"});
  REQUIRE(mf::test::wait_until([&] { return f.stats().models_loaded == 2; }, 5s));
  CHECK(f.active_version("a", "m1") == 1);
  CHECK(f.active_version("a", "m2") == 4);
  CHECK(f.metrics->tenants_placed.load() == 1);

  caf::anon_send(f.host, remove_atom::value, model_key{"a", "m2", 0});
  REQUIRE(mf::test::wait_until([&] { return f.stats().models_loaded == 1; }, 5s));
  CHECK(f.active_version("a", "m2") == 0);

  caf::anon_send(f.host, placement_atom::value, std::vector<std::string>{"b"});
  REQUIRE(mf::test::wait_until(
      [&] {
        auto s = f.stats();
        return s.models_loaded == 1 && s.resident[0].tenant == "b";
      },
      5s));
  CHECK(f.active_version("a", "m1") == 0);
  CHECK(f.active_version("b", "m1") == 2);

  caf::anon_send(f.host, drop_tenant_atom::value, std::string("b"));
  REQUIRE(mf::test::wait_until([&] { return f.stats().models_loaded == 0; }, 5s));
  CHECK(f.metrics->memory_bytes.load() == 0);
}

TEST_CASE("a small budget evicts and reloads on demand") {
  host_fixture f(3u << 20);  // three 1 MiB models
  for (int i = 0; i < 6; ++i) f.world->add("t", "m" + std::to_string(i), 1, true);
  for (int round = 0; round < 2; ++round)
    for (int i = 0; i < 6; ++i) REQUIRE(f.lease("t", "m" + std::to_string(i)).entry);
  auto s = f.stats();
  CHECK(s.models_loaded == 3);
  CHECK(s.memory_bytes <= s.budget_bytes);
  CHECK(f.metrics->cache_evictions.load() >= 9);
  CHECK(f.world->loads.load() == 12);
}

TEST_CASE("predictors: hits, cold loads, wrong feature count, NaN, expired deadline") {
  host_fixture f;
  std::atomic<int> calls{0};
  f.world->predict_calls = &calls;
  f.world->add("t", "m", 5, true);
  auto sink = std::make_shared<collecting_sink>();
  predictor_config pc{f.cell, f.host, f.metrics, sink};
  auto predictors = spawn_predictors(*f.sys, 2, pc);
  auto submit = [&](predict_job_ptr job) {
    f.metrics->predict_inflight.fetch_add(1);
    f.metrics->predict_queued.fetch_add(1);
    caf::anon_send(predictors[0], predict_atom::value, job);
  };
  submit(make_job("t", "m", {1, 2, 3, 4}, 2));  // cold: loads, 2 rows
  REQUIRE(mf::test::wait_until([&] { return sink->size() == 1; }, 5s));
  submit(make_job("t", "m", {1, 2}, 2));             // warm hit
  submit(make_job("t", "m", {1, 2, 3}, 3));          // wrong feature count
  submit(make_job("t", "m", {1, std::nan("")}, 2));  // NaN
  REQUIRE(mf::test::wait_until([&] { return sink->size() == 4; }, 5s));
  const int before = calls.load();
  submit(make_job("t", "m", {1, 2}, 2, 1));  // deadline in 1970: must not be computed
  submit(make_job("t", "nope", {1, 2}, 2));  // unknown model
  REQUIRE(mf::test::wait_until([&] { return sink->size() == 6; }, 5s));
  std::lock_guard lock(sink->mutex);
  auto& r = sink->replies;
  CHECK_FALSE(r[0].error);
  CHECK(r[0].predictions == std::vector<double>{5, 5});
  CHECK(r[0].version == 5);
  CHECK(r[0].request_id == 7);
  CHECK_FALSE(r[1].error);
  REQUIRE(r[2].error);
  CHECK(r[2].error->code == mf::errc::invalid_input);
  REQUIRE(r[3].error);
  CHECK(r[3].error->code == mf::errc::invalid_input);
  REQUIRE(r[4].error);
  CHECK(r[4].error->code == mf::errc::deadline_exceeded);
  CHECK(calls.load() == before);
  REQUIRE(r[5].error);
  CHECK(r[5].error->code == mf::errc::not_found);
  CHECK(f.metrics->cache_hits.load() == 3);
  CHECK(f.metrics->predict_inflight.load() == 0);
  for (auto& p : predictors) caf::anon_send_exit(p, caf::exit_reason::user_shutdown);
}

namespace {
[[maybe_unused]] std::size_t rss_bytes() {
  std::ifstream statm("/proc/self/statm");
  std::size_t pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
}
}  // namespace

// ASan keeps freed memory in its quarantine, so RSS cannot return to baseline under it; the
// Release suite runs this case.
#if !defined(__SANITIZE_ADDRESS__)
TEST_CASE("memory is really released: RSS returns near baseline after 1 GiB loaded and evicted") {
  // 128 models of 8 MiB (really allocated and touched) through a 256 MiB budget: 1 GiB loaded,
  // ~768 MiB evicted on the way, the rest dropped by a placement change.
  host_fixture f(256u << 20, 2);
  f.world->bytes = 0;  // the source reports model->memory_bytes() below instead
  const std::size_t model_bytes = 8u << 20;
  const std::size_t baseline = rss_bytes();
  auto source = [w = f.world, model_bytes] {
    struct sized_source final : model_source {
      std::shared_ptr<fake_world> w;
      std::size_t n;
      mf::expected<loaded_model> load(const model_ref& ref, std::int64_t) override {
        auto m = mf::test::fake_model::make(2, 1, n);
        return loaded_model{{ref.tenant, ref.model, 1}, m, m->memory_bytes()};
      }
      mf::expected<tenant_facts> describe_tenant(const std::string&) override {
        return tenant_facts{};
      }
    };
    auto s = std::make_unique<sized_source>();
    s->w = w;
    s->n = model_bytes;
    return s;
  };
  caf::anon_send_exit(f.host, caf::exit_reason::user_shutdown);
  model_host_config hc;
  hc.budget_bytes = 256u << 20;
  hc.source_factory = source;
  hc.cell = std::make_shared<snapshot_cell>();
  hc.metrics = f.metrics;
  hc.tick_interval = std::chrono::milliseconds(50);
  f.host = spawn_model_host(*f.sys, hc);
  std::size_t peak = 0;
  for (int i = 0; i < 128; ++i) {
    REQUIRE(f.lease("t", "m" + std::to_string(i)).entry);
    peak = std::max(peak, rss_bytes());
  }
  CHECK(f.metrics->cache_loads.load() == 128);
  CHECK(f.stats().memory_bytes <= (256u << 20));
  CHECK(peak > baseline + (200u << 20));  // the models really were resident
  caf::anon_send(f.host, placement_atom::value, std::vector<std::string>{"elsewhere"});
  REQUIRE(mf::test::wait_until([&] { return f.stats().models_loaded == 0; }, 10s));
  bool back = mf::test::wait_until([&] { return rss_bytes() < baseline + (64u << 20); }, 10s);
  MESSAGE("RSS baseline " << (baseline >> 20) << " MiB, peak " << (peak >> 20) << " MiB, after "
                          << (rss_bytes() >> 20) << " MiB");
  CHECK(back);
}
#endif

TEST_CASE("a publish after one load rebuilds one snapshot shard and shares the rest") {
  // Before, every load republished all n entries: a bulk load of n models copied ~n^2/2.
  host_fixture f;
  f.world->bytes = 1024;
  constexpr int n = 2000;
  for (int i = 0; i <= n; ++i)
    f.world->add("t" + std::to_string(i % 5), "m" + std::to_string(i), 1, true);
  for (int i = 0; i < n; ++i)
    REQUIRE(f.lease("t" + std::to_string(i % 5), "m" + std::to_string(i)).entry);
  // A lease is answered at once; the snapshot follows with the next (coalesced) publish.
  auto published = [&](int i) {
    return mf::test::wait_until(
        [&] {
          return f.cell->load()->lookup({"t" + std::to_string(i % 5), "m" + std::to_string(i)},
                                        -1) != nullptr;
        },
        std::chrono::seconds(5), std::chrono::milliseconds(1));
  };
  REQUIRE(published(n - 1));
  auto before = f.cell->load();
  REQUIRE(!before->groups.empty());
  REQUIRE(f.lease("t0", "m" + std::to_string(n)).entry);
  REQUIRE(published(n));
  auto after = f.cell->load();
  CHECK(after->generation > before->generation);
  REQUIRE(after->groups.size() == before->groups.size());
  std::size_t rebuilt = 0, entries = 0, groups_rebuilt = 0;
  for (std::size_t g = 0; g < after->groups.size(); ++g)
    groups_rebuilt += after->groups[g] != before->groups[g] ? 1 : 0;
  for (std::size_t i = 0; i < mf::actors::snapshot::shard_count; ++i) {
    rebuilt += after->shard_at(i) != before->shard_at(i) ? 1 : 0;
    entries += after->shard_at(i)->versions.size();
  }
  CHECK(rebuilt == 1);
  CHECK(groups_rebuilt == 1);
  CHECK(entries == n + 1);
  // The new snapshot serves every model, the old one is unchanged (readers holding it see no mix).
  for (int i = 0; i <= n; ++i) {
    auto e = after->lookup({"t" + std::to_string(i % 5), "m" + std::to_string(i)}, -1);
    REQUIRE(e);
    CHECK(e->key.version == 1);
  }
  CHECK(!before->lookup({"t0", "m" + std::to_string(n)}, -1));
  CHECK(before->lookup({"t0", "m0"}, 1));
}
