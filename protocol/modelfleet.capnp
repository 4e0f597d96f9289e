# modelfleet.capnp: every message exchanged between ModelFleet processes over ZeroMQ.
# One frame = one Envelope (standard unpacked Cap'n Proto serialization, segment table first).
#
# Evolution rules (docs/protocol.md): fields and union members are only ever appended with the
# next free ordinal; an ordinal is never reused or retyped; a removed field is renamed
# `obsoleteX` and left in place; enums only gain enumerants at the end.
@0xc3d212e05e33999d;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("mf::protocol::wire");

# A failure. `code` is the numeric value of mf::errc (common/error.hpp), which maps 1:1 to the
# REST API's error codes; unknown codes decode as `internal`.
struct Error {
  code @0 :UInt16;
  message @1 :Text;
}

# ---- prediction ---------------------------------------------------------------------------

struct PredictRequest {
  model @0 :Text;
  version :union {
    active @1 :Void;      # the tenant's active version
    pinned @2 :Int64;     # exactly this version
  }
  nFeatures @3 :UInt32;
  features @4 :List(Float64);   # row-major, rows = len(features) / nFeatures
}

struct PredictReply {
  model @0 :Text;
  servedVersion @1 :Int64;
  predictions @2 :List(Float64);     # one per row
  probabilities @3 :List(Float64);   # row-major, nProbColumns per row; empty if none
  nProbColumns @4 :UInt32;
  error @5 :Error;                   # set when the prediction failed; other fields then unset
}

# Several predictions in one frame (router -> worker: requests; worker -> router: replies), so a
# burst of requests to one worker pays one ZeroMQ message and one thread hand-off per hop
# instead of one per request. Each item is a whole Envelope (its header carries the item's
# requestId, deadline and tenant) whose body is a predictRequest in a predictBatchRequest and a
# predictReply in a predictBatchReply; items are answered, and may be answered, one by one or in
# batches, in any order. Sent only to workers that announced protocol level 2 (docs/protocol.md).
struct PredictBatch {
  items @0 :List(Envelope);
}

# ---- training -----------------------------------------------------------------------------

struct Param {
  name @0 :Text;
  value @1 :Float64;
}

struct Metric {
  name @0 :Text;
  value @1 :Float64;
}

struct Dataset {
  nFeatures @0 :UInt32;
  features @1 :List(Float64);   # row-major
  labels @2 :List(Float64);     # one per row; empty for unsupervised algorithms (kmeans)
}

struct TrainAssign {
  jobId @0 :Text;
  tenant @1 :Text;
  model @2 :Text;
  algorithm @3 :Text;
  params @4 :List(Param);
  dataset @5 :Dataset;
  validationSplit @6 :Float64;
  seed @7 :UInt64;
  attempt @8 :UInt32;
  artifactKey @9 :Text;         # where the worker writes the artifact in the blob store
  datasetKey @10 :Text;         # if set: the rows are this blob ("<tenant>/_datasets/<job>.json"), dataset is empty
}

struct TrainProgress {
  jobId @0 :Text;
  attempt @1 :UInt32;
  progress @2 :Float64;         # 0.0 .. 1.0
}

struct TrainResult {
  jobId @0 :Text;
  attempt @1 :UInt32;
  error @2 :Error;              # set when the job failed (or was cancelled)
  metrics @3 :List(Metric);
  primaryMetric @4 :Text;
  artifactKey @5 :Text;
  sizeBytes @6 :UInt64;
  sha256 @7 :Text;              # lowercase hex of the artifact
  algorithm @8 :Text;           # the one chosen (differs from the request for `auto`)
  nFeatures @9 :UInt32;
}

struct TrainCancel {
  jobId @0 :Text;
}

# ---- models, placement, nodes -----------------------------------------------------------

struct ModelEvent {
  enum Kind {
    activate @0;
    delete @1;
    evict @2;
    deleteTenant @3;
  }
  kind @0 :Kind;
  tenant @1 :Text;
  model @2 :Text;               # empty for deleteTenant
  version @3 :Int64;            # 0 = every version (delete of a whole model)
}

struct PlacementChanged {
  epoch @0 :UInt64;
}

struct NodeInfo {
  enum Role {
    router @0;
    worker @1;
    coordinator @2;
  }
  enum State {
    up @0;
    draining @1;
    down @2;
  }
  node @0 :Text;
  role @1 :Role;
  state @2 :State;
  address @3 :Text;             # ZeroMQ endpoint others connect to, e.g. tcp://10.0.0.5:7100
  tenants @4 :UInt32;
  modelsLoaded @5 :UInt32;
  memoryBytes @6 :UInt64;
  memoryBudget @7 :UInt64;
  inflight @8 :UInt32;
  trainSlots @9 :UInt32;
  trainSlotsFree @10 :UInt32;
  unixMs @11 :Int64;            # sender's clock when the info was taken
}

struct ModelRef {
  tenant @0 :Text;
  model @1 :Text;
  version @2 :Int64;            # 0 = the active version
}

struct LoadedModel {
  tenant @0 :Text;
  model @1 :Text;
  version @2 :Int64;
  memoryBytes @3 :UInt64;
  lastUsedUnixMs @4 :Int64;
}

struct WorkerStats {
  info @0 :NodeInfo;
  models @1 :List(LoadedModel);
}

struct NodeRef {
  node @0 :Text;
}

# ---- the frame --------------------------------------------------------------------------

struct Envelope {
  requestId @0 :UInt64;         # echoed in the reply; 0 for one-way messages
  deadlineUnixMs @1 :Int64;     # absolute, sender's clock; 0 = none
  tenant @2 :Text;              # the tenant the message is about (may be empty)
  sender @3 :Text;              # node id of the sender
  epoch @4 :UInt64;             # placement epoch the sender acted on, where relevant

  body :union {
    unset @5 :Void;             # a zeroed or empty frame: always rejected
    error @6 :Error;            # reply to any request that failed
    predictRequest @7 :PredictRequest;
    predictReply @8 :PredictReply;
    trainAssign @9 :TrainAssign;
    trainProgress @10 :TrainProgress;
    trainResult @11 :TrainResult;
    trainCancel @12 :TrainCancel;
    modelEvent @13 :ModelEvent;
    placementChanged @14 :PlacementChanged;
    nodeHeartbeat @15 :NodeInfo;
    nodeInfoRequest @16 :Void;
    nodeInfo @17 :NodeInfo;
    ping @18 :Void;
    pong @19 :Void;
    workerStatsRequest @20 :Void;
    workerStatsReply @21 :WorkerStats;
    drainNode @22 :NodeRef;     # to the coordinator
    undrainNode @23 :NodeRef;   # to the coordinator
    loadModel @24 :ModelRef;    # to a worker: load (or keep) this model in memory
    evictModel @25 :ModelRef;   # to a worker: drop it from memory
    ack @26 :Void;              # success reply to an admin call
    predictBatchRequest @27 :PredictBatch;   # router -> worker, protocol level 2
    predictBatchReply @28 :PredictBatch;     # worker -> router
  }
}
