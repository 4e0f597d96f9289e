// messages: the atoms and message types exchanged between the worker's actors and threads.
// Value types (copied into CAF messages); the shared_ptrs inside point to immutable or thread-safe
// data.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>

#include "actors/cache_entry.hpp"
#include "actors/model_key.hpp"
#include "actors/model_source.hpp"
#include "common/error.hpp"
#include "protocol/messages.hpp"

namespace mf::actors {

using load_atom = caf::atom_constant<caf::atom("load")>;
using describe_atom = caf::atom_constant<caf::atom("describe")>;
using activate_atom = caf::atom_constant<caf::atom("activate")>;
using remove_atom = caf::atom_constant<caf::atom("remove")>;
using evict_atom = caf::atom_constant<caf::atom("evict")>;
using drop_tenant_atom = caf::atom_constant<caf::atom("droptenant")>;
using placement_atom = caf::atom_constant<caf::atom("placement")>;
using pin_atom = caf::atom_constant<caf::atom("pin")>;
using quota_atom = caf::atom_constant<caf::atom("quota")>;
using stats_atom = caf::atom_constant<caf::atom("stats")>;
using tick_atom = caf::atom_constant<caf::atom("tick")>;
using predict_atom = caf::atom_constant<caf::atom("predict")>;
using train_atom = caf::atom_constant<caf::atom("train")>;
using cancel_atom = caf::atom_constant<caf::atom("cancel")>;
using done_atom = caf::atom_constant<caf::atom("done")>;
using beat_atom = caf::atom_constant<caf::atom("beat")>;
using poll_atom = caf::atom_constant<caf::atom("poll")>;
using publish_atom = caf::atom_constant<caf::atom("publish")>;
using expire_atom = caf::atom_constant<caf::atom("expire")>;

// A request for a lease: version < 0 = the active version. With a deadline, a waiter whose
// model is still loading then gets deadline_exceeded from the host (why not a CAF request
// timeout: every timed request registers with CAF's clock thread, whose wake-ups were ~10 % of
// the worker's CPU in W2 although nearly every lease is answered at once).
struct lease_request {
  model_ref ref;
  std::int64_t version = -1;
  std::optional<std::chrono::steady_clock::time_point> deadline;
};

// Answer to a lease_request: `entry` set on success, else `error` says why.
struct lease_reply {
  lease entry;
  mf::error error;
};

// Result of a loader thread's work (expected<> is not default-constructible, CAF wants that).
struct load_outcome {
  loaded_model model;
  mf::error error;
  bool ok = false;
};

struct describe_outcome {
  std::string tenant;
  tenant_facts facts;
  mf::error error;
  bool ok = false;
};

// What the host reports for /metrics, heartbeats and tests.
struct host_stats {
  std::size_t models_loaded = 0;
  std::size_t memory_bytes = 0;
  std::size_t retired_bytes = 0;
  std::size_t budget_bytes = 0;
  std::size_t loads_pending = 0;
  std::size_t waiters = 0;  // requests waiting on pending loads
  std::size_t tenants = 0;  // tenants placed here
  std::vector<model_key> resident;
  std::vector<model_ref> active;
};

// A predict request on its way through the worker; `route` is the opaque reply address the
// socket thread understands (the ROUTER identity).
struct predict_job {
  std::string route;
  mf::protocol::predict_request request;
  std::chrono::steady_clock::time_point received;
};
using predict_job_ptr = std::shared_ptr<predict_job>;

// The requests of one predictBatchRequest frame (or one chunk of a big one), served by one
// predictor in one message: the answers it can give at once go back as one predictBatchReply,
// so a burst costs one hand-off each way instead of one per request.
struct predict_batch_job {
  std::string route;
  std::vector<mf::protocol::predict_request> requests;
  std::chrono::steady_clock::time_point received;
};
using predict_batch_job_ptr = std::shared_ptr<predict_batch_job>;

struct train_job {
  std::string route;
  std::string sender;
  mf::protocol::train_assign assign;
};

}  // namespace mf::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(mf::actors::model_key)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(mf::actors::model_ref)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(mf::actors::lease_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(mf::actors::lease_reply)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(mf::actors::load_outcome)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(mf::actors::describe_outcome)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(mf::actors::host_stats)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(mf::actors::predict_job_ptr)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(mf::actors::predict_batch_job_ptr)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(mf::actors::train_job)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(mf::protocol::train_cancel)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(mf::protocol::train_result)
