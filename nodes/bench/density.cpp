// density: why in-process — seeding 1 M tenants through the REST API takes ~40 min at the
// ~400 uploads/s measured on the 2-core VM; the cache and the models are what hold the memory,
// so loading them here measures the same bytes without the cluster around them.
#include "nodes/bench/density.hpp"

#include <cstdio>
#include <fstream>
#include <iterator>
#include <random>
#include <sstream>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>

#include <thread>

#include "actors/model_host.hpp"
#include "actors/model_source.hpp"
#include "actors/snapshot.hpp"
#include "ml/artifact.hpp"
#include "ml/train.hpp"
#include "nodes/bench/histogram.hpp"

namespace mf::bench {
namespace {

using clock_type = std::chrono::steady_clock;

std::size_t rss_bytes() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) {
      std::istringstream in(line.substr(6));
      std::size_t kib = 0;
      in >> kib;
      return kib * 1024;
    }
  }
  return 0;
}

mf::expected<std::string> default_artifact(std::size_t features) {
  mf::ml::dataset data;
  data.n_features = features;
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> u(-1, 1);
  for (int r = 0; r < 200; ++r) {
    double y = 0;
    for (std::size_t c = 0; c < features; ++c) {
      const double x = u(rng);
      data.features.push_back(x);
      y += (c % 2 ? -0.5 : 1.0) * x;
    }
    data.labels.push_back(y);
  }
  auto trained = mf::ml::train("linear_regression", mf::ml::default_params("linear_regression"),
                               data, mf::ml::train_options{});
  if (!trained) return std::move(trained).error();
  return mf::ml::serialize_artifact(*trained->model);
}

// What a worker's loader does once it has the blob: deserialize and validate the artifact.
class artifact_source final : public mf::actors::model_source {
 public:
  explicit artifact_source(const std::string& artifact) : artifact_(artifact) {}
  mf::expected<mf::actors::loaded_model> load(const mf::actors::model_ref& ref,
                                              std::int64_t version) override {
    auto model = mf::ml::load_artifact(artifact_, {.keep_metrics = false});  // as the worker
    if (!model) return std::move(model).error();
    mf::actors::loaded_model out;
    out.key = {ref.tenant, ref.model, version < 0 ? 1 : version};
    out.bytes = (*model)->memory_bytes();
    out.model = std::move(*model);
    return out;
  }
  mf::expected<mf::actors::tenant_facts> describe_tenant(const std::string&) override {
    return mf::actors::tenant_facts{};
  }

 private:
  const std::string& artifact_;
};

}  // namespace

