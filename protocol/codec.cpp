// codec: see codec.hpp. to_wire_* write one body kind; from_wire_* read and validate one, so
// every sanity rule on a field sits next to the line that reads it.
#include "protocol/codec.hpp"

#include <cmath>
#include <cstring>
#include <exception>
#include <string>
#include <type_traits>

#include <capnp/any.h>
#include <capnp/message.h>

namespace mf::protocol {
namespace {

using wire_body = wire::Envelope::Body;

// ---- helpers ------------------------------------------------------------------------------

kj::StringPtr text(const std::string& s) {
  return kj::StringPtr(s.c_str(), s.size());
}
std::string str(capnp::Text::Reader t) {
  return std::string(t.begin(), t.size());
}

mf::error invalid(std::string what) {
  return mf::make_error(mf::errc::invalid_input, std::move(what));
}

void put_doubles(capnp::List<double>::Builder out, const std::vector<double>& in) {
  for (capnp::uint i = 0; i < in.size(); ++i) out.set(i, in[i]);
}

std::vector<double> get_doubles(capnp::List<double>::Reader in) {
  std::vector<double> out(in.size());
  capnp::AnyList::Reader any(in);
  // A List(Float64) on the wire is normally a packed array of 8-byte values: copy it in one
  // go. An older/foreign writer may send a struct list instead; fall back to per-element reads.
  if (any.getElementSize() == capnp::ElementSize::EIGHT_BYTES) {
    auto bytes = any.getRawBytes();
    if (bytes.size() == out.size() * sizeof(double)) {
      if (!out.empty()) std::memcpy(out.data(), bytes.begin(), bytes.size());
      return out;
    }
  }
  for (capnp::uint i = 0; i < in.size(); ++i) out[i] = in[i];
  return out;
}

bool all_finite(const std::vector<double>& v) {
  for (double x : v) {
    if (!std::isfinite(x)) return false;
  }
  return true;
}

void put_error(wire::Error::Builder out, const mf::error& e) {
  out.setCode(static_cast<std::uint16_t>(e.code));
  out.setMessage(text(e.message));
}

mf::error get_error(wire::Error::Reader in) {
  return mf::error{mf::errc_from_number(in.getCode()), str(in.getMessage())};
}

// rows × n_features layout check shared by predict and train.
mf::expected<std::size_t> check_matrix(std::uint32_t n_features, std::size_t values,
                                       std::size_t max_rows, const char* what) {
  if (n_features == 0) return invalid(std::string(what) + ": nFeatures is 0");
  if (n_features > max_features) {
    return invalid(std::string(what) + ": nFeatures " + std::to_string(n_features) + " exceeds " +
                   std::to_string(max_features));
  }
  if (values % n_features != 0) {
    return invalid(std::string(what) + ": " + std::to_string(values) +
                   " feature values are not a multiple of nFeatures " + std::to_string(n_features));
  }
  const std::size_t rows = values / n_features;
  if (rows == 0) return invalid(std::string(what) + ": no rows");
  if (rows > max_rows) {
    return invalid(std::string(what) + ": " + std::to_string(rows) + " rows exceed " +
                   std::to_string(max_rows));
  }
  return rows;
}

// ---- writers ------------------------------------------------------------------------------

void put_node_info(wire::NodeInfo::Builder out, const node_info& in) {
  out.setNode(text(in.node));
  out.setRole(static_cast<wire::NodeInfo::Role>(in.role));
  out.setState(static_cast<wire::NodeInfo::State>(in.state));
  out.setAddress(text(in.address));
  out.setTenants(in.tenants);
  out.setModelsLoaded(in.models_loaded);
  out.setMemoryBytes(in.memory_bytes);
  out.setMemoryBudget(in.memory_budget);
  out.setInflight(in.inflight);
  out.setTrainSlots(in.train_slots);
  out.setTrainSlotsFree(in.train_slots_free);
  out.setUnixMs(in.unix_ms);
}

void put_model_ref(wire::ModelRef::Builder out, const model_ref& in) {
  out.setTenant(text(in.tenant));
  out.setModel(text(in.model));
  out.setVersion(in.version);
}

struct body_writer {
  wire::Envelope::Builder env;

