// The behaviour every registry implementation must show, as doctest templates: instantiated
// with memory_registry (unit test) and redis_registry (integration test). Not thread-safe.
#pragma once

#include <doctest/doctest.h>

#include "tests/support/value_of.hpp"

#include <algorithm>
#include <chrono>
#include <string>

#include "cluster/api_key.hpp"
#include "cluster/registry.hpp"
#include "tests/support/wait_until.hpp"

namespace mf::cluster::test {

inline version_record make_version(std::int64_t v, std::string algorithm = "logistic_regression") {
  version_record r;
  r.version = v;
  r.algorithm = std::move(algorithm);
  r.n_features = 3;
  r.metrics = {{"accuracy", 0.5 + 0.01 * static_cast<double>(v)}, {"auc", 0.75}};
  r.primary_metric = "accuracy";
  r.size_bytes = 1000 + v;
  r.sha256 = std::string(64, 'a');
  r.created_at = 1700000000000 + v;
  r.source = "train";
  r.job_id = "j" + std::to_string(v);
  return r;
}

inline node_state state_of(registry& reg, const std::string& node) {
  auto nodes = reg.list_nodes();
  REQUIRE(nodes);
  for (const auto& n : *nodes) {
    if (n.node == node) return n.state;
  }
  FAIL("node not listed: " << node);
  return node_state::down;
}

}  // namespace mf::cluster::test

TEST_CASE_TEMPLATE_DEFINE("registry: tenants and keys", F, registry_tenants) {
  using namespace mf::cluster;
  F fixture;
  registry& reg = fixture.reg();

  auto k1 = reg.create_tenant("acme", tenant_quota{1 << 20, 5, 100});
  REQUIRE(k1);
  CHECK(k1->api_key.size() == 4 + 64);
  CHECK(reg.create_tenant("acme").error().code == mf::errc::conflict);
  auto found = reg.find_tenant_by_key(hash_api_key(k1->api_key));
  REQUIRE(found);
  CHECK(found->tenant == "acme");
  CHECK(found->key_id == k1->key_id);
  CHECK(found->hash != k1->api_key);  // only the hash is stored
  CHECK(reg.find_tenant_by_key(hash_api_key("mfk_wrong")).error().code == mf::errc::not_found);

  auto t = reg.get_tenant("acme");
  REQUIRE(t);
  CHECK(t->quota == tenant_quota{1 << 20, 5, 100});
  CHECK(t->created_at > 0);
  REQUIRE(reg.set_quota("acme", tenant_quota{7, 8, 9}));
  CHECK(reg.get_tenant("acme")->quota == tenant_quota{7, 8, 9});
  CHECK(reg.set_quota("nope", {}).error().code == mf::errc::not_found);
  CHECK(reg.set_quota("acme", tenant_quota{-1, 0, 0}).error().code == mf::errc::invalid_input);
  CHECK(reg.create_tenant("neg", tenant_quota{0, -2, 0}).error().code == mf::errc::invalid_input);
  CHECK(reg.get_tenant("acme")->quota == tenant_quota{7, 8, 9});

  // Rotation: both keys work until the old one is deleted.
  auto k2 = reg.add_key("acme");
  REQUIRE(k2);
  CHECK(k2->api_key != k1->api_key);
  CHECK(reg.list_keys("acme")->size() == 2);
  REQUIRE(reg.delete_key("acme", k1->key_id));
  CHECK(reg.find_tenant_by_key(hash_api_key(k1->api_key)).error().code == mf::errc::not_found);
  CHECK(reg.find_tenant_by_key(hash_api_key(k2->api_key))->tenant == "acme");
  CHECK(reg.delete_key("acme", k1->key_id).error().code == mf::errc::not_found);
  CHECK(reg.add_key("ghost").error().code == mf::errc::not_found);

  REQUIRE(reg.create_tenant("beta"));
  auto all = reg.list_tenants();
  REQUIRE(all);
  REQUIRE(all->size() == 2);
  CHECK((*all)[0].tenant == "acme");
  CHECK((*all)[1].tenant == "beta");

  for (std::string bad : std::vector<std::string>{"", ".", "..", "../x", "a/b", "-a", "a b", "a:b",
                                                  std::string(65, 'a'), std::string("a\0b", 3)}) {
    CAPTURE(bad);
    CHECK(reg.create_tenant(bad).error().code == mf::errc::invalid_name);
    CHECK(reg.get_tenant(bad).error().code == mf::errc::invalid_name);
    CHECK(reg.reserve_version_id("acme", bad).error().code == mf::errc::invalid_name);
  }
  CHECK(reg.list_tenants()->size() == 2);  // bad input changed nothing

  // Deleting a tenant removes its keys, models and jobs.
  REQUIRE(mf::test::value_of(reg.reserve_version_id("acme", "m")) == std::int64_t{1});
  REQUIRE(reg.publish_version("acme", "m", mf::cluster::test::make_version(1), true, "upload",
                              "admin"));
  job_record job;
  job.tenant = "acme";
  job.model = "m";
  REQUIRE(reg.create_job(job));
  REQUIRE(reg.delete_tenant("acme"));
  CHECK(reg.get_tenant("acme").error().code == mf::errc::not_found);
  CHECK(reg.find_tenant_by_key(hash_api_key(k2->api_key)).error().code == mf::errc::not_found);
  CHECK(reg.delete_tenant("acme").error().code == mf::errc::not_found);
  CHECK(reg.get_model("acme", "m").error().code == mf::errc::not_found);
  CHECK(reg.list_unfinished_jobs()->empty());
  CHECK(!reg.dequeue_fair()->has_value());
  CHECK(reg.list_tenants()->size() == 1);
  // A re-created tenant starts clean.
  REQUIRE(reg.create_tenant("acme"));
  CHECK(reg.list_models("acme")->empty());
  CHECK(mf::test::value_of(reg.reserve_version_id("acme", "m")) == std::int64_t{1});
}

