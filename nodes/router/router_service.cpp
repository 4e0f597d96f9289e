// router_service: request flow = route -> size limit -> auth (admin token in memory; tenant keys
// via a short-lived cache, resolved on the blocking pool on a miss) -> authorize -> names ->
// predict (forwarder, async) or state route (blocking pool). HTTP threads never wait on I/O.
#include "nodes/router/router_service.hpp"

#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <unistd.h>
#include <algorithm>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "nodes/router/predict_json.hpp"
#include "nodes/router/predict_reply_json.hpp"

namespace mf::router {
namespace {

using nlohmann::json;

std::int64_t unix_ms_now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

api_response predict_response(const std::string& model, const mf::protocol::predict_reply& r) {
  if (r.error) return error_response(*r.error);
  return json_response(200, predict_reply_json(model, r));
}

literal_text content_type_of(const std::string& path) {
  auto ends = [&](std::string_view s) {
    return path.size() >= s.size() && path.compare(path.size() - s.size(), s.size(), s) == 0;
  };
  if (ends(".html")) return "text/html; charset=utf-8";
  if (ends(".js")) return "text/javascript; charset=utf-8";
  if (ends(".css")) return "text/css; charset=utf-8";
  if (ends(".svg")) return "image/svg+xml";
  if (ends(".json")) return "application/json";
  if (ends(".png")) return "image/png";
  if (ends(".mjs")) return "text/javascript; charset=utf-8";
  return "application/octet-stream";
}

}  // namespace

mf::expected<std::unique_ptr<router_service>> router_service::create(service_options options,
                                                                     context_factory factory,
                                                                     predict_forwarder* forwarder) {
  std::unique_ptr<router_service> s(new router_service(std::move(options), forwarder));
  auto contexts = [&factory](std::size_t n) -> mf::expected<std::vector<handler_context>> {
    std::vector<handler_context> out;
    for (std::size_t i = 0; i < n; ++i) {
      auto ctx = factory();
      if (!ctx) return std::move(ctx).error();
      out.push_back(std::move(*ctx));
    }
    return out;
  };
  auto blocking = contexts(std::max<std::size_t>(1, s->options_.blocking_threads));
  if (!blocking) return std::move(blocking).error();
  auto bulk = contexts(s->options_.bulk_nice > 0 ? 1 : 0);
  if (!bulk) return std::move(bulk).error();
  s->start_lane(s->blocking_, std::move(*blocking), 0);
  s->start_lane(s->bulk_, std::move(*bulk), s->options_.bulk_nice);
  return s;
}

void router_service::start_lane(work_lane& lane, std::vector<handler_context> contexts, int nice) {
  for (auto& ctx : contexts) {
    lane.threads.emplace_back([&lane, nice, ctx = std::move(ctx)]() mutable {
      // Linux: per thread. Best effort; a failure leaves the thread at normal priority.
      if (nice > 0) ::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), nice);
      for (;;) {
        std::function<void(handler_context&)> job;
        {
          std::unique_lock lock(lane.mutex);
          lane.cv.wait(lock, [&] { return lane.stopping || !lane.queue.empty(); });
          if (lane.queue.empty()) return;  // stopping and drained
          job = std::move(lane.queue.front());
          lane.queue.pop_front();
        }
        try {
          job(ctx);
        } catch (...) {
          // handlers answer their own errors; nothing may kill a pool thread
        }
      }
    });
  }
}

void router_service::stop_lane(work_lane& lane) {
  {
    std::lock_guard lock(lane.mutex);
    lane.stopping = true;
  }
  lane.cv.notify_all();
  for (auto& t : lane.threads) t.join();
}

std::size_t router_service::queued(work_lane& lane) {
  std::lock_guard lock(lane.mutex);
  return lane.queue.size();
}

router_service::router_service(service_options options, predict_forwarder* forwarder)
    : options_(std::move(options)), admin_(options_.admin_token), forwarder_(forwarder) {}

router_service::~router_service() {
  stop_lane(bulk_);
  stop_lane(blocking_);
}

void router_service::run_blocking(std::function<void(handler_context&)> job,
                                  const responder& on_overload, work_lane& lane) {
  {
    std::lock_guard lock(lane.mutex);
    if (lane.queue.size() < options_.max_blocking_queue) {
      lane.queue.push_back(std::move(job));
      lane.cv.notify_one();
      return;
    }
  }
  on_overload(error_response(mf::make_error(errc::overloaded, "router is busy; retry later")));
}

