// Pure rules of the coordinator: staged placement moves, epoch fencing arithmetic, retention,
// activation policy and training-request parsing.
#include <doctest/doctest.h>

#include "actors/coordinator/job_scheduler.hpp"
#include "actors/coordinator/placement_manager.hpp"
#include "actors/coordinator/retention.hpp"

using namespace mf::coordinator;
using clock_t_ = std::chrono::steady_clock;

TEST_CASE("a move keeps the old live owner until the grace period ends, new owner first") {
  std::map<std::string, pending_move> moves;
  const auto t0 = clock_t_::now();
  const tenant_nodes current{{"t1", {"w1", "w2"}}};
  const tenant_nodes target{{"t1", {"w3", "w2"}}};
  auto staged = stage_placement(current, target, {"w1", "w2", "w3"}, moves, t0,
                                std::chrono::milliseconds(1000));
  CHECK(staged.at("t1") == std::vector<std::string>{"w3", "w2", "w1"});
  CHECK(moves.size() == 1);
  // Still within grace: unchanged.
  staged = stage_placement(staged, target, {"w1", "w2", "w3"}, moves,
                           t0 + std::chrono::milliseconds(500), std::chrono::milliseconds(1000));
  CHECK(staged.at("t1") == std::vector<std::string>{"w3", "w2", "w1"});
  // After grace: the old owner is dropped.
  staged = stage_placement(staged, target, {"w1", "w2", "w3"}, moves,
                           t0 + std::chrono::milliseconds(1000), std::chrono::milliseconds(1000));
  CHECK(staged.at("t1") == std::vector<std::string>{"w3", "w2"});
  CHECK(moves.empty());
}

TEST_CASE("dead owners are dropped at once and additions need no staging") {
  std::map<std::string, pending_move> moves;
  const auto t0 = clock_t_::now();
  const tenant_nodes current{{"t1", {"w1", "w2"}}, {"t2", {"w1"}}};
  const tenant_nodes target{{"t1", {"w2", "w3"}}, {"t2", {"w1", "w3"}}, {"t3", {"w3"}}};
  auto staged = stage_placement(current, target, {"w2", "w3"} /* w1 died */, moves, t0,
                                std::chrono::milliseconds(1000));
  CHECK(staged.at("t1") == std::vector<std::string>{"w2", "w3"});
  CHECK(staged.at("t2") == std::vector<std::string>{"w1", "w3"});
  CHECK(staged.at("t3") == std::vector<std::string>{"w3"});
  CHECK(moves.empty());
}

TEST_CASE("a deleted tenant disappears and its move is forgotten") {
  std::map<std::string, pending_move> moves;
  const auto t0 = clock_t_::now();
  auto staged = stage_placement({{"t1", {"w1"}}}, {{"t1", {"w2"}}}, {"w1", "w2"}, moves, t0,
                                std::chrono::milliseconds(1000));
  CHECK(moves.size() == 1);
  staged = stage_placement(staged, {}, {"w1", "w2"}, moves, t0, std::chrono::milliseconds(1000));
  CHECK(staged.empty());
  CHECK(moves.empty());
}

TEST_CASE("placement epochs of a newer lease always win; a deposed leader is fenced") {
  auto first = next_placement_epoch(0, 1);
  REQUIRE(first);
  CHECK(*first == epoch_stride + 1);
  auto second = next_placement_epoch(*first, 1);
  REQUIRE(second);
  CHECK(*second == *first + 1);
  auto newer = next_placement_epoch(*second, 2);
  REQUIRE(newer);
  CHECK(*newer > *second);
  auto deposed = next_placement_epoch(*newer, 1);
  REQUIRE_FALSE(deposed);
  CHECK(deposed.error().code == mf::errc::conflict);
}

TEST_CASE("retention keeps the newest K and the active version") {
  CHECK(versions_to_prune({1, 2, 3, 4, 5}, 5, 3) == std::vector<std::int64_t>{1, 2});
  CHECK(versions_to_prune({1, 2, 3, 4, 5}, 1, 3) == std::vector<std::int64_t>{2});
  CHECK(versions_to_prune({1, 2, 3}, 0, 10).empty());
  CHECK(versions_to_prune({5, 3, 9, 1}, 0, 1) == std::vector<std::int64_t>{1, 3, 5});
}

TEST_CASE("activation policy: always, never, if_better by the primary metric") {
  mf::cluster::version_record active;
  active.metrics = {{"accuracy", 0.9}, {"rmse", 2.0}};
  CHECK(should_activate("always", {{"accuracy", 0.1}}, "accuracy", &active));
  CHECK_FALSE(should_activate("never", {{"accuracy", 1.0}}, "accuracy", nullptr));
  CHECK(should_activate("if_better", {{"accuracy", 0.5}}, "accuracy", nullptr));
  CHECK(should_activate("if_better", {{"accuracy", 0.95}}, "accuracy", &active));
  CHECK_FALSE(should_activate("if_better", {{"accuracy", 0.85}}, "accuracy", &active));
  // Lower is better for rmse.
  CHECK(should_activate("if_better", {{"rmse", 1.5}}, "rmse", &active));
  CHECK_FALSE(should_activate("if_better", {{"rmse", 2.5}}, "rmse", &active));
}

TEST_CASE("training requests parse from the API body and reject bad shapes") {
  auto r = parse_train_request(
      R"({"algorithm":"linear_regression","params":{"lambda":0.5},"validation_split":0.3,)"
      R"("data":{"features":[[1,2],[3,4],[5,6]],"labels":[1,2,3]}})");
  REQUIRE(r);
  CHECK(r->n_features == 2);
  CHECK(r->features == std::vector<double>{1, 2, 3, 4, 5, 6});
  CHECK(r->labels == std::vector<double>{1, 2, 3});
  CHECK(r->validation_split == doctest::Approx(0.3));
  REQUIRE(r->params.size() == 1);
  CHECK(r->params[0].name == "lambda");
  auto bare = parse_train_request(R"({"features":[[1],[2]]})");
  REQUIRE(bare);
  CHECK(bare->labels.empty());
  CHECK_FALSE(parse_train_request(R"({"data":{"features":[[1,2],[3]]}})"));
  CHECK_FALSE(parse_train_request(R"({"data":{"features":[["x"]]}})"));
  CHECK_FALSE(parse_train_request("not json"));
  CHECK_FALSE(parse_train_request(R"([1,2])"));
}