TEST_CASE_TEMPLATE_DEFINE("registry: versions, activation, history", F, registry_versions) {
  using namespace mf::cluster;
  using mf::cluster::test::make_version;
  F fixture;
  registry& reg = fixture.reg();
  CHECK(reg.reserve_version_id("t", "m").error().code == mf::errc::not_found);
  REQUIRE(reg.create_tenant("t"));

  CHECK(mf::test::value_of(reg.reserve_version_id("t", "m")) == std::int64_t{1});
  CHECK(mf::test::value_of(reg.reserve_version_id("t", "m")) == std::int64_t{2});
  CHECK(mf::test::value_of(reg.reserve_version_id("t", "m")) == std::int64_t{3});
  CHECK(mf::test::value_of(reg.reserve_version_id("t", "other")) == std::int64_t{1});
  CHECK(reg.get_model("t", "m").error().code == mf::errc::not_found);  // nothing published yet

  REQUIRE(reg.publish_version("t", "m", make_version(1), true, "train if_better", "job:j1"));
  REQUIRE(reg.publish_version("t", "m", make_version(2, "svm_rbf"), false, "", ""));
  CHECK(reg.publish_version("t", "m", make_version(2), false, "", "").error().code ==
        mf::errc::conflict);
  CHECK(reg.publish_version("t", "m", make_version(99), false, "", "").error().code ==
        mf::errc::invalid_input);
  CHECK(reg.publish_version("t", "m", make_version(0), false, "", "").error().code ==
        mf::errc::invalid_input);

  auto versions = reg.list_versions("t", "m");
  REQUIRE(versions);
  REQUIRE(versions->size() == 2);
  CHECK((*versions)[0] == make_version(1));
  CHECK((*versions)[1] == make_version(2, "svm_rbf"));
  CHECK(*reg.get_version("t", "m", 2) == make_version(2, "svm_rbf"));
  CHECK(reg.get_version("t", "m", 3).error().code == mf::errc::not_found);

  auto summary = reg.get_model("t", "m");
  REQUIRE(summary);
  CHECK(summary->active_version == 1);
  CHECK(summary->versions == 2);
  CHECK(summary->algorithm == "logistic_regression");
  CHECK(summary->updated_at > 0);

  auto ev = reg.activate("t", "m", 2, "activate", "admin");
  REQUIRE(ev);
  CHECK(ev->from == 1);
  CHECK(ev->to == 2);
  CHECK(reg.get_model("t", "m")->algorithm == "svm_rbf");
  CHECK(reg.activate("t", "m", 7, "activate", "admin").error().code == mf::errc::not_found);
  CHECK(reg.activate("t", "zz", 1, "activate", "admin").error().code == mf::errc::not_found);

  auto rb = reg.rollback("t", "m", "tenant");
  REQUIRE(rb);
  CHECK(rb->from == 2);
  CHECK(rb->to == 1);
  CHECK(reg.get_model("t", "m")->active_version == 1);

  auto hist = reg.history("t", "m", 100);
  REQUIRE(hist);
  REQUIRE(hist->size() == 3);  // newest first
  CHECK((*hist)[0].from == 2);
  CHECK((*hist)[0].to == 1);
  CHECK((*hist)[0].reason == "rollback");
  CHECK((*hist)[0].by == "tenant");
  CHECK((*hist)[1].to == 2);
  CHECK((*hist)[1].reason == "activate");
  CHECK((*hist)[2].from == 0);
  CHECK((*hist)[2].to == 1);
  CHECK((*hist)[2].reason == "train if_better");
  CHECK((*hist)[2].by == "job:j1");
  CHECK(reg.history("t", "m", 1)->size() == 1);

  // Deleting the active version needs force, then nothing is active.
  CHECK(reg.delete_version("t", "m", 1, false, "admin").error().code == mf::errc::conflict);
  REQUIRE(reg.delete_version("t", "m", 2, false, "admin"));
  CHECK(reg.rollback("t", "m", "admin").error().code == mf::errc::conflict);  // 2 is gone
  REQUIRE(reg.delete_version("t", "m", 1, true, "admin"));
  CHECK(reg.get_model("t", "m")->active_version == 0);
  CHECK(reg.get_model("t", "m")->versions == 0);
  CHECK(reg.delete_version("t", "m", 1, true, "admin").error().code == mf::errc::not_found);

  REQUIRE(reg.publish_version("t", "other", make_version(1), true, "upload", "admin"));
  auto models = reg.list_models("t");
  REQUIRE(models);
  REQUIRE(models->size() == 2);
  CHECK((*models)[0].model == "m");
  CHECK((*models)[1].model == "other");
  CHECK((*models)[1].active_version == 1);
  CHECK(reg.get_tenant("t")->models == 2);

  REQUIRE(reg.delete_model("t", "m"));
  CHECK(reg.get_model("t", "m").error().code == mf::errc::not_found);
  CHECK(reg.delete_model("t", "m").error().code == mf::errc::not_found);
  CHECK(reg.list_models("t")->size() == 1);
  // Ids are never reused after a delete: caches keyed by version stay correct.
  CHECK(mf::test::value_of(reg.reserve_version_id("t", "m")) == std::int64_t{4});
}

