#include "actors/coordinator/coordinator_service.hpp"

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "actors/coordinator/job_scheduler.hpp"
#include "actors/coordinator/leader_lease.hpp"
#include "actors/coordinator/node_verifier.hpp"
#include "actors/coordinator/placement_manager.hpp"
#include "actors/coordinator/retention.hpp"
#include "actors/coordinator/worker_links.hpp"
#include "cluster/blob_store.hpp"
#include "cluster/redis_registry.hpp"
#include "cluster/redis_subscriber.hpp"
#include "cluster/redis_url.hpp"

namespace mf::coordinator {
namespace {

using clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr std::int64_t heartbeat_ttl_ms = 3000;

}  // namespace

coordinator_service::coordinator_service(coordinator_config config, coordinator_metrics& metrics)
    : config_(std::move(config)), metrics_(metrics) {}

coordinator_service::~coordinator_service() {
  stop();
}

void coordinator_service::set_admin_address(std::string address) {
  std::lock_guard lock(admin_mutex_);
  admin_address_ = std::move(address);
}

mf::expected<void> coordinator_service::start() {
  if (auto url = cluster::parse_redis_url(config_.redis_url); !url) return url.error();
  if (config_.renew_interval_ms * 2 >= config_.lease_ttl_ms)
    return mf::make_error(errc::invalid_input, "--renew-interval-ms must be < --lease-ttl-ms / 2");
  stopping_ = false;
  control_ = std::thread([this] { control_loop(); });
  events_ = std::thread([this] { event_loop(); });
  return {};
}

void coordinator_service::stop() {
  stopping_ = true;
  if (control_.joinable()) control_.join();
  if (events_.joinable()) events_.join();
}

void coordinator_service::event_loop() {
  std::unique_ptr<cluster::redis_subscriber> subscriber;
  std::string channel;
  while (!stopping_) {
    if (!subscriber) {
      auto registry = cluster::redis_registry::connect(
          config_.redis_url, config_.key_prefix, cluster::redis_options{.lazy_connect = true});
      if (!registry) return;  // invalid URL: start() already refused it
      channel = registry->events_channel();
      auto sub = cluster::redis_subscriber::connect(config_.redis_url, {channel},
                                                    cluster::redis_options{.lazy_connect = true});
      if (!sub) {
        std::this_thread::sleep_for(milliseconds(200));
        continue;
      }
      subscriber = std::make_unique<cluster::redis_subscriber>(std::move(*sub));
    }
    auto message = subscriber->next_message(milliseconds(200));
    if (!message || !*message) continue;
    if ((*message)->type == cluster::pubsub_message::kind::resubscribed) {
      wake_jobs_ = wake_placement_ = true;
      continue;
    }
    try {
      const auto event = nlohmann::json::parse((*message)->payload);
      const std::string type = event.value("type", "");
      if (type == "job_queued" || type == "job_cancel") wake_jobs_ = true;
      if (type == "job_cancel" && event.contains("job_id") && event["job_id"].is_string()) {
        std::lock_guard lock(cancels_mutex_);
        cancels_.push_back(event["job_id"].get<std::string>());
      }
      if (type == "drain" || type == "tenant_deleted" || type == "tenant_updated" ||
          type == "node_up")
        wake_placement_ = true;
    } catch (...) {
      // Not ours to judge: other roles may publish other payloads.
    }
  }
}

void coordinator_service::control_loop() {
  auto connected =
      cluster::redis_registry::connect(config_.redis_url, config_.key_prefix,
                                       cluster::redis_options{.connect_timeout = milliseconds(500),
                                                              .command_timeout = milliseconds(1000),
                                                              .lazy_connect = true});
  if (!connected) {
    spdlog::error("coordinator {}: {}", config_.id, connected.error().message);
    return;
  }
  cluster::redis_registry registry = std::move(*connected);
  auto store = cluster::make_blob_store(config_.store, config_.redis_url);
  if (!store) {
    spdlog::error("coordinator {}: blob store {}: {}", config_.id, config_.store,
                  store.error().message);
    return;
  }
  auto& blobs = **store;
  worker_links links(config_.id, config_.curve);
  leader_lease lease(registry, config_.id, milliseconds(config_.lease_ttl_ms),
                     milliseconds(config_.renew_interval_ms));
  placement_manager placement(registry, config_.replicas, config_.load_bound,
                              milliseconds(config_.move_grace_ms));
  // With CURVE, only workers that answered over an authenticated link are placed or assigned.
  node_verifier verifier(links, config_.curve.has_value(), metrics_);
  job_scheduler jobs(registry, blobs, links, config_, metrics_);
  jobs.set_published_hook([&](const std::string& tenant, const std::string& model) {
    auto pruned = prune_model(registry, blobs, tenant, model, config_.retention);
    if (pruned) metrics_.versions_pruned += static_cast<std::uint64_t>(*pruned);
  });

  std::vector<cluster::node_record> nodes;
  clock::time_point next_nodes{}, next_heartbeat{}, next_jobs{};
  bool resumed = false;
  while (!stopping_) {
    const auto now = clock::now();
    if (now >= next_heartbeat) {
      cluster::node_record me;
      me.node = config_.id;
      me.role = "coordinator";
      {
        std::lock_guard lock(admin_mutex_);
        me.admin_address = admin_address_;
      }
      me.last_heartbeat = cluster::now_unix_ms();
      auto beat = registry.heartbeat(me, heartbeat_ttl_ms);
      redis_ok_ = beat.has_value();
      if (!beat) ++metrics_.redis_errors;
      next_heartbeat = now + milliseconds(1000);
    }
    switch (lease.step(now)) {
      case lease_change::acquired:
        ++metrics_.leadership_changes;
        metrics_.lease_epoch = static_cast<std::uint64_t>(lease.epoch());
        placement.reset();
        verifier.reset();
        resumed = false;
        next_nodes = {};
        break;
      case lease_change::lost:
        ++metrics_.leadership_changes;
        jobs.reset();
        placement.reset();
        verifier.reset();
        resumed = false;
        break;
      case lease_change::none:
        break;
    }
    const bool leading = lease.is_leader(clock::now());
    metrics_.leader = leading;
    if (!leading) {
      (void)links.poll(milliseconds(50));  // drain stale replies
      continue;
    }
    if (now >= next_nodes || wake_placement_.exchange(false)) {
      auto listed = registry.list_nodes();
      if (listed) {
        nodes = std::move(*listed);
        verifier.step(nodes, now);
        // While a worker's first CURVE probe is still out, wait rather than place without it.
        auto written = verifier.settling(nodes, now)
                           ? mf::expected<std::int64_t>(std::int64_t{0})
                           : placement.step(lease.epoch(), verifier.eligible(nodes), now);
        if (written && *written > 0) {
          metrics_.placement_epoch = static_cast<std::uint64_t>(*written);
          ++metrics_.placement_writes;
        } else if (!written) {
          ++metrics_.redis_errors;
          if (written.error().code == errc::conflict) {
            spdlog::warn("coordinator {}: fenced off: {}", config_.id, written.error().message);
            lease.check_now();
          }
        }
      } else {
        ++metrics_.redis_errors;
      }
      // Sooner while a probe is pending, so a verified worker is placed without waiting a
      // whole placement interval.
      next_nodes = now + milliseconds(verifier.settling(nodes, now)
                                          ? std::min(config_.placement_interval_ms, 50)
                                          : config_.placement_interval_ms);
    } else if (verifier.enabled()) {
      verifier.step(nodes, now);  // retries pings whose handshake was not done yet
    }
    if (!resumed && !nodes.empty()) {
      resumed = jobs.resume(nodes).has_value();
    }
    {
      std::vector<std::string> cancels;
      {
        std::lock_guard lock(cancels_mutex_);
        cancels.swap(cancels_);
      }
      for (const auto& id : cancels) jobs.note_cancel(id);
    }
    if (resumed && (now >= next_jobs || wake_jobs_.exchange(false))) {
      if (lease.is_leader(clock::now())) jobs.step(nodes, verifier.eligible(nodes), now);
      next_jobs = now + milliseconds(200);
    }
    for (auto& message : links.poll(milliseconds(20))) {
      if (!lease.is_leader(clock::now())) break;
      const auto reply = verifier.on_message(message, clock::now());
      if (reply == node_verifier::reply::newly_verified) wake_placement_ = true;  // place it now
      if (reply != node_verifier::reply::not_a_pong) continue;
      jobs.on_message(message);
    }
  }
  jobs.reset();
  lease.release();
  metrics_.leader = false;
}

}  // namespace mf::coordinator
