// The behaviour every blob_store must show (doctest templates), instantiated with the fs store
// (unit test) and the redis store (integration test). Not thread-safe.
#pragma once

#include <doctest/doctest.h>

#include "tests/support/value_of.hpp"

#include <string>

#include "cluster/blob_store.hpp"

TEST_CASE_TEMPLATE_DEFINE("blob store: put, get, remove, hostile names", F, blob_store_suite) {
  using namespace mf::cluster;
  F fixture;
  blob_store& store = fixture.store();
  const artifact_key k1{"acme", "churn", 1};
  const artifact_key k2{"acme", "churn", 2};
  const artifact_key k3{"acme", "other", 1};
  const artifact_key k4{"beta", "churn", 1};
  std::string bytes("\x00\x01mfm\xff binary", 12);

  CHECK(store.get(k1, 1 << 20).error().code == mf::errc::not_found);
  CHECK(mf::test::value_of(store.exists(k1)) == false);
  REQUIRE(store.put(k1, bytes));
  CHECK(mf::test::value_of(store.exists(k1)) == true);
  CHECK(mf::test::value_of(store.get(k1, 1 << 20)) == bytes);
  CHECK(mf::test::value_of(store.get(k1, bytes.size())) == bytes);
  CHECK(store.get(k1, bytes.size() - 1).error().code == mf::errc::payload_too_large);
  REQUIRE(store.put(k1, "replaced"));  // overwrite is whole-or-nothing
  CHECK(mf::test::value_of(store.get(k1, 100)) == std::string("replaced"));
  REQUIRE(store.put(k1, ""));
  CHECK(mf::test::value_of(store.get(k1, 100)) == std::string());
  CHECK(mf::test::value_of(store.exists(k1)) == true);

  REQUIRE(store.put(k2, "two"));
  REQUIRE(store.put(k3, "three"));
  REQUIRE(store.put(k4, "four"));
  REQUIRE(store.remove(k2));
  CHECK(mf::test::value_of(store.exists(k2)) == false);
  REQUIRE(store.remove(k2));  // absent: fine

  REQUIRE(store.remove_prefix("acme", "churn"));
  CHECK(mf::test::value_of(store.exists(k1)) == false);
  CHECK(mf::test::value_of(store.exists(k3)) == true);
  REQUIRE(store.remove_prefix("acme"));
  CHECK(mf::test::value_of(store.exists(k3)) == false);
  CHECK(mf::test::value_of(store.get(k4, 100)) ==
        std::string("four"));  // another tenant is untouched
  REQUIRE(store.remove_prefix("nobody"));

  for (std::string bad :
       std::vector<std::string>{"..", ".", "", "../../etc", "a/b", "/abs", "a\\b", ".hidden",
                                std::string("a\0b", 3), std::string(65, 'x')}) {
    CAPTURE(bad);
    CHECK(store.put({bad, "m", 1}, "x").error().code == mf::errc::invalid_name);
    CHECK(store.put({"t", bad, 1}, "x").error().code == mf::errc::invalid_name);
    CHECK(store.get({bad, "m", 1}, 10).error().code == mf::errc::invalid_name);
    CHECK(store.remove({"t", bad, 1}).error().code == mf::errc::invalid_name);
    CHECK(store.remove_prefix(bad).error().code == mf::errc::invalid_name);
  }
  CHECK(store.put({"t", "m", 0}, "x").error().code == mf::errc::invalid_input);
  CHECK(store.put({"t", "m", -3}, "x").error().code == mf::errc::invalid_input);
  CHECK(mf::test::value_of(blob_path({"acme", "churn", 12})) == std::string("acme/churn/12.mfm"));
}

TEST_CASE_TEMPLATE_DEFINE("blob store: datasets beside artifacts", F, blob_store_dataset_suite) {
  using namespace mf::cluster;
  F fixture;
  blob_store& store = fixture.store();
  const dataset_key d1{"acme", "j1"};
  const dataset_key d2{"acme", "j2"};
  const artifact_key a1{"acme", "churn", 1};
  CHECK(store.get(d1, 1 << 20).error().code == mf::errc::not_found);
  REQUIRE(store.put(d1, R"({"features":[[1]]})"));
  REQUIRE(store.put(d2, "two"));
  REQUIRE(store.put(a1, "artifact"));
  CHECK(mf::test::value_of(store.get(d1, 100)) == std::string(R"({"features":[[1]]})"));
  CHECK(store.get(d1, 3).error().code == mf::errc::payload_too_large);
  // Removing a model's artifacts leaves datasets alone; removing one dataset leaves the rest.
  REQUIRE(store.remove_prefix("acme", "churn"));
  CHECK(store.get(d1, 100).has_value());
  REQUIRE(store.remove(d1));
  CHECK(store.get(d1, 100).error().code == mf::errc::not_found);
  REQUIRE(store.remove(d1));  // absent: fine
  CHECK(mf::test::value_of(store.get(d2, 100)) == std::string("two"));
  // Deleting the tenant removes its datasets.
  REQUIRE(store.remove_prefix("acme"));
  CHECK(store.get(d2, 100).error().code == mf::errc::not_found);

  for (std::string bad : std::vector<std::string>{"..", "", "a/b", "_x", std::string(65, 'x')}) {
    CAPTURE(bad);
    CHECK(store.put(dataset_key{"acme", bad}, "x").error().code == mf::errc::invalid_name);
    CHECK(store.put(dataset_key{bad, "j1"}, "x").error().code == mf::errc::invalid_name);
  }
  CHECK(mf::test::value_of(dataset_path({"acme", "j12"})) ==
        std::string("acme/_datasets/j12.json"));
  CHECK(mf::test::value_of(parse_dataset_path("acme/_datasets/j12.json")) ==
        dataset_key{"acme", "j12"});
  for (const char* bad :
       {"acme/_datasets/j12", "acme/m/j12.json", "../_datasets/j1.json", "acme/_datasets/a/b.json",
        "/_datasets/j1.json", "acme/_datasets/.json"}) {
    CAPTURE(bad);
    CHECK(parse_dataset_path(bad).error().code == mf::errc::invalid_input);
  }
}