TEST_CASE_TEMPLATE_DEFINE("registry: jobs and the fair queue", F, registry_jobs) {
  using namespace mf::cluster;
  F fixture;
  registry& reg = fixture.reg();
  REQUIRE(reg.create_tenant("a"));
  REQUIRE(reg.create_tenant("b"));
  auto make = [&](std::string tenant) {
    job_record j;
    j.tenant = std::move(tenant);
    j.model = "m";
    j.algorithm = "kmeans";
    j.request_ref = "req";
    auto r = reg.create_job(j);
    REQUIRE(r);
    return *r;
  };
  std::vector<std::string> a_ids;
  for (int i = 0; i < 5; ++i) a_ids.push_back(make("a").id);
  std::string b_id = make("b").id;
  auto a_job = reg.get_job(a_ids[0]);
  REQUIRE(a_job);
  CHECK(a_job->status == job_status::queued);
  CHECK(a_job->created_at > 0);
  CHECK(a_job->request_ref == "req");
  job_record ghost;
  ghost.tenant = "ghost";
  ghost.model = "m";
  CHECK(reg.create_job(ghost).error().code == mf::errc::not_found);
  // A reserved id is used as given (data keyed by it can be written first); an id that was
  // never reserved, or one already used, is refused.
  {
    auto reserved = reg.reserve_job_id();
    REQUIRE(reserved);
    CHECK(job_sequence(*reserved).has_value());
    job_record early;
    early.id = *reserved;
    early.tenant = "b";
    early.model = "m2";
    auto made = reg.create_job(early);
    REQUIRE(made);
    CHECK(made->id == *reserved);
    CHECK(reg.get_job(*reserved)->model == "m2");
    CHECK(reg.create_job(early).error().code == mf::errc::conflict);
    early.id = "j" + std::to_string(*job_sequence(*reserved) + 1000);
    CHECK(reg.create_job(early).error().code == mf::errc::invalid_input);
    early.id = "bogus";
    CHECK(reg.create_job(early).error().code == mf::errc::invalid_input);
    REQUIRE(reg.cancel_job(*reserved));  // keep the queue order below as it was
  }

  // a has 5 queued, b has 1: b's job comes second, not sixth.
  std::vector<std::string> order;
  for (int i = 0; i < 3; ++i) {
    auto j = reg.dequeue_fair();
    REQUIRE(j);
    REQUIRE(j->has_value());
    order.push_back((*j)->id);
  }
  CHECK(order == std::vector<std::string>{a_ids[0], b_id, a_ids[1]});

  // Cancel a queued job: it never comes out of the queue.
  auto c = reg.cancel_job(a_ids[2]);
  REQUIRE(c);
  CHECK(c->status == job_status::cancelled);
  CHECK(reg.cancel_job(a_ids[2]).error().code == mf::errc::conflict);
  // Requeue puts a job at the front.
  REQUIRE(reg.requeue_job(a_ids[0]));
  auto next = reg.dequeue_fair();
  REQUIRE(next);
  CHECK((*next)->id == a_ids[0]);
  CHECK((*reg.dequeue_fair())->id == a_ids[3]);
  CHECK((*reg.dequeue_fair())->id == a_ids[4]);
  CHECK(!reg.dequeue_fair()->has_value());

  // Running, then cancel requested; then finished.
  auto run = *reg.get_job(b_id);
  run.status = job_status::running;
  run.node = "w1";
  run.started_at = 5;
  run.attempts = 1;
  run.progress = 0.5;
  REQUIRE(reg.update_job(run));
  auto cr = reg.cancel_job(b_id);
  REQUIRE(cr);
  CHECK(cr->status == job_status::running);
  CHECK(cr->cancel_requested);
  auto done = *reg.get_job(b_id);
  CHECK(done.cancel_requested);
  CHECK(done.node == "w1");
  CHECK(done.progress == doctest::Approx(0.5));
  done.status = job_status::succeeded;
  done.version = 3;
  done.metrics = {{"accuracy", 0.9}};
  done.activated = true;
  done.finished_at = 9;
  REQUIRE(reg.update_job(done));
  auto got = reg.get_job(b_id);
  REQUIRE(got);
  CHECK(got->version == std::optional<std::int64_t>(3));
  CHECK(got->metrics.at("accuracy") == doctest::Approx(0.9));
  CHECK(got->activated);
  CHECK(!got->error);
  job_record missing;
  missing.id = "j999999";
  CHECK(reg.update_job(missing).error().code == mf::errc::not_found);
  CHECK(reg.get_job("j999999").error().code == mf::errc::not_found);

  auto a_jobs = reg.list_jobs("a", std::nullopt, 100);
  REQUIRE(a_jobs);
  REQUIRE(a_jobs->size() == 5);
  CHECK(a_jobs->front().id == a_ids[4]);  // newest first
  CHECK(a_jobs->back().id == a_ids[0]);
  CHECK(reg.list_jobs("a", std::nullopt, 2)->size() == 2);
  auto cancelled = reg.list_jobs("a", job_status::cancelled, 100);
  REQUIRE(cancelled);
  REQUIRE(cancelled->size() == 1);
  CHECK(cancelled->front().id == a_ids[2]);
  auto unfinished = reg.list_unfinished_jobs();
  REQUIRE(unfinished);
  CHECK(unfinished->size() == 4);  // a's 4 still queued; b's finished, a_ids[2] cancelled
  CHECK(unfinished->front().id == a_ids[0]);  // oldest first
}

