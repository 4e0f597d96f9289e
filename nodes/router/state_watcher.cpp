// state_watcher: events are only a hint to reload now; the periodic full reload is what makes
// the cache correct after missed events, epoch gaps or a Redis restart.
#include "nodes/router/state_watcher.hpp"

#include <optional>

#include "cluster/redis_registry.hpp"
#include "cluster/redis_subscriber.hpp"

namespace mf::router {

struct state_watcher::conn {
  std::optional<mf::cluster::redis_registry> registry;
  std::optional<mf::cluster::redis_subscriber> subscriber;
  std::chrono::steady_clock::time_point last_heartbeat{};
};

state_watcher::state_watcher(watcher_options options, predict_forwarder& forwarder)
    : options_(std::move(options)), forwarder_(forwarder), conn_(std::make_unique<conn>()) {}

state_watcher::~state_watcher() {
  stopping_.store(true);
  if (thread_.joinable()) thread_.join();
  if (conn_->registry) (void)conn_->registry->remove_node(options_.self.node);
}

mf::expected<void> state_watcher::start() {
  mf::cluster::redis_options ro;
  ro.lazy_connect = true;
  ro.command_timeout = std::chrono::milliseconds(1000);
  auto reg = mf::cluster::redis_registry::connect(options_.redis_url, options_.key_prefix, ro);
  if (!reg) return std::move(reg).error();
  conn_->registry.emplace(std::move(*reg));
  auto sub = mf::cluster::redis_subscriber::connect(options_.redis_url,
                                                    {conn_->registry->events_channel()}, ro);
  if (sub) conn_->subscriber.emplace(std::move(*sub));
  auto first = refresh();
  thread_ = std::thread([this] { run(); });
  return first;
}

mf::expected<void> state_watcher::refresh() {
  auto& reg = *conn_->registry;
  const auto now = std::chrono::steady_clock::now();
  if (now - conn_->last_heartbeat >= std::chrono::milliseconds(options_.heartbeat_ttl_ms / 3)) {
    auto self = options_.self;
    self.last_heartbeat = mf::cluster::now_unix_ms();
    auto stats = forwarder_.stats();
    self.inflight = static_cast<std::int64_t>(stats.inflight);
    if (reg.heartbeat(self, options_.heartbeat_ttl_ms)) conn_->last_heartbeat = now;
  }
  auto placement = reg.get_placement();
  if (!placement) return std::move(placement).error();
  auto nodes = reg.list_nodes();
  if (!nodes) return std::move(nodes).error();
  cluster_view view{std::move(*placement), std::move(*nodes), {}};
  if (auto tenants = reg.list_tenants()) {
    for (const auto& t : *tenants) {
      if (t.quota.requests_per_second > 0) view.rate_limits[t.tenant] = t.quota.requests_per_second;
    }
  }
  forwarder_.update(std::move(view));
  return {};
}

void state_watcher::run() {
  auto next_resync = std::chrono::steady_clock::now() + options_.resync_every;
  while (!stopping_.load()) {
    bool reload = false;
    if (conn_->subscriber) {
      auto msg = conn_->subscriber->next_message(std::chrono::milliseconds(200));
      if (msg && *msg) {
        const auto& m = **msg;
        // Any resubscribe (missed messages) or membership/placement event: reload now.
        reload = m.type == mf::cluster::pubsub_message::kind::resubscribed ||
                 m.payload.find("\"placement\"") != std::string::npos ||
                 m.payload.find("\"drain\"") != std::string::npos ||
                 m.payload.find("\"tenant_deleted\"") != std::string::npos;
      }
    } else {
      std::this_thread::sleep_for(
          std::chrono::milliseconds(200));  // pacing only, not synchronisation
      auto sub = mf::cluster::redis_subscriber::connect(options_.redis_url,
                                                        {conn_->registry->events_channel()});
      if (sub) conn_->subscriber.emplace(std::move(*sub));
    }
    if (reload || std::chrono::steady_clock::now() >= next_resync) {
      (void)refresh();  // on failure keep serving from the cached placement
      next_resync = std::chrono::steady_clock::now() + options_.resync_every;
    }
  }
}

}  // namespace mf::router
