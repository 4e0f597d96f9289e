#include "actors/coordinator/job_scheduler.hpp"

#include <algorithm>
#include <cmath>

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "actors/coordinator/job_keys.hpp"
#include "cluster/names.hpp"
#include "ml/artifact.hpp"
#include "ml/train.hpp"

namespace mf::coordinator {
namespace {

using clock = std::chrono::steady_clock;

protocol::envelope wrap(protocol::body body, const std::string& sender, const std::string& tenant) {
  protocol::envelope e;
  e.head.sender = sender;
  e.head.tenant = tenant;
  e.body = std::move(body);
  return e;
}

std::map<std::string, double> to_map(const std::vector<protocol::metric>& metrics) {
  std::map<std::string, double> out;
  for (const auto& m : metrics) out[m.name] = m.value;
  return out;
}

}  // namespace

namespace {

// The inline rows {"features":[[..]],"labels":[..]} of an older request form.
mf::expected<void> parse_inline_rows(const nlohmann::json& data, train_request& out) {
  if (!data.is_object() || !data.contains("features"))
    return mf::make_error(errc::invalid_input, "training request has no data.features");
  const auto& features = data.at("features");
  if (!features.is_array() || features.empty())
    return mf::make_error(errc::invalid_input, "data.features must be a non-empty array");
  for (std::size_t r = 0; r < features.size(); ++r) {
    const auto& row = features[r];
    if (!row.is_array() || row.empty())
      return mf::make_error(errc::invalid_input,
                            "features[" + std::to_string(r) + "] is not a non-empty array");
    if (r == 0) out.n_features = static_cast<std::uint32_t>(row.size());
    if (row.size() != out.n_features)
      return mf::make_error(errc::invalid_input, "features[" + std::to_string(r) + "] has " +
                                                     std::to_string(row.size()) +
                                                     " values, expected " +
                                                     std::to_string(out.n_features));
    for (const auto& v : row) {
      if (!v.is_number())
        return mf::make_error(errc::invalid_input,
                              "features[" + std::to_string(r) + "] holds a non-number");
      out.features.push_back(v.get<double>());
    }
  }
  if (data.contains("labels") && !data.at("labels").is_null()) {
    const auto& labels = data.at("labels");
    if (!labels.is_array())
      return mf::make_error(errc::invalid_input, "data.labels must be an array");
    for (const auto& v : labels) {
      if (!v.is_number())
        return mf::make_error(errc::invalid_input, "data.labels holds a non-number");
      out.labels.push_back(v.get<double>());
    }
  }
  return {};
}

}  // namespace

mf::expected<train_request> parse_train_request(std::string_view bytes) {
  try {
    const auto doc = nlohmann::json::parse(bytes.begin(), bytes.end());
    if (!doc.is_object())
      return mf::make_error(errc::invalid_input, "training request is not a JSON object");
    train_request out;
    if (auto key = doc.find("dataset_key"); key != doc.end() && !doc.contains("data")) {
      if (!key->is_string())
        return mf::make_error(errc::invalid_input, "dataset_key must be a string");
      auto parsed = cluster::parse_dataset_path(key->get<std::string>());
      if (!parsed) return parsed.error();
      out.dataset_key = key->get<std::string>();
    } else if (auto rows = parse_inline_rows(doc.contains("data") ? doc.at("data") : doc, out);
               !rows) {
      return rows.error();
    }
    if (doc.contains("params") && doc.at("params").is_object()) {
      for (const auto& [name, value] : doc.at("params").items()) {
        if (!value.is_number())
          return mf::make_error(errc::invalid_input, "param " + name + " is not a number");
        out.params.push_back({name, value.get<double>()});
      }
    }
    if (doc.contains("validation_split") && doc.at("validation_split").is_number())
      out.validation_split = doc.at("validation_split").get<double>();
    if (doc.contains("seed") && doc.at("seed").is_number_unsigned())
      out.seed = doc.at("seed").get<std::uint64_t>();
    return out;
  } catch (const std::exception& e) {
    return mf::make_error(errc::invalid_input, std::string("training request: ") + e.what());
  }
}

bool should_activate(std::string_view policy, const std::map<std::string, double>& candidate,
                     std::string_view primary, const cluster::version_record* active) {
  if (policy == "always") return true;
  if (policy == "never") return false;
  if (active == nullptr) return true;  // if_better with no active version
  const auto mine = candidate.find(std::string(primary));
  if (mine == candidate.end()) return false;  // nothing to compare on: keep the active one
  const auto theirs = active->metrics.find(std::string(primary));
  if (theirs == active->metrics.end()) return true;
  return ml::better_than(primary, mine->second, theirs->second);
}

job_scheduler::job_scheduler(cluster::registry& registry, cluster::blob_store& blobs,
                             worker_links& links, const coordinator_config& config,
                             coordinator_metrics& metrics)
    : registry_(registry), blobs_(blobs), links_(links), config_(config), metrics_(metrics) {}

void job_scheduler::reset() {
  running_.clear();
  metrics_.jobs_running = 0;
}

mf::expected<void> job_scheduler::update_job(
    const std::string& job_id, const std::function<void(cluster::job_record&)>& change) {
  auto job = registry_.get_job(job_id);
  if (!job) return job.error();
  const std::int64_t expected_attempt = job->attempts;
  change(*job);
  // Fenced: refused if a newer attempt or the end of the job came in between; a cancel request
  // stored meanwhile is kept by the registry.
  auto written = registry_.update_job_fenced(*job, expected_attempt);
  if (!written && written.error().code == errc::conflict)
    spdlog::info("coordinator: job {} changed meanwhile, write skipped: {}", job_id,
                 written.error().message);
  return written;
}

mf::expected<void> job_scheduler::resume(const std::vector<cluster::node_record>& nodes) {
  reset();
  auto jobs = registry_.list_unfinished_jobs();
  if (!jobs) return jobs.error();
  std::map<std::string, std::string> addresses;
  for (const auto& n : nodes) addresses[n.node] = n.address;
  const auto now = clock::now();
  for (const auto& job : *jobs) {
    if (job.status == cluster::job_status::running && finished_by_worker(job)) {
      // The worker recorded a complete result that no leader acted on (e.g. the trainResult
      // went to a coordinator that died): publish it now, whether or not the worker lives.
      attempt_state a =
          adopted_attempt(job, addresses.count(job.node) ? addresses[job.node] : "", now);
      running_[job.id] = a;
      handle_result(result_from_record(job));
      continue;
    }
    if (job.status == cluster::job_status::running) {
      auto node = addresses.find(job.node);
      if (node != addresses.end() && job.version && *job.version > 0 && job.attempts > 0) {
        // Adopt the previous leader's attempt instead of re-running it: the worker keeps
        // training and mirrors its result into the job record (check_running reads it). A dead
        // worker is noticed by check_running like any other.
        running_[job.id] = adopted_attempt(job, node->second, now);
        continue;
      }
      // Unknown worker: the attempt is lost, but not by the job's fault.
      (void)update_job(job.id, [](cluster::job_record& j) {
        j.status = cluster::job_status::queued;
        j.node.clear();
        j.attempts = std::max<std::int64_t>(0, j.attempts - 1);
        j.progress = 0;
      });
    }
    // Queued jobs may or may not still be in the queue (the old leader may have popped one
    // and died): requeue all; a duplicate entry is skipped at dequeue (status check).
    (void)registry_.requeue_job(job.id);
  }
  metrics_.jobs_running = running_.size();
  spdlog::info("coordinator: resumed {} unfinished jobs", jobs->size());
  return {};
}

bool job_scheduler::finished_by_worker(const cluster::job_record& job) {
  return job.attempts > 0 && job.version && *job.version > 0 && !job.error && !job.sha256.empty() &&
         !job.artifact_key.empty() && job.progress >= 1.0;
}

// The coordinator's view of one attempt of `job` on `node`, as of `now` (new or adopted).
job_scheduler::attempt_state job_scheduler::attempt_of(const cluster::job_record& job,
                                                       const std::string& node,
                                                       const std::string& address,
                                                       std::int64_t attempt, std::int64_t version,
                                                       clock::time_point now) {
  attempt_state a;
  a.job_id = job.id;
  a.tenant = job.tenant;
  a.model = job.model;
  a.algorithm = job.algorithm;
  a.activate = job.activate;
  a.node = node;
  a.address = address;
  a.attempt = attempt;
  a.version = version;
  a.assigned_at = a.last_news = now;
  return a;
}

job_scheduler::attempt_state job_scheduler::adopted_attempt(const cluster::job_record& job,
                                                            const std::string& address,
                                                            clock::time_point now) {
  attempt_state a = attempt_of(job, job.node, address, job.attempts, job.version.value_or(0), now);
  a.acknowledged = true;
  a.adopted = true;
  a.error_at_adoption = job.error;
  return a;
}

protocol::train_result job_scheduler::result_from_record(const cluster::job_record& job) {
  protocol::train_result r;
  r.job_id = job.id;
  r.attempt = static_cast<std::uint32_t>(job.attempts);
  r.algorithm = job.algorithm;
  for (const auto& [name, value] : job.metrics) r.metrics.push_back({name, value});
  r.artifact_key = job.artifact_key;
  r.size_bytes = static_cast<std::uint64_t>(std::max<std::int64_t>(0, job.size_bytes));
  r.sha256 = job.sha256;  // publish() checks the stored artifact against it
  return r;
}

void job_scheduler::on_message(const inbound_message& message) {
  if (const auto* p = std::get_if<protocol::train_progress>(&message.message.body)) {
    auto it = running_.find(p->job_id);
    if (it == running_.end() || it->second.attempt != p->attempt) {
      // Fenced: a superseded attempt (e.g. from a worker that was partitioned away and whose
      // job was re-run) reports nothing that counts.
      ++metrics_.stale_reports;
      spdlog::debug("coordinator: event=stale_attempt kind=progress job={} attempt={} node={}",
                    p->job_id, p->attempt, message.node);
      return;
    }
    auto& a = it->second;
    const auto now = clock::now();
    a.acknowledged = true;
    a.last_news = now;
    a.progress = std::clamp(p->progress, 0.0, 1.0);
    // The worker mirrors progress into the job record itself: writing it here too would only
    // widen the window in which whole-record writes race the router's cancel flag.
    return;
  }
  if (const auto* r = std::get_if<protocol::train_result>(&message.message.body)) {
    auto it = running_.find(r->job_id);
    if (it == running_.end() || it->second.attempt != static_cast<std::int64_t>(r->attempt)) {
      ++metrics_.stale_reports;
      spdlog::info(
          "coordinator: event=stale_attempt kind=result job={} attempt={} node={} current={} "
          "(dropped: the attempt was superseded)",
          r->job_id, r->attempt, message.node,
          it == running_.end() ? std::string("none") : std::to_string(it->second.attempt));
      return;
    }
    handle_result(*r);
  }
}

void job_scheduler::handle_result(const protocol::train_result& result) {
  auto it = running_.find(result.job_id);
  // A stale attempt (re-run elsewhere, or from before a takeover) is ignored: its artifact
  // key is the job's own version key, which the live attempt overwrites or finish() removes.
  if (it == running_.end() || it->second.attempt != static_cast<std::int64_t>(result.attempt))
    return;
  const attempt_state a = it->second;
  running_.erase(it);
  metrics_.jobs_running = running_.size();
  if (result.error) {
    const auto code = result.error->code;
    if (code == errc::cancelled) {
      finish(a.job_id, cluster::job_status::cancelled, std::nullopt);
    } else if (code == errc::overloaded) {
      // The worker had no free slot after all: not the job's fault, try again later.
      (void)update_job(a.job_id, [&](cluster::job_record& j) {
        j.status = cluster::job_status::queued;
        j.node.clear();
        j.attempts = std::max<std::int64_t>(0, j.attempts - 1);
      });
      (void)registry_.requeue_job(a.job_id);
    } else if (code == errc::unavailable || code == errc::internal) {
      attempt_lost(a, "worker " + a.node + ": " + result.error->message);
    } else {
      finish(a.job_id, cluster::job_status::failed, result.error->message);
    }
    return;
  }
  auto published = publish(a, result);
  if (!published) {
    spdlog::warn("coordinator: publishing job {} failed: {}", a.job_id, published.error().message);
    if (published.error().code == errc::unavailable) {
      attempt_lost(a, "publish failed: " + published.error().message);
    } else {
      finish(a.job_id, cluster::job_status::failed, published.error().message);
    }
  }
}

mf::expected<void> job_scheduler::publish(const attempt_state& a,
                                          const protocol::train_result& result) {
  auto job = registry_.get_job(a.job_id);
  if (!job) return job.error();
  // A worker may mirror its result into the record (status succeeded) before we publish: only
  // failed/cancelled mean someone else ended the job.
  if (job->status == cluster::job_status::failed || job->status == cluster::job_status::cancelled ||
      job->status == cluster::job_status::succeeded)
    return {};
  if (job->cancel_requested || cancel_hints_.count(a.job_id)) {
    finish(a.job_id, cluster::job_status::cancelled, std::nullopt);
    return {};
  }
  cancel_hints_.erase(a.job_id);
  // Exactly once: a previous leader may have published this job and died before recording it.
  if (auto existing = registry_.get_version(a.tenant, a.model, a.version); existing) {
    if (existing->job_id == a.job_id) {
      return update_job(a.job_id, [&](cluster::job_record& j) {
        j.status = cluster::job_status::succeeded;
        j.version = existing->version;
        j.metrics = existing->metrics;
        j.progress = 1.0;
        j.error.reset();
        j.finished_at = cluster::now_unix_ms();
      });
    }
    return mf::make_error(errc::internal,
                          "version " + std::to_string(a.version) + " belongs to another job");
  } else if (existing.error().code != errc::not_found) {
    return existing.error();
  }
  // The worker wrote the artifact durably at the version's key; check it before anyone can
  // see it: a version must never point at a corrupt or foreign blob.
  auto bytes = blobs_.get(job_artifact(a.tenant, a.model, a.version), ml::max_artifact_bytes);
  if (!bytes) return bytes.error();
  auto info = ml::inspect_artifact(*bytes);
  if (!info)
    return mf::make_error(errc::internal, "worker artifact is invalid: " + info.error().message);
  if (!result.sha256.empty() && result.sha256 != info->sha256_hex)
    return mf::make_error(errc::internal, "artifact sha256 does not match the worker's report");

  std::map<std::string, double> metrics = to_map(result.metrics);
  if (metrics.empty()) metrics = info->metrics.values;
  const std::string primary =
      !result.primary_metric.empty() ? result.primary_metric : info->metrics.primary;

  std::optional<cluster::version_record> active;
  if (job->activate == "if_better") {
    auto model = registry_.get_model(a.tenant, a.model);
    if (model && model->active_version > 0) {
      auto v = registry_.get_version(a.tenant, a.model, model->active_version);
      if (v) active = *v;
    } else if (!model && model.error().code != errc::not_found) {
      return model.error();
    }
  }
  const bool activate =
      should_activate(job->activate, metrics, primary, active ? &*active : nullptr);

  cluster::version_record record;
  record.version = a.version;
  record.algorithm = info->algorithm;
  record.n_features = static_cast<std::int64_t>(info->n_features);
  record.metrics = metrics;
  record.primary_metric = primary;
  record.size_bytes = static_cast<std::int64_t>(bytes->size());
  record.sha256 = info->sha256_hex;
  record.created_at = cluster::now_unix_ms();
  record.source = "train";
  record.job_id = a.job_id;
  const std::string reason = "train " + job->activate;
  const std::string by = "job:" + a.job_id;
  if (auto pub = registry_.publish_version(a.tenant, a.model, record, activate, reason, by); !pub)
    return pub.error();
  ++metrics_.versions_published;
  if (activate) ++metrics_.versions_activated;
  // Retention before the job shows succeeded: whoever sees the job done sees the pruned list.
  if (on_published_) on_published_(a.tenant, a.model);
  auto done = update_job(a.job_id, [&](cluster::job_record& j) {
    j.status = cluster::job_status::succeeded;
    j.version = a.version;
    j.metrics = metrics;
    j.activated = activate;
    j.progress = 1.0;
    j.error.reset();
    j.finished_at = cluster::now_unix_ms();
  });
  ++metrics_.jobs_succeeded;
  spdlog::info("coordinator: job {} -> {}/{} v{}{}", a.job_id, a.tenant, a.model, a.version,
               activate ? " (activated)" : "");
  return done;
}

void job_scheduler::finish(const std::string& job_id, cluster::job_status status,
                           std::optional<std::string> error) {
  cancel_hints_.erase(job_id);
  std::optional<cluster::artifact_key> orphan;
  (void)update_job(job_id, [&](cluster::job_record& j) {
    if (j.version) {
      // The reserved version is never published: drop what attempts wrote at its key.
      orphan = job_artifact(j.tenant, j.model, *j.version);
      j.version.reset();
    }
    j.status = status;
    j.error = error;
    j.finished_at = cluster::now_unix_ms();
  });
  if (orphan) {
    // Only if no version was published there (it cannot be: we only publish on success).
    auto v = registry_.get_version(orphan->tenant, orphan->model, orphan->version);
    if (!v && v.error().code == errc::not_found) (void)blobs_.remove(*orphan);
  }
  if (status == cluster::job_status::failed) ++metrics_.jobs_failed;
  if (status == cluster::job_status::cancelled) ++metrics_.jobs_cancelled;
  spdlog::info("coordinator: job {} {}{}", job_id, cluster::to_string(status),
               error ? ": " + *error : std::string());
}

void job_scheduler::attempt_lost(const attempt_state& a, const std::string& reason) {
  const std::string line = "attempt " + std::to_string(a.attempt) + ": " + reason;
  spdlog::warn("coordinator: job {} {}", a.job_id, line);
  if (a.attempt >= config_.max_attempts) {
    auto job = registry_.get_job(a.job_id);
    const std::string reasons = job && job->error ? *job->error + "; " + line : line;
    finish(a.job_id, cluster::job_status::failed,
           "failed after " + std::to_string(a.attempt) + " attempts: " + reasons);
    return;
  }
  // A half-written artifact of the dead attempt is harmless: the fs store only renames a
  // complete file into place, and the next attempt overwrites the key (or finish() drops it).
  (void)update_job(a.job_id, [&](cluster::job_record& j) {
    j.status = cluster::job_status::queued;
    j.node.clear();
    j.progress = 0;
    j.error = j.error ? *j.error + "; " + line : line;
  });
  (void)registry_.requeue_job(a.job_id);
  ++metrics_.jobs_requeued;
}

void job_scheduler::check_running(const std::vector<cluster::node_record>& nodes,
                                  clock::time_point now) {
  std::map<std::string, const cluster::node_record*> by_id;
  for (const auto& n : nodes) by_id[n.node] = &n;
  std::vector<std::string> ids;
  for (const auto& [id, a] : running_) ids.push_back(id);
  for (const auto& id : ids) {
    auto it = running_.find(id);
    if (it == running_.end()) continue;
    attempt_state& a = it->second;
    auto node = by_id.find(a.node);
    const bool dead = node == by_id.end() || node->second->state == cluster::node_state::down;
    if (dead) {
      const attempt_state copy = a;
      running_.erase(it);
      attempt_lost(copy, "worker " + copy.node + " died (heartbeat expired)");
      continue;
    }
    if (!a.acknowledged &&
        now - a.assigned_at > std::chrono::milliseconds(config_.assign_timeout_ms)) {
      const attempt_state copy = a;
      running_.erase(it);
      (void)links_.send(copy.node, copy.address,
                        wrap(protocol::train_cancel{id}, links_.sender_id(), copy.tenant));
      attempt_lost(copy, "worker " + copy.node + " never acknowledged the assignment");
      continue;
    }
    auto job = registry_.get_job(id);
    if (!job) {
      if (job.error().code == errc::not_found) running_.erase(it);  // tenant deleted
      continue;
    }
    if (job->status == cluster::job_status::failed ||
        job->status == cluster::job_status::cancelled) {
      running_.erase(it);  // ended by someone else (e.g. tenant deleted); succeeded is ours
      continue;
    }
    if (a.adopted && !job->cancel_requested && !cancel_hints_.count(id)) {
      // The worker mirrors its result into the record: metrics + progress 1 on success, a new
      // error text on failure.
      if (job->attempts == a.attempt && finished_by_worker(*job)) {
        handle_result(result_from_record(*job));
        continue;
      }
      if (job->attempts == a.attempt && job->progress >= 1.0 && !job->metrics.empty()) {
        // A worker of an older build records metrics but no artifact fields.
        handle_result(result_from_record(*job));
        continue;
      }
      if (job->attempts == a.attempt && job->error != a.error_at_adoption) {
        const attempt_state copy = a;
        running_.erase(it);
        attempt_lost(copy, "worker " + copy.node + ": " + job->error.value_or("failed"));
        continue;
      }
      // The old leader may have died between writing the record and the worker receiving the
      // assignment: an adopted attempt that never shows progress is re-run (attempt fencing
      // drops a late result of the old attempt, so this costs work, never a duplicate).
      const auto silent_limit =
          std::chrono::milliseconds(std::max<std::int64_t>(10'000, 2 * config_.assign_timeout_ms));
      if (job->attempts == a.attempt && job->progress <= 0.0 &&
          now - a.assigned_at > silent_limit) {
        const attempt_state copy = a;
        running_.erase(it);
        (void)links_.send(copy.node, copy.address,
                          wrap(protocol::train_cancel{id}, links_.sender_id(), copy.tenant));
        attempt_lost(copy, "worker " + copy.node + " showed no progress after the leader change");
        continue;
      }
    }
    if (job->cancel_requested || cancel_hints_.count(id)) {
      if (!a.cancel_sent) {
        a.cancel_sent = true;
        a.cancel_sent_at = now;
        (void)links_.send(a.node, a.address,
                          wrap(protocol::train_cancel{id}, links_.sender_id(), a.tenant));
      } else if (now - a.cancel_sent_at > std::chrono::seconds(5)) {
        // The worker never confirmed: end it anyway; a late result is dropped as stale.
        running_.erase(it);
        finish(id, cluster::job_status::cancelled, std::nullopt);
      }
    }
  }
  metrics_.jobs_running = running_.size();
}

job_scheduler::assign_outcome job_scheduler::assign_one(const cluster::job_record& job,
                                                        const cluster::node_record& node,
                                                        clock::time_point now) {
  auto payload = load_train_payload(job.request_ref, config_.store);
  if (!payload) {
    if (payload.error().code == errc::unavailable) {
      (void)registry_.requeue_job(job.id);  // transient: try again later
      return assign_outcome::retry_later;
    }
    finish(job.id, cluster::job_status::failed,
           "training request unreadable: " + payload.error().message);
    return assign_outcome::job_done;
  }
  auto request = parse_train_request(*payload);
  if (!request) {
    finish(job.id, cluster::job_status::failed, request.error().message);
    return assign_outcome::job_done;
  }
  if (!request->dataset_key.empty()) {
    // The rows stay in the blob store; a key naming another tenant's data is refused.
    auto data = cluster::parse_dataset_path(request->dataset_key);
    if (!data || data->tenant != job.tenant) {
      finish(job.id, cluster::job_status::failed,
             "dataset " + request->dataset_key + " does not belong to tenant " + job.tenant);
      return assign_outcome::job_done;
    }
  }
  std::int64_t version = job.version.value_or(0);
  if (version <= 0) {
    auto reserved = registry_.reserve_version_id(job.tenant, job.model);
    if (!reserved) {
      if (reserved.error().code == errc::unavailable) {
        (void)registry_.requeue_job(job.id);
        return assign_outcome::retry_later;
      }
      finish(job.id, cluster::job_status::failed, reserved.error().message);
      return assign_outcome::job_done;
    }
    version = *reserved;
  }
  auto key = cluster::blob_path(job_artifact(job.tenant, job.model, version));
  if (!key) {
    finish(job.id, cluster::job_status::failed, key.error().message);
    return assign_outcome::job_done;
  }
  const std::int64_t attempt = job.attempts + 1;
  protocol::train_assign assign;
  assign.job_id = job.id;
  assign.tenant = job.tenant;
  assign.model = job.model;
  assign.algorithm = job.algorithm;
  assign.dataset_key = request->dataset_key;
  assign.params = std::move(request->params);
  assign.n_features = request->n_features;
  assign.features = std::move(request->features);
  assign.labels = std::move(request->labels);
  assign.validation_split = request->validation_split;
  assign.seed = request->seed;
  assign.attempt = static_cast<std::uint32_t>(attempt);
  assign.artifact_key = *key;

  // Record the attempt (and the reserved version) before sending: if we die right after,
  // the next leader sees it running and re-runs it at the same version.
  auto marked = update_job(job.id, [&](cluster::job_record& j) {
    j.status = cluster::job_status::running;
    j.node = node.node;
    j.attempts = attempt;
    j.version = version;
    j.progress = 0;
    if (j.started_at == 0) j.started_at = cluster::now_unix_ms();
    j.lease_owner = links_.sender_id();
    // The previous attempt's artifact report is not this attempt's.
    j.artifact_key.clear();
    j.size_bytes = 0;
    j.sha256.clear();
    j.metrics.clear();
  });
  if (!marked) {
    // Ended meanwhile (cancelled while queued): nothing to run, and no slot is used.
    if (marked.error().code == errc::conflict) return assign_outcome::job_done;
    (void)registry_.requeue_job(job.id);
    return assign_outcome::retry_later;
  }
  attempt_state a = attempt_of(job, node.node, node.address, attempt, version, now);
  auto sent =
      links_.send(node.node, node.address, wrap(std::move(assign), links_.sender_id(), job.tenant));
  if (!sent) {
    spdlog::warn("coordinator: cannot reach {} for job {}: {}", node.node, job.id,
                 sent.error().message);
    (void)update_job(job.id, [&](cluster::job_record& j) {
      j.status = cluster::job_status::queued;
      j.node.clear();
      j.attempts = attempt - 1;
    });
    (void)registry_.requeue_job(job.id);
    return assign_outcome::worker_unreachable;
  }
  running_[job.id] = std::move(a);
  metrics_.jobs_running = running_.size();
  ++metrics_.jobs_assigned;
  spdlog::info("coordinator: job {} ({}/{} v{}) attempt {} -> {}", job.id, job.tenant, job.model,
               version, attempt, node.node);
  return assign_outcome::assigned;
}

void job_scheduler::assign_queued(const std::vector<cluster::node_record>& nodes,
                                  clock::time_point now) {
  // Free slots per live, undrained worker: its slots minus what we assigned to it (our count
  // is authoritative; the worker's reported busy count lags behind).
  std::map<std::string, int> mine;
  for (const auto& [id, a] : running_) ++mine[a.node];
  struct slot {
    const cluster::node_record* node;
    int free;
  };
  std::vector<slot> slots;
  for (const auto& n : nodes) {
    if (n.role != "worker" || n.state != cluster::node_state::up || n.address.empty()) continue;
    const int free = static_cast<int>(n.training_slots) - mine[n.node];
    if (free > 0) slots.push_back({&n, free});
  }
  for (int guard = 0; guard < 1000; ++guard) {
    // Most free slots first spreads jobs across workers.
    auto best = std::max_element(slots.begin(), slots.end(),
                                 [](const slot& x, const slot& y) { return x.free < y.free; });
    if (best == slots.end() || best->free <= 0) return;
    auto next = registry_.dequeue_fair();
    if (!next) {
      ++metrics_.redis_errors;
      return;
    }
    if (!*next) return;  // queue empty
    const cluster::job_record job = **next;
    // Duplicate queue entries (requeue after a takeover) and finished jobs are skipped.
    if (job.status != cluster::job_status::queued || running_.count(job.id)) continue;
    if (job.cancel_requested || cancel_hints_.count(job.id)) {
      finish(job.id, cluster::job_status::cancelled, std::nullopt);
      continue;
    }
    switch (assign_one(job, *best->node, now)) {
      case assign_outcome::assigned:
        --best->free;
        break;
      case assign_outcome::worker_unreachable:
        best->free = 0;
        break;
      case assign_outcome::retry_later:
        return;  // Redis trouble: stop this round
      case assign_outcome::job_done:
        break;
    }
  }
}

void job_scheduler::step(const std::vector<cluster::node_record>& nodes, clock::time_point now) {
  step(nodes, nodes, now);
}

void job_scheduler::step(const std::vector<cluster::node_record>& nodes,
                         const std::vector<cluster::node_record>& assignable,
                         clock::time_point now) {
  check_running(nodes, now);
  assign_queued(assignable, now);
}

}  // namespace mf::coordinator