TEST_CASE_TEMPLATE_DEFINE("registry: fenced and field-level job writes", F, registry_job_fences) {
  using namespace mf::cluster;
  F fixture;
  registry& reg = fixture.reg();
  REQUIRE(reg.create_tenant("a"));
  job_record j;
  j.tenant = "a";
  j.model = "m";
  j.algorithm = "linear_regression";
  j.request_ref = "req";
  auto created = reg.create_job(j);
  REQUIRE(created);
  const std::string id = created->id;

  // The coordinator assigns attempt 1 (fenced on the attempt it read: 0).
  job_record run = *created;
  run.status = job_status::running;
  run.attempts = 1;
  run.version = 4;
  run.node = "w1";
  REQUIRE(reg.update_job_fenced(run, 0));
  // A writer that read before that assignment is refused.
  job_record stale = *created;
  stale.error = "stale";
  CHECK(reg.update_job_fenced(stale, 0).error().code == mf::errc::conflict);

  // The router's cancel request lands between the coordinator's read and its write: the
  // coordinator's record (read without the flag) must not clear it.
  job_record coordinator_view = *reg.get_job(id);
  REQUIRE(reg.cancel_job(id));
  coordinator_view.lease_owner = "c1";
  REQUIRE(reg.update_job_fenced(coordinator_view, 1));
  auto after = reg.get_job(id);
  REQUIRE(after);
  CHECK(after->cancel_requested);
  CHECK(after->lease_owner == "c1");

  // The worker's progress is field-level: cancel flag, version and lease stay.
  REQUIRE(reg.record_job_progress(id, 1, 0.25, "w1"));
  after = reg.get_job(id);
  CHECK(after->progress == doctest::Approx(0.25));
  CHECK(after->cancel_requested);
  CHECK(after->version == std::optional<std::int64_t>(4));
  CHECK(after->lease_owner == "c1");
  CHECK(after->created_at == created->created_at);  // big integers survive the re-encoding
  CHECK(after->started_at > 0);
  // A stale attempt writes nothing.
  CHECK(reg.record_job_progress(id, 2, 0.9, "w2").error().code == mf::errc::conflict);
  CHECK(reg.get_job(id)->node == "w1");

  // The worker's result: metrics, progress 1 and the artifact fields.
  job_result_fields ok;
  ok.node = "w1";
  ok.metrics = {{"rmse", 0.125}, {"r2", 0.75}};
  ok.artifact_key = "a/m/4.mfm";
  ok.size_bytes = 2048;
  ok.sha256 = std::string(64, 'e');
  REQUIRE(reg.record_job_result(id, 1, ok));
  after = reg.get_job(id);
  CHECK(after->status == job_status::running);  // the coordinator decides the end
  CHECK(after->progress == doctest::Approx(1.0));
  CHECK(after->metrics.at("rmse") == doctest::Approx(0.125));
  CHECK(after->artifact_key == "a/m/4.mfm");
  CHECK(after->size_bytes == 2048);
  CHECK(after->sha256 == std::string(64, 'e'));
  CHECK(after->cancel_requested);
  CHECK(after->request_ref == "req");

  // Finished: every later write is refused, fenced or field-level.
  job_record done = *after;
  done.status = job_status::succeeded;
  done.finished_at = 7;
  REQUIRE(reg.update_job_fenced(done, 1));
  CHECK(reg.update_job_fenced(done, 1).error().code == mf::errc::conflict);
  CHECK(reg.record_job_progress(id, 1, 0.5, "w1").error().code == mf::errc::conflict);
  job_result_fields failed;
  failed.node = "w1";
  failed.error = "internal: late";
  CHECK(reg.record_job_result(id, 1, failed).error().code == mf::errc::conflict);
  CHECK(reg.get_job(id)->status == job_status::succeeded);
  CHECK(reg.list_unfinished_jobs()->empty());
  CHECK(reg.record_job_progress("j999999", 1, 0.5, "w1").error().code == mf::errc::not_found);
}