  void operator()(const mf::error& e) { put_error(env.getBody().initError(), e); }
  void operator()(const predict_request& r) {
    auto out = env.getBody().initPredictRequest();
    out.setModel(text(r.model));
    if (r.version) {
      out.getVersion().setPinned(*r.version);
    } else {
      out.getVersion().setActive();
    }
    out.setNFeatures(r.n_features);
    put_doubles(out.initFeatures(static_cast<capnp::uint>(r.features.size())), r.features);
  }
  void operator()(const predict_reply& r) {
    auto out = env.getBody().initPredictReply();
    out.setModel(text(r.model));
    out.setServedVersion(r.version);
    if (r.error) {
      put_error(out.initError(), *r.error);
      return;
    }
    put_doubles(out.initPredictions(static_cast<capnp::uint>(r.predictions.size())), r.predictions);
    put_doubles(out.initProbabilities(static_cast<capnp::uint>(r.probabilities.size())),
                r.probabilities);
    out.setNProbColumns(r.n_prob_columns);
  }
  void operator()(const train_assign& a) {
    auto out = env.getBody().initTrainAssign();
    out.setJobId(text(a.job_id));
    out.setTenant(text(a.tenant));
    out.setModel(text(a.model));
    out.setAlgorithm(text(a.algorithm));
    auto params = out.initParams(static_cast<capnp::uint>(a.params.size()));
    for (capnp::uint i = 0; i < a.params.size(); ++i) {
      params[i].setName(text(a.params[i].name));
      params[i].setValue(a.params[i].value);
    }
    auto data = out.initDataset();
    data.setNFeatures(a.n_features);
    put_doubles(data.initFeatures(static_cast<capnp::uint>(a.features.size())), a.features);
    put_doubles(data.initLabels(static_cast<capnp::uint>(a.labels.size())), a.labels);
    out.setValidationSplit(a.validation_split);
    out.setSeed(a.seed);
    out.setAttempt(a.attempt);
    out.setArtifactKey(text(a.artifact_key));
    out.setDatasetKey(text(a.dataset_key));
  }
  void operator()(const train_progress& p) {
    auto out = env.getBody().initTrainProgress();
    out.setJobId(text(p.job_id));
    out.setAttempt(p.attempt);
    out.setProgress(p.progress);
  }
  void operator()(const train_result& r) {
    auto out = env.getBody().initTrainResult();
    out.setJobId(text(r.job_id));
    out.setAttempt(r.attempt);
    if (r.error) put_error(out.initError(), *r.error);
    auto metrics = out.initMetrics(static_cast<capnp::uint>(r.metrics.size()));
    for (capnp::uint i = 0; i < r.metrics.size(); ++i) {
      metrics[i].setName(text(r.metrics[i].name));
      metrics[i].setValue(r.metrics[i].value);
    }
    out.setPrimaryMetric(text(r.primary_metric));
    out.setArtifactKey(text(r.artifact_key));
    out.setSizeBytes(r.size_bytes);
    out.setSha256(text(r.sha256));
    out.setAlgorithm(text(r.algorithm));
    out.setNFeatures(r.n_features);
  }
  void operator()(const train_cancel& c) {
    env.getBody().initTrainCancel().setJobId(text(c.job_id));
  }
  void operator()(const model_event& e) {
    auto out = env.getBody().initModelEvent();
    out.setKind(static_cast<wire::ModelEvent::Kind>(e.kind));
    out.setTenant(text(e.tenant));
    out.setModel(text(e.model));
    out.setVersion(e.version);
  }
  void operator()(const placement_changed& p) {
    env.getBody().initPlacementChanged().setEpoch(p.epoch);
  }
  void operator()(const node_heartbeat& h) {
    put_node_info(env.getBody().initNodeHeartbeat(), h.info);
  }
  void operator()(const node_info_request&) { env.getBody().setNodeInfoRequest(); }
  void operator()(const node_info& n) { put_node_info(env.getBody().initNodeInfo(), n); }
  void operator()(const ping&) { env.getBody().setPing(); }
  void operator()(const pong&) { env.getBody().setPong(); }
  void operator()(const worker_stats_request&) { env.getBody().setWorkerStatsRequest(); }
  void operator()(const worker_stats& s) {
    auto out = env.getBody().initWorkerStatsReply();
    put_node_info(out.initInfo(), s.info);
    auto models = out.initModels(static_cast<capnp::uint>(s.models.size()));
    for (capnp::uint i = 0; i < s.models.size(); ++i) {
      const auto& m = s.models[i];
      models[i].setTenant(text(m.tenant));
      models[i].setModel(text(m.model));
      models[i].setVersion(m.version);
      models[i].setMemoryBytes(m.memory_bytes);
      models[i].setLastUsedUnixMs(m.last_used_unix_ms);
    }
  }
  void operator()(const drain_node& d) { env.getBody().initDrainNode().setNode(text(d.node)); }
  void operator()(const undrain_node& d) { env.getBody().initUndrainNode().setNode(text(d.node)); }
  void operator()(const load_model& l) { put_model_ref(env.getBody().initLoadModel(), l.ref); }
  void operator()(const evict_model& e) { put_model_ref(env.getBody().initEvictModel(), e.ref); }
  void operator()(const ack&) { env.getBody().setAck(); }
  void operator()(const predict_batch_request& b) {
    auto items =
        env.getBody().initPredictBatchRequest().initItems(static_cast<capnp::uint>(b.items.size()));
    for (capnp::uint i = 0; i < b.items.size(); ++i) put_item(items[i], b.items[i]);
  }
  void operator()(const predict_batch_reply& b) {
    auto items =
        env.getBody().initPredictBatchReply().initItems(static_cast<capnp::uint>(b.items.size()));
    for (capnp::uint i = 0; i < b.items.size(); ++i) put_item(items[i], b.items[i]);
  }