mf::expected<nlohmann::json> run_density(const density_options& o) {
  if (o.models == 0 || o.models > 50'000'000)
    return mf::make_error(mf::errc::invalid_field, "--density must be in 1..50000000");
  std::string artifact;
  if (o.artifact_path.empty()) {
    auto made = default_artifact(o.features);
    if (!made) return std::move(made).error();
    artifact = std::move(*made);
  } else {
    std::ifstream in(o.artifact_path, std::ios::binary);
    if (!in) return mf::make_error(mf::errc::invalid_field, "cannot read " + o.artifact_path);
    artifact.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  auto probe = mf::ml::load_artifact(artifact);
  if (!probe) return std::move(probe).error();
  const std::string algorithm((*probe)->algorithm());
  probe->reset();

  latency_histogram load_latency;
  const std::size_t rss_before = rss_bytes();
  // A worker's model host, with a source that deserializes the artifact bytes (what a loader
  // does after its blob read). The budget is not what is measured here: it never evicts.
  caf::actor_system_config cfg;
  cfg.set("scheduler.max-threads", std::size_t{2});
  cfg.set("scheduler.policy", caf::atom("sharing"));  // as the worker (worker_node.cpp)
  caf::actor_system sys{cfg};
  auto cell = std::make_shared<mf::actors::snapshot_cell>();
  mf::actors::model_host_config hc;
  hc.budget_bytes = static_cast<std::size_t>(1) << 50;
  hc.loaders = 2;
  hc.cell = cell;
  hc.source_factory = [&artifact] { return std::make_unique<artifact_source>(artifact); };
  auto host = mf::actors::spawn_model_host(sys, hc);
  // The system waits for its actors when it goes out of scope: stop the host on every path.
  struct stop_host {
    mf::actors::model_host_actor& host;
    ~stop_host() { caf::anon_send_exit(host, caf::exit_reason::user_shutdown); }
  } stop{host};
  caf::scoped_actor self{sys};
  mf::error failure{mf::errc::ok, {}};
  const auto started = clock_type::now();
  auto last_progress = started;
  auto on_reply = [&](mf::actors::lease_reply& reply) {
    if (!reply.entry && failure.code == mf::errc::ok) failure = reply.error;
  };
  auto on_error = [&](caf::error& e) {
    failure = mf::make_error(mf::errc::internal, "model host: " + sys.render(e));
  };
  auto tenant = [](std::size_t i) { return "bench-" + std::to_string(i); };
  auto progress = [&](std::size_t done) {
    const auto now = clock_type::now();
    if (!o.progress || now - last_progress < std::chrono::seconds(1)) return;
    last_progress = now;
    std::fprintf(stderr, "\r  %zu/%zu models loaded, RSS %.0f MiB   ", done, o.models,
                 static_cast<double>(rss_bytes()) / (1 << 20));
  };
  // Bulk: all but the last `sampled` models, `window` cold requests in flight (as a worker's
  // preload after a placement change: the host publishes once per batch of finished loads).
  // No request timeout: CAF 0.17 delivers each request's timeout message even after the reply,
  // and a long-lived scoped actor then rescans them all on every receive (quadratic).
  constexpr std::size_t window = 64;
  const std::size_t sampled = std::min<std::size_t>(o.models, 2000);
  const std::size_t bulk = o.models - sampled;
  for (std::size_t first = 0; first < bulk && failure.code == mf::errc::ok; first += window) {
    const std::size_t last = std::min(bulk, first + window);
    using handle_type = decltype(self->request(host, caf::infinite, mf::actors::load_atom::value,
                                               mf::actors::lease_request{}));
    std::vector<handle_type> handles;
    for (std::size_t i = first; i < last; ++i)
      handles.push_back(self->request(host, caf::infinite, mf::actors::load_atom::value,
                                      mf::actors::lease_request{{tenant(i), "m"}, -1, {}}));
    for (auto& h : handles) h.receive(on_reply, on_error);
    progress(last);
  }
  const double bulk_seconds = std::chrono::duration<double>(clock_type::now() - started).count();
  // Sampled: the last models one cold request at a time, on a host that already holds the
  // others: the latency of one cold load as a predictor sees it at this size (host -> loader
  // -> insert -> lease back; the snapshot publish follows).
  for (std::size_t i = bulk; i < o.models && failure.code == mf::errc::ok; ++i) {
    const auto t0 = clock_type::now();
    self->request(host, caf::infinite, mf::actors::load_atom::value,
                  mf::actors::lease_request{{tenant(i), "m"}, -1, {}})
        .receive(on_reply, on_error);
    const auto t1 = clock_type::now();
    load_latency.record(static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(t1 - t0).count()));
    progress(i + 1);
  }
  if (failure.code != mf::errc::ok) return failure;
  const double load_seconds = std::chrono::duration<double>(clock_type::now() - started).count();
  mf::actors::host_stats stats;
  self->request(host, std::chrono::seconds(60), mf::actors::stats_atom::value)
      .receive([&](mf::actors::host_stats& s) { stats = std::move(s); }, [](caf::error&) {});
  // Every model is served by the published snapshot, as predictors read it.
  std::size_t served = 0;
  for (int spin = 0; spin < 1000 && served < o.models; ++spin) {
    auto snap = cell->load();
    served = 0;
    for (std::size_t i = 0; i < mf::actors::snapshot::shard_count && !snap->groups.empty(); ++i)
      served += snap->shard_at(i)->active.size();
    if (served < o.models) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  const std::size_t model_bytes = stats.memory_bytes;
  const std::size_t rss_after = rss_bytes();
  if (o.progress) std::fprintf(stderr, "\n");

  const double n = static_cast<double>(o.models);
  auto q = [&](double quantile) {
    return static_cast<double>(load_latency.quantile(quantile)) / 1e3;
  };
  nlohmann::json lat = {{"p50", q(0.5)},
                        {"p90", q(0.9)},
                        {"p99", q(0.99)},
                        {"p999", q(0.999)},
                        {"max", static_cast<double>(load_latency.max()) / 1e3}};
  return nlohmann::json{
      {"mode", "density"},
      {"models", o.models},
      {"algorithm", algorithm},
      {"artifact_bytes", artifact.size()},
      {"rss_before_bytes", rss_before},
      {"rss_after_bytes", rss_after},
      {"bytes_per_model", static_cast<double>(rss_after - rss_before) / n},
      {"model_memory_bytes_per_model", static_cast<double>(model_bytes) / n},
      {"models_in_snapshot", served},
      {"load_seconds", load_seconds},
      {"bulk_models", bulk},
      {"bulk_load_seconds", bulk_seconds},
      {"bulk_window", window},
      {"latency_sampled_models", sampled},
      {"load_latency_us", lat},
      {"note",
       "through a worker's model host actor (loader deserializes the artifact, cache insert, "
       "snapshot publish, lease back): bulk with 64 cold loads in flight, then the last "
       "models one at a time for load_latency_us; RSS of this process"}};
}

}  // namespace mf::bench