TEST_CASE_TEMPLATE_DEFINE("registry: nodes, placement, leases", F, registry_cluster) {
  using namespace mf::cluster;
  using mf::cluster::test::state_of;
  F fixture;
  registry& reg = fixture.reg();

  node_record w1;
  w1.node = "w1";
  w1.role = "worker";
  w1.address = "tcp://127.0.0.1:5555";
  w1.models_loaded = 4;
  w1.memory_budget_bytes = std::int64_t{3} << 30;
  REQUIRE(reg.heartbeat(w1, 60000));
  node_record w2 = w1;
  w2.node = "w2";
  REQUIRE(reg.heartbeat(w2, 150));
  auto nodes = reg.list_nodes();
  REQUIRE(nodes);
  REQUIRE(nodes->size() == 2);
  CHECK((*nodes)[0].node == "w1");
  CHECK((*nodes)[0].address == "tcp://127.0.0.1:5555");
  CHECK((*nodes)[0].models_loaded == 4);
  CHECK((*nodes)[0].memory_budget_bytes == std::int64_t{3} << 30);
  CHECK((*nodes)[0].last_heartbeat > 0);
  CHECK((*nodes)[0].state == node_state::up);
  // w2 stops beating: it shows as down once its TTL passed, but stays listed.
  CHECK(mf::test::wait_until([&] { return state_of(reg, "w2") == node_state::down; },
                             std::chrono::milliseconds(5000)));
  CHECK(state_of(reg, "w1") == node_state::up);
  REQUIRE(reg.heartbeat(w2, 60000));
  CHECK(state_of(reg, "w2") == node_state::up);

  REQUIRE(reg.set_draining("w1", true));
  CHECK(state_of(reg, "w1") == node_state::draining);
  REQUIRE(reg.heartbeat(w1, 60000));  // a heartbeat does not clear the drain flag
  CHECK(state_of(reg, "w1") == node_state::draining);
  REQUIRE(reg.set_draining("w1", false));
  CHECK(state_of(reg, "w1") == node_state::up);
  CHECK(reg.set_draining("w9", true).error().code == mf::errc::not_found);
  REQUIRE(reg.remove_node("w2"));
  CHECK(reg.list_nodes()->size() == 1);

  // Placement with epoch fencing.
  auto p0 = reg.get_placement();
  REQUIRE(p0);
  CHECK(p0->epoch == 0);
  placement p;
  p.epoch = 1;
  p.replicas = 2;
  p.tenants = {{"t1", {"w1", "w2"}}, {"t2", {"w2", "w1"}}};
  REQUIRE(reg.put_placement(p));
  CHECK(*reg.get_placement() == p);
  CHECK(reg.put_placement(p).error().code == mf::errc::conflict);
  placement stale = p;
  stale.epoch = 0;
  CHECK(reg.put_placement(stale).error().code == mf::errc::conflict);
  p.epoch = 5;
  p.tenants.erase("t2");
  REQUIRE(reg.put_placement(p));
  CHECK(*reg.get_placement() == p);

  // Leader lease: one owner at a time, a fresh epoch per acquisition.
  auto e1 = reg.try_acquire_lease("coordinator", "A", 60000);
  REQUIRE(e1);
  CHECK(reg.try_acquire_lease("coordinator", "B", 60000).error().code == mf::errc::conflict);
  CHECK(mf::test::value_of(reg.try_acquire_lease("coordinator", "A", 60000)) == *e1);
  REQUIRE(reg.renew_lease("coordinator", "A", 60000));
  CHECK(reg.renew_lease("coordinator", "B", 60000).error().code == mf::errc::conflict);
  REQUIRE(reg.release_lease("coordinator", "B"));  // not the owner: no effect
  CHECK(reg.try_acquire_lease("coordinator", "B", 60000).error().code == mf::errc::conflict);
  REQUIRE(reg.release_lease("coordinator", "A"));
  auto e2 = reg.try_acquire_lease("coordinator", "B", 150);
  REQUIRE(e2);
  CHECK(*e2 == *e1 + 1);
  // B dies (stops renewing): A gets it after the TTL, with a newer epoch.
  std::int64_t e3 = 0;
  CHECK(mf::test::wait_until(
      [&] {
        auto e = reg.try_acquire_lease("coordinator", "A", 60000);
        if (e) e3 = *e;
        return e.has_value();
      },
      std::chrono::milliseconds(5000)));
  CHECK(e3 == *e2 + 1);
  CHECK(reg.renew_lease("coordinator", "B", 60000).error().code == mf::errc::conflict);
}