  // A batch item is an Envelope of its own, its header filled from the request or reply.
  static void put_item(wire::Envelope::Builder item, const predict_request& r) {
    item.setRequestId(r.request_id);
    item.setDeadlineUnixMs(r.deadline_unix_ms);
    item.setTenant(text(r.tenant));
    body_writer{item}(r);
  }
  static void put_item(wire::Envelope::Builder item, const predict_reply& r) {
    item.setRequestId(r.request_id);
    body_writer{item}(r);
  }
};

// Words of one batch item besides its doubles: envelope, body, texts (a rough upper estimate).
constexpr std::size_t batch_item_words = 32;

// Words the message will need, so the builder allocates one segment of the right size.
std::size_t size_hint_words(const body& b) {
  std::size_t doubles = 0;
  if (auto* r = std::get_if<predict_request>(&b)) doubles = r->features.size();
  if (auto* r = std::get_if<predict_reply>(&b)) {
    doubles = r->predictions.size() + r->probabilities.size();
  }
  if (auto* a = std::get_if<train_assign>(&b)) doubles = a->features.size() + a->labels.size();
  std::size_t items = 0;
  if (auto* r = std::get_if<predict_batch_request>(&b)) {
    items = r->items.size();
    for (const auto& i : r->items) doubles += i.features.size();
  }
  if (auto* r = std::get_if<predict_batch_reply>(&b)) {
    items = r->items.size();
    for (const auto& i : r->items) doubles += i.predictions.size() + i.probabilities.size();
  }
  return doubles + items * batch_item_words + 1024;
}

// ---- readers ------------------------------------------------------------------------------

mf::expected<node_info> get_node_info(wire::NodeInfo::Reader in) {
  node_info out;
  const auto role = static_cast<std::uint16_t>(in.getRole());
  const auto state = static_cast<std::uint16_t>(in.getState());
  if (role > static_cast<std::uint16_t>(node_role::coordinator)) {
    return invalid("nodeInfo: unknown role " + std::to_string(role));
  }
  if (state > static_cast<std::uint16_t>(node_state::down)) {
    return invalid("nodeInfo: unknown state " + std::to_string(state));
  }
  out.node = str(in.getNode());
  out.role = static_cast<node_role>(role);
  out.state = static_cast<node_state>(state);
  out.address = str(in.getAddress());
  out.tenants = in.getTenants();
  out.models_loaded = in.getModelsLoaded();
  out.memory_bytes = in.getMemoryBytes();
  out.memory_budget = in.getMemoryBudget();
  out.inflight = in.getInflight();
  out.train_slots = in.getTrainSlots();
  out.train_slots_free = in.getTrainSlotsFree();
  out.unix_ms = in.getUnixMs();
  return out;
}

model_ref get_model_ref(wire::ModelRef::Reader in) {
  return model_ref{str(in.getTenant()), str(in.getModel()), in.getVersion()};
}

mf::expected<body> get_predict_request(wire::PredictRequest::Reader in, const header& head) {
  predict_request out;
  out.request_id = head.request_id;
  out.deadline_unix_ms = head.deadline_unix_ms;
  out.tenant = head.tenant;
  out.model = str(in.getModel());
  auto version = in.getVersion();
  switch (version.which()) {
    case wire::PredictRequest::Version::ACTIVE:
      break;
    case wire::PredictRequest::Version::PINNED:
      out.version = version.getPinned();
      break;
    default:
      return invalid("predictRequest: unknown version kind");
  }
  out.n_features = in.getNFeatures();
  out.features = get_doubles(in.getFeatures());
  auto rows = check_matrix(out.n_features, out.features.size(), max_predict_rows, "predictRequest");
  if (!rows) return std::move(rows).error();
  if (!all_finite(out.features)) return invalid("predictRequest: features contain NaN or Inf");
  return body(std::move(out));
}

mf::expected<body> get_predict_reply(wire::PredictReply::Reader in, const header& head) {
  predict_reply out;
  out.request_id = head.request_id;
  out.model = str(in.getModel());
  out.version = in.getServedVersion();
  if (in.hasError()) {
    out.error = get_error(in.getError());
    return body(std::move(out));
  }
  out.predictions = get_doubles(in.getPredictions());
  out.probabilities = get_doubles(in.getProbabilities());
  out.n_prob_columns = in.getNProbColumns();
  if (out.predictions.size() > max_predict_rows) {
    return invalid("predictReply: " + std::to_string(out.predictions.size()) +
                   " predictions exceed " + std::to_string(max_predict_rows));
  }
  const std::uint64_t expected_probs =
      std::uint64_t{out.predictions.size()} * std::uint64_t{out.n_prob_columns};
  if (out.probabilities.size() != expected_probs) {
    return invalid("predictReply: " + std::to_string(out.probabilities.size()) +
                   " probabilities for " + std::to_string(out.predictions.size()) + " rows × " +
                   std::to_string(out.n_prob_columns) + " columns");
  }
  return body(std::move(out));
}

mf::expected<body> get_train_assign(wire::TrainAssign::Reader in) {
  train_assign out;
  out.job_id = str(in.getJobId());
  out.tenant = str(in.getTenant());
  out.model = str(in.getModel());
  out.algorithm = str(in.getAlgorithm());
  auto params = in.getParams();
  out.params.reserve(params.size());
  for (auto p : params) {
    out.params.push_back(param{str(p.getName()), p.getValue()});
    if (!std::isfinite(out.params.back().value)) {
      return invalid("trainAssign: param " + out.params.back().name + " is NaN or Inf");
    }
  }
  auto data = in.getDataset();
  out.n_features = data.getNFeatures();
  out.features = get_doubles(data.getFeatures());
  out.labels = get_doubles(data.getLabels());
  out.dataset_key = str(in.getDatasetKey());
  if (!out.dataset_key.empty()) {
    // The rows live in the blob store: an inline dataset as well would be ambiguous.
    if (out.n_features != 0 || !out.features.empty() || !out.labels.empty())
      return invalid("trainAssign: both datasetKey and an inline dataset");
  } else {
    // Training sets are bounded by the frame cap, not by a row count.
    auto rows =
        check_matrix(out.n_features, out.features.size(), out.features.size(), "trainAssign");
    if (!rows) return std::move(rows).error();
    if (!out.labels.empty() && out.labels.size() != *rows) {
      return invalid("trainAssign: " + std::to_string(out.labels.size()) + " labels for " +
                     std::to_string(*rows) + " rows");
    }
    if (!all_finite(out.features) || !all_finite(out.labels)) {
      return invalid("trainAssign: dataset contains NaN or Inf");
    }
  }
  out.validation_split = in.getValidationSplit();
  if (!(out.validation_split >= 0.0 && out.validation_split < 1.0)) {
    return invalid("trainAssign: validationSplit must be in [0, 1)");
  }
  out.seed = in.getSeed();
  out.attempt = in.getAttempt();
  out.artifact_key = str(in.getArtifactKey());
  return body(std::move(out));
}

mf::expected<body> get_train_progress(wire::TrainProgress::Reader in) {
  train_progress out{str(in.getJobId()), in.getAttempt(), in.getProgress()};
  if (!(out.progress >= 0.0 && out.progress <= 1.0)) {
    return invalid("trainProgress: progress must be in [0, 1]");
  }
  return body(std::move(out));
}

mf::expected<body> get_train_result(wire::TrainResult::Reader in) {
  train_result out;
  out.job_id = str(in.getJobId());
  out.attempt = in.getAttempt();
  if (in.hasError()) out.error = get_error(in.getError());
  auto metrics = in.getMetrics();
  out.metrics.reserve(metrics.size());
  for (auto m : metrics) out.metrics.push_back(metric{str(m.getName()), m.getValue()});
  out.primary_metric = str(in.getPrimaryMetric());
  out.artifact_key = str(in.getArtifactKey());
  out.size_bytes = in.getSizeBytes();
  out.sha256 = str(in.getSha256());
  out.algorithm = str(in.getAlgorithm());
  out.n_features = in.getNFeatures();
  return body(std::move(out));
}

mf::expected<body> get_model_event(wire::ModelEvent::Reader in) {
  const auto kind = static_cast<std::uint16_t>(in.getKind());
  if (kind > static_cast<std::uint16_t>(model_event_kind::remove_tenant)) {
    return invalid("modelEvent: unknown kind " + std::to_string(kind));
  }
  return body(model_event{static_cast<model_event_kind>(kind), str(in.getTenant()),
                          str(in.getModel()), in.getVersion()});
}

mf::expected<body> get_worker_stats(wire::WorkerStats::Reader in) {
  worker_stats out;
  auto info = get_node_info(in.getInfo());
  if (!info) return std::move(info).error();
  out.info = std::move(*info);
  auto models = in.getModels();
  out.models.reserve(models.size());
  for (auto m : models) {
    out.models.push_back(loaded_model{str(m.getTenant()), str(m.getModel()), m.getVersion(),
                                      m.getMemoryBytes(), m.getLastUsedUnixMs()});
  }
  return body(std::move(out));
}

// The items of a batch: each an Envelope with the expected body kind, decoded and checked as
// if it had come alone. One bad item refuses the whole frame (only routers send batches, and
// they validate every request first).
template <class Batch, class ItemReader>
mf::expected<body> get_predict_batch(wire::PredictBatch::Reader in, const char* what,
                                     wire_body::Which item_kind, ItemReader read_item) {
  auto items = in.getItems();
  if (items.size() == 0) return invalid(std::string(what) + ": no items");
  if (items.size() > max_batch_items) {
    return invalid(std::string(what) + ": " + std::to_string(items.size()) + " items exceed " +
                   std::to_string(max_batch_items));
  }
  Batch out;
  out.items.reserve(items.size());
  for (capnp::uint i = 0; i < items.size(); ++i) {
    auto item = items[i];
    if (item.getBody().which() != item_kind) {
      return invalid(std::string(what) + ": item " + std::to_string(i) +
                     " has the wrong body kind");
    }
    header head;
    head.request_id = item.getRequestId();
    head.deadline_unix_ms = item.getDeadlineUnixMs();
    head.tenant = str(item.getTenant());
    auto b = read_item(item.getBody(), head);
    if (!b) {
      return invalid(std::string(what) + ": item " + std::to_string(i) + ": " + b.error().message);
    }
    using item_type = typename decltype(out.items)::value_type;
    out.items.push_back(std::move(std::get<item_type>(*b)));
  }
  return body(std::move(out));
}

template <class T>
mf::expected<body> wrap(mf::expected<T> v) {
  if (!v) return std::move(v).error();
  return body(std::move(*v));
}

mf::expected<body> get_body(wire::Envelope::Body::Reader in, const header& head) {
  switch (in.which()) {
    case wire_body::UNSET:
      return invalid("envelope has no body");
    case wire_body::ERROR:
      return body(get_error(in.getError()));
    case wire_body::PREDICT_REQUEST:
      return get_predict_request(in.getPredictRequest(), head);
    case wire_body::PREDICT_REPLY:
      return get_predict_reply(in.getPredictReply(), head);
    case wire_body::TRAIN_ASSIGN:
      return get_train_assign(in.getTrainAssign());
    case wire_body::TRAIN_PROGRESS:
      return get_train_progress(in.getTrainProgress());
    case wire_body::TRAIN_RESULT:
      return get_train_result(in.getTrainResult());
    case wire_body::TRAIN_CANCEL:
      return body(train_cancel{str(in.getTrainCancel().getJobId())});
    case wire_body::MODEL_EVENT:
      return get_model_event(in.getModelEvent());
    case wire_body::PLACEMENT_CHANGED:
      return body(placement_changed{in.getPlacementChanged().getEpoch()});
    case wire_body::NODE_HEARTBEAT: {
      auto info = get_node_info(in.getNodeHeartbeat());
      if (!info) return std::move(info).error();
      return body(node_heartbeat{std::move(*info)});
    }
    case wire_body::NODE_INFO_REQUEST:
      return body(node_info_request{});
    case wire_body::NODE_INFO:
      return wrap(get_node_info(in.getNodeInfo()));
    case wire_body::PING:
      return body(ping{});
    case wire_body::PONG:
      return body(pong{});
    case wire_body::WORKER_STATS_REQUEST:
      return body(worker_stats_request{});
    case wire_body::WORKER_STATS_REPLY:
      return get_worker_stats(in.getWorkerStatsReply());
    case wire_body::DRAIN_NODE:
      return body(drain_node{str(in.getDrainNode().getNode())});
    case wire_body::UNDRAIN_NODE:
      return body(undrain_node{str(in.getUndrainNode().getNode())});
    case wire_body::LOAD_MODEL:
      return body(load_model{get_model_ref(in.getLoadModel())});
    case wire_body::EVICT_MODEL:
      return body(evict_model{get_model_ref(in.getEvictModel())});
    case wire_body::ACK:
      return body(ack{});
    case wire_body::PREDICT_BATCH_REQUEST:
      return get_predict_batch<predict_batch_request>(
          in.getPredictBatchRequest(), "predictBatchRequest", wire_body::PREDICT_REQUEST,
          [](wire_body::Reader b, const header& h) {
            return get_predict_request(b.getPredictRequest(), h);
          });
    case wire_body::PREDICT_BATCH_REPLY:
      return get_predict_batch<predict_batch_reply>(
          in.getPredictBatchReply(), "predictBatchReply", wire_body::PREDICT_REPLY,
          [](wire_body::Reader b, const header& h) {
            return get_predict_reply(b.getPredictReply(), h);
          });
  }
  return invalid("unknown body kind " + std::to_string(static_cast<unsigned>(in.which())));
}

mf::error exception_error(const char* what) {
  return invalid(std::string("malformed frame: ") + what);
}

}  // namespace

namespace {

// Builds one frame with `fill(root)`; every exception becomes a typed error at this edge.
template <class Fill>
mf::expected<zmq::message_t> build_frame(std::size_t size_hint, Fill fill) noexcept {
  try {
    capnp::MallocMessageBuilder builder(
        static_cast<capnp::uint>(std::min<std::size_t>(size_hint, 1u << 28)));
    fill(builder.initRoot<wire::Envelope>());
    return to_zmq_message(builder);
  } catch (const kj::Exception& e) {
    return mf::make_error(mf::errc::internal, std::string("encode: ") + e.getDescription().cStr());
  } catch (const std::exception& e) {
    return mf::make_error(mf::errc::internal, std::string("encode: ") + e.what());
  } catch (...) {
    return mf::make_error(mf::errc::internal, "encode: unknown exception");
  }
}

}  // namespace

mf::expected<zmq::message_t> encode(const envelope& message) noexcept {
  return build_frame(size_hint_words(message.body), [&](wire::Envelope::Builder env) {
    header head = message.head;
    if (auto* r = std::get_if<predict_request>(&message.body)) {
      head.request_id = r->request_id;
      head.deadline_unix_ms = r->deadline_unix_ms;
      head.tenant = r->tenant;
    } else if (auto* r = std::get_if<predict_reply>(&message.body)) {
      head.request_id = r->request_id;
    }
    env.setRequestId(head.request_id);
    env.setDeadlineUnixMs(head.deadline_unix_ms);
    env.setTenant(text(head.tenant));
    env.setSender(text(head.sender));
    env.setEpoch(head.epoch);
    std::visit(body_writer{env}, message.body);
  });
}

mf::expected<zmq::message_t> encode_predict_batch(std::span<const predict_request* const> items,
                                                  const std::string& sender) noexcept {
  std::size_t words = 1024 + items.size() * batch_item_words;
  for (const auto* r : items) words += r->features.size();
  return build_frame(words, [&](wire::Envelope::Builder env) {
    env.setSender(text(sender));
    auto out =
        env.getBody().initPredictBatchRequest().initItems(static_cast<capnp::uint>(items.size()));
    for (capnp::uint i = 0; i < items.size(); ++i) body_writer::put_item(out[i], *items[i]);
  });
}

mf::expected<envelope> decode(const frame_reader& frame) noexcept {
  try {
    auto root = frame.root();
    envelope out;
    out.head.request_id = root.getRequestId();
    out.head.deadline_unix_ms = root.getDeadlineUnixMs();
    out.head.tenant = str(root.getTenant());
    out.head.sender = str(root.getSender());
    out.head.epoch = root.getEpoch();
    auto b = get_body(root.getBody(), out.head);
    if (!b) return std::move(b).error();
    out.body = std::move(*b);
    return out;
  } catch (const kj::Exception& e) {
    return exception_error(e.getDescription().cStr());
  } catch (const std::bad_alloc&) {
    return mf::make_error(mf::errc::payload_too_large, "decode: out of memory");
  } catch (const std::exception& e) {
    return exception_error(e.what());
  } catch (...) {
    return exception_error("unknown exception");
  }
}

mf::expected<envelope> decode(std::span<const std::byte> frame,
                              const decode_limits& limits) noexcept {
  auto reader = frame_reader::open(frame, limits);
  if (!reader) return std::move(reader).error();
  return decode(*reader);
}

mf::expected<envelope> decode(const zmq::message_t& frame, const decode_limits& limits) noexcept {
  return decode(
      std::span<const std::byte>(static_cast<const std::byte*>(frame.data()), frame.size()),
      limits);
}

std::string_view kind_name(const body& b) noexcept {
  static constexpr std::string_view names[] = {"error",
                                               "predictRequest",
                                               "predictReply",
                                               "trainAssign",
                                               "trainProgress",
                                               "trainResult",
                                               "trainCancel",
                                               "modelEvent",
                                               "placementChanged",
                                               "nodeHeartbeat",
                                               "nodeInfoRequest",
                                               "nodeInfo",
                                               "ping",
                                               "pong",
                                               "workerStatsRequest",
                                               "workerStatsReply",
                                               "drainNode",
                                               "undrainNode",
                                               "loadModel",
                                               "evictModel",
                                               "ack",
                                               "predictBatchRequest",
                                               "predictBatchReply"};
  static_assert(std::size(names) == std::variant_size_v<body>);
  return names[b.index()];
}

envelope make_envelope(predict_request request, std::string sender) {
  envelope out;
  out.head.request_id = request.request_id;
  out.head.deadline_unix_ms = request.deadline_unix_ms;
  out.head.tenant = request.tenant;
  out.head.sender = std::move(sender);
  out.body = std::move(request);
  return out;
}

envelope make_envelope(predict_reply reply, std::string sender) {
  envelope out;
  out.head.request_id = reply.request_id;
  out.head.sender = std::move(sender);
  out.body = std::move(reply);
  return out;
}

envelope make_error_envelope(std::uint64_t request_id, mf::error failure, std::string sender) {
  envelope out;
  out.head.request_id = request_id;
  out.head.sender = std::move(sender);
  out.body = std::move(failure);
  return out;
}

}  // namespace mf::protocol