void router_service::handle(api_request req, responder done_raw) {
  const auto started = std::chrono::steady_clock::now();
  auto matched = match_route(req.method, req.path);
  const std::string label = matched ? std::string(route_name(matched->id)) : "unmatched";
  const std::uint64_t seq = requests_seen_.fetch_add(1, std::memory_order_relaxed);
  const bool sampled = options_.request_log_every != 0 && seq % options_.request_log_every == 0;
  responder done = [this, label, started, sampled, method = req.method,
                    done_raw = std::move(done_raw)](api_response r) {
    const auto took = std::chrono::duration_cast<std::chrono::microseconds>(
        std::chrono::steady_clock::now() - started);
    metrics_.observe(label, r.status, took);
    if (sampled || r.status >= 500) {
      // Route label, not the path or headers: no key, token or feature ever reaches the log.
      spdlog::info("event=request method={} route={} status={} us={}", method, label, r.status,
                   took.count());
    }
    done_raw(std::move(r));
  };
  if (!matched) return done(error_response(matched.error()));
  route_match m = std::move(*matched);
  if (req.body.size() > body_limit(m.id)) {
    return done(error_response(
        mf::make_error(errc::payload_too_large, "body of " + std::to_string(req.body.size()) +
                                                    " bytes is over the limit of " +
                                                    std::to_string(body_limit(m.id)) + " bytes")));
  }
  switch (m.id) {
    case route_id::healthz:
      return done(json_response(200, R"({"status":"ok"})"));
    case route_id::metrics:
      return done(metrics_page());
    case route_id::readyz:
      return run_blocking(
          [this, done](handler_context& ctx) {
            auto ping = ctx.registry->ping();
            const std::size_t workers = forwarder_ ? forwarder_->stats().workers_up : 0;
            if (!ping)
              return done(error_response(
                  mf::make_error(errc::unavailable, "Redis unreachable: " + ping.error().message)));
            if (workers == 0)
              return done(error_response(mf::make_error(errc::unavailable, "no worker is up")));
            done(json_response(200, json{{"status", "ready"}, {"workers", workers}}.dump()));
          },
          done);
    case route_id::admin_ui:
      // The UI's relative links need the trailing slash.
      if (req.path == "/admin") {
        api_response r = empty_response(301);
        r.headers.emplace_back("Location", "/admin/");
        return done(std::move(r));
      }
      return run_blocking(
          [this, done, rest = m.rest](handler_context&) { done(static_file(rest)); }, done);
    default:
      break;
  }
  if (!admin_.enabled())
    return dispatch(std::move(m), std::move(req), principal{true, ""}, std::move(done));
  auto token = bearer_token(req.authorization);
  if (!token)
    return done(error_response(mf::make_error(errc::unauthorized, "missing bearer token")));
  const token_digest digest = mf::cluster::sha256(*token);  // one hash for both checks
  if (admin_.matches(digest))
    return dispatch(std::move(m), std::move(req), principal{true, ""}, std::move(done));
  std::string hash = mf::cluster::to_hex(digest);  // == mf::cluster::hash_api_key(*token)
  if (auto tenant = keys_.find(hash)) {
    return dispatch(std::move(m), std::move(req), principal{false, *tenant}, std::move(done));
  }
  auto shared_req = std::make_shared<api_request>(std::move(req));
  run_blocking(
      [this, m = std::move(m), shared_req, hash, done](handler_context& ctx) mutable {
        auto who = resolve_tenant_key(ctx, hash);
        if (!who) return done(error_response(who.error()));
        keys_.put(hash, who->tenant);
        dispatch(std::move(m), std::move(*shared_req), *who, std::move(done));
      },
      done);
}

void router_service::dispatch(route_match m, api_request req, principal who, responder done) {
  if (auto r = authorize(who, m); !r) return done(error_response(r.error()));
  if (auto r = validate_names(m); !r) return done(error_response(r.error()));
  if (m.id == route_id::predict) return predict(std::move(m), std::move(req), std::move(done));
  if (m.id == route_id::key_delete || m.id == route_id::tenant_delete) keys_.erase_tenant(m.tenant);
  const bool bulk =
      options_.bulk_nice > 0 && (m.id == route_id::train || m.id == route_id::version_upload);
  auto shared = std::make_shared<std::tuple<route_match, api_request, principal>>(
      std::move(m), std::move(req), who);
  run_blocking(
      [shared, done](handler_context& ctx) {
        auto& [rm, rq, pr] = *shared;
        done(handle_state_route(ctx, rm, rq, pr));
      },
      done, bulk ? bulk_ : blocking_);
}

void router_service::predict(route_match m, api_request req, responder done) {
  if (req.content_type != "application/json") {
    return done(error_response(
        mf::make_error(errc::unsupported_media_type, "Content-Type must be application/json")));
  }
  std::int64_t deadline_ms = options_.default_deadline_ms;
  if (!req.deadline_ms.empty()) {
    auto [p, ec] = std::from_chars(req.deadline_ms.data(),
                                   req.deadline_ms.data() + req.deadline_ms.size(), deadline_ms);
    if (ec != std::errc{} || p != req.deadline_ms.data() + req.deadline_ms.size() ||
        deadline_ms <= 0) {
      return done(error_response(mf::make_error(
          errc::invalid_field, "X-Request-Deadline-Ms must be a positive integer (milliseconds)")));
    }
    deadline_ms = std::min(deadline_ms, options_.max_deadline_ms);
  }
  auto body = parse_predict_body(req.body);
  if (!body) return done(error_response(body.error()));
  if (!forwarder_)
    return done(error_response(mf::make_error(errc::unavailable, "no worker is reachable")));
  mf::protocol::predict_request pr;
  pr.deadline_unix_ms = unix_ms_now() + deadline_ms;
  pr.tenant = m.tenant;
  pr.model = m.model;
  pr.version = body->version;
  pr.n_features = body->n_features;
  pr.features = std::move(body->features);
  forwarder_->predict(std::move(pr),
                      [model = std::move(m.model), done = std::move(done)](
                          mf::protocol::predict_reply r) { done(predict_response(model, r)); });
}

