// sample_messages: one fully populated envelope of every body kind, for round-trip tests,
// garbage mutation and the fuzz seed corpus. Pure functions; thread-safe.
#pragma once

#include <vector>

#include "protocol/messages.hpp"

namespace mf::protocol::test {

inline node_info sample_node_info() {
  return node_info{"w1",
                   node_role::worker,
                   node_state::draining,
                   "tcp://10.0.0.5:7100",
                   12,
                   30,
                   1u << 30,
                   4ull << 30,
                   3,
                   2,
                   1,
                   1'700'000'000'123};
}

inline std::vector<envelope> sample_envelopes() {
  const header head{42, 1'700'000'001'000, "t1", "router-a", 17};
  std::vector<envelope> out;
  out.push_back({head, mf::error{mf::errc::not_found, "model churn not found"}});
  out.push_back(
      {head, predict_request{
                 42, 1'700'000'001'000, "t1", "churn", 3, 3, {0.1, 2.3, 1.0, 0.5, 1.1, 0.0}}});
  out.push_back(
      {head, predict_request{42, 1'700'000'001'000, "t1", "churn", std::nullopt, 2, {1.5, -2.5}}});
  out.push_back({head, predict_reply{42, "churn", 3, {1, 0}, {0.91, 0.09, 0.12, 0.88}, 2, {}}});
  out.push_back(
      {head,
       predict_reply{
           42, "churn", 0, {}, {}, 0, mf::error{mf::errc::invalid_input, "expected 3 features"}}});
  out.push_back({head, train_assign{"job-1",
                                    "t1",
                                    "churn",
                                    "logistic_regression",
                                    {{"c", 1.0}, {"epsilon", 0.001}},
                                    2,
                                    {0.1, 2.3, 0.7, 0.2, 1.0, 1.0},
                                    {1, 0, 1},
                                    0.2,
                                    99,
                                    2,
                                    "models/t1/churn/7.mfm.tmp",
                                    ""}});
  out.push_back({head, train_progress{"job-1", 2, 0.42}});
  out.push_back(
      {head, train_result{"job-1",
                          2,
                          std::nullopt,
                          {{"accuracy", 0.93}, {"auc", 0.97}},
                          "auc",
                          "models/t1/churn/7.mfm",
                          2048,
                          "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
                          "logistic_regression",
                          3}});
  out.push_back(
      {head,
       train_result{
           "job-2", 1, mf::error{mf::errc::cancelled, "cancelled"}, {}, "", "", 0, "", "", 0}});
  out.push_back({head, train_cancel{"job-1"}});
  out.push_back({head, model_event{model_event_kind::activate, "t1", "churn", 7}});
  out.push_back({head, model_event{model_event_kind::remove_tenant, "t2", "", 0}});
  out.push_back({head, placement_changed{18}});
  out.push_back({head, node_heartbeat{sample_node_info()}});
  out.push_back({head, node_info_request{}});
  out.push_back({head, sample_node_info()});
  out.push_back({head, ping{}});
  out.push_back({head, pong{}});
  out.push_back({head, worker_stats_request{}});
  out.push_back({head, worker_stats{sample_node_info(),
                                    {{"t1", "churn", 3, 4096, 1'700'000'000'000},
                                     {"t2", "fraud", 1, 8192, 1'700'000'000'500}}}});
  out.push_back({head, drain_node{"w2"}});
  out.push_back({head, undrain_node{"w2"}});
  out.push_back({head, load_model{{"t1", "churn", 3}}});
  out.push_back({head, evict_model{{"t1", "churn", 0}}});
  out.push_back({head, ack{}});
  out.push_back(
      {head,
       predict_batch_request{
           {predict_request{7, 1'700'000'001'000, "t1", "churn", std::nullopt, 2, {1.5, -2.5}},
            predict_request{8, 1'700'000'002'000, "t2", "fraud", 4, 1, {0.5, 0.25, 3.0}}}}});
  out.push_back({head, predict_batch_reply{{predict_reply{7, "churn", 3, {1}, {0.1, 0.9}, 2, {}},
                                            predict_reply{8,
                                                          "fraud",
                                                          0,
                                                          {},
                                                          {},
                                                          0,
                                                          mf::error{mf::errc::invalid_input,
                                                                    "expected 3 features"}}}}});
  return out;
}

}  // namespace mf::protocol::test