api_response router_service::metrics_page() {
  std::string out;
  metrics_.render(out);
  if (forwarder_) {
    auto s = forwarder_->stats();
    out += "# TYPE modelfleet_router_inflight gauge\nmodelfleet_router_inflight " +
           std::to_string(s.inflight) + "\n";
    out += "# TYPE modelfleet_router_workers_up gauge\nmodelfleet_router_workers_up " +
           std::to_string(s.workers_up) + "\n";
    out += "# TYPE modelfleet_router_placement_epoch gauge\nmodelfleet_router_placement_epoch " +
           std::to_string(s.epoch) + "\n";
    out +=
        "# TYPE modelfleet_router_predict_forwarded_total "
        "counter\nmodelfleet_router_predict_forwarded_total " +
        std::to_string(s.forwarded) + "\n";
    out +=
        "# TYPE modelfleet_router_predict_retried_total "
        "counter\nmodelfleet_router_predict_retried_total " +
        std::to_string(s.retried) + "\n";
    out +=
        "# TYPE modelfleet_router_predict_shed_total "
        "counter\nmodelfleet_router_predict_shed_total " +
        std::to_string(s.shed) + "\n";
    out +=
        "# TYPE modelfleet_router_predict_timeouts_total "
        "counter\nmodelfleet_router_predict_timeouts_total " +
        std::to_string(s.timed_out) + "\n";
    out += "# TYPE modelfleet_router_predict_batch_frames_total counter\n";
    out += "modelfleet_router_predict_batch_frames_total " + std::to_string(s.batch_frames) + "\n";
    out += "# TYPE modelfleet_router_predict_batched_total counter\n";
    out += "modelfleet_router_predict_batched_total " + std::to_string(s.batched) + "\n";
    out += "# TYPE modelfleet_router_predict_rate_limited_total counter\n";
    out += "modelfleet_router_predict_rate_limited_total " + std::to_string(s.rate_limited) + "\n";
  }
  out += "# TYPE modelfleet_router_blocking_queue gauge\nmodelfleet_router_blocking_queue " +
         std::to_string(queued(blocking_)) + "\n";
  out += "# TYPE modelfleet_router_bulk_queue gauge\nmodelfleet_router_bulk_queue " +
         std::to_string(queued(bulk_)) + "\n";
  api_response r;
  r.status = 200;
  r.content_type = "text/plain; version=0.0.4";
  r.body = std::move(out);
  return r;
}

api_response router_service::static_file(const std::string& rest) {
  namespace fs = std::filesystem;
  if (options_.web_root.empty())
    return error_response(mf::make_error(errc::not_found, "the admin UI is not installed"));
  std::string rel = rest.empty() ? "index.html" : rest;
  if (rel.find("..") != std::string::npos || rel.find('\0') != std::string::npos ||
      rel.front() == '/') {
    return error_response(mf::make_error(errc::not_found, "no such file"));
  }
  // Serve regular files only, and only when their real path stays under the real web root:
  // a directory, a device or a symlink pointing elsewhere is "no such file".
  std::error_code ec;
  const fs::path root = fs::canonical(options_.web_root, ec);
  if (ec) return error_response(mf::make_error(errc::not_found, "the admin UI is not installed"));
  const fs::path file = fs::canonical(root / rel, ec);
  if (ec || !fs::is_regular_file(file, ec)) {
    return error_response(mf::make_error(errc::not_found, "no such file"));
  }
  const auto [root_end, file_it] =
      std::mismatch(root.begin(), root.end(), file.begin(), file.end());
  if (root_end != root.end())
    return error_response(mf::make_error(errc::not_found, "no such file"));
  std::ifstream in(file, std::ios::binary);
  if (!in) return error_response(mf::make_error(errc::not_found, "no such file"));
  std::ostringstream ss;
  ss << in.rdbuf();
  api_response r;
  r.status = 200;
  r.content_type = content_type_of(rel);
  r.body = ss.str();
  // The UI is same-origin only and holds an admin token: no framing, no sniffing, no referrers.
  r.headers = {{"Cache-Control", "no-cache"},
               {"X-Content-Type-Options", "nosniff"},
               {"Referrer-Policy", "no-referrer"},
               {"Content-Security-Policy",
                "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src "
                "'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
                "frame-ancestors 'none'"}};
  return r;
}

}  // namespace mf::router
