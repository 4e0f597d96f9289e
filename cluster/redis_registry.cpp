#include "cluster/redis_registry.hpp"

#include <algorithm>
#include <charconv>
#include <map>
#include <memory>
#include <mutex>

#include "cluster/names.hpp"
#include "cluster/record_json.hpp"
#include "cluster/redis_registry_scripts.hpp"

namespace mf::cluster {
namespace {

#define MF_CHECK_NAME(what, name)                                               \
  do {                                                                          \
    if (auto ok_ = check_name(what, name); !ok_) return std::move(ok_).error(); \
  } while (0)

#define MF_TRY(var, expr) \
  auto var = (expr);      \
  if (!var) return std::move(var).error()

const redis_script& script(const char* source) {
  // One redis_script (with its SHA1) per source text, built on first use.
  static std::mutex mutex;
  static std::map<const char*, std::unique_ptr<redis_script>> cache;
  std::lock_guard lock(mutex);
  auto& s = cache[source];
  if (!s) s = std::make_unique<redis_script>(source);
  return *s;
}

error from_reply_error(const std::string& text) {
  auto rest = [&](std::size_t n) { return text.size() > n ? text.substr(n) : text; };
  if (text.rfind("CONFLICT ", 0) == 0) return make_error(errc::conflict, rest(9));
  if (text.rfind("NOTFOUND ", 0) == 0) return make_error(errc::not_found, rest(9));
  if (text.rfind("INVALID ", 0) == 0) return make_error(errc::invalid_input, rest(8));
  if (text.rfind("LOADING", 0) == 0) return make_error(errc::unavailable, "redis: " + text);
  return make_error(errc::internal, "redis: " + text);
}

std::optional<std::int64_t> to_int(const std::string& s) {
  std::int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

std::int64_t int_of(const redis_reply& r) {
  if (r.is_integer()) return r.as_integer();
  return to_int(r.str()).value_or(0);
}

}  // namespace

expected<redis_registry> redis_registry::connect(std::string_view url, std::string prefix,
                                                 redis_options options) {
  auto c = redis_client::connect(url, options);
  if (!c) return std::move(c).error();
  return redis_registry(std::move(*c), std::move(prefix));
}

redis_registry::redis_registry(redis_client client, std::string prefix)
    : client_(std::move(client)), prefix_(std::move(prefix)) {}

std::string redis_registry::model_key(std::string_view t, std::string_view m) const {
  return prefix_ + "model:" + std::string(t) + ":" + std::string(m);
}

expected<redis_reply> redis_registry::cmd(const redis_argv& argv) {
  auto r = client_.command(argv);
  if (!r) return r;
  if (r->is_error()) return from_reply_error(r->str());
  return r;
}

expected<std::vector<redis_reply>> redis_registry::pipe(const std::vector<redis_argv>& commands) {
  auto r = client_.pipeline(commands);
  if (!r) return r;
  // An error reply anywhere (LOADING after a restart, WRONGTYPE on a foreign key) must not be
  // read as "absent".
  for (const auto& reply : *r) {
    if (reply.is_error()) return from_reply_error(reply.str());
  }
  return r;
}

expected<redis_reply> redis_registry::run(const redis_script& s, std::vector<std::string> args) {
  args.insert(args.begin(), prefix_);
  auto r = client_.eval(s, {}, args);
  if (!r) return r;
  if (r->is_error()) return from_reply_error(r->str());
  return r;
}

expected<void> redis_registry::ping() {
  MF_TRY(r, cmd({"PING"}));
  return {};
}

// ---- tenants -------------------------------------------------------------------------------

namespace {
// Same JSON as memory_registry emits (built here, not by cjson, whose key order differs).
std::string tenant_updated_event(std::string_view tenant) {
  return simple_event("tenant_updated", {{"tenant", std::string(tenant)}});
}

}  // namespace

expected<void> redis_registry::insert_tenant(std::string_view tenant, const tenant_quota& quota,
                                             const key_record& key) {
  MF_TRY(r, run(script(scripts::insert_tenant),
                {std::string(tenant), std::to_string(now_unix_ms()), to_json(quota), key.key_id,
                 key.hash, to_json(key), tenant_updated_event(tenant)}));
  return {};
}

expected<void> redis_registry::insert_key(const key_record& key) {
  MF_TRY(r, run(script(scripts::insert_key), {key.tenant, key.key_id, key.hash, to_json(key)}));
  return {};
}

namespace {
// A tenant record from its HMGET created_at quota + SCARD models replies; not_found if absent.
expected<tenant_record> tenant_from_replies(const std::string& t, const redis_reply& fields,
                                            const redis_reply& models) {
  const auto& f = fields.elements();
  if (f.size() != 2 || f[0].is_nil())
    return make_error(errc::not_found, "tenant '" + t + "' not found");
  tenant_record rec;
  rec.tenant = t;
  rec.created_at = int_of(f[0]);
  if (!f[1].is_nil()) {
    MF_TRY(q, quota_from_json(f[1].str()));
    rec.quota = *q;
  }
  rec.models = models.as_integer();
  return rec;
}
}  // namespace

expected<tenant_record> redis_registry::get_tenant(std::string_view tenant) {
  MF_CHECK_NAME("tenant", tenant);
  std::string t(tenant);
  MF_TRY(r, pipe({{"HMGET", key("tenant:" + t), "created_at", "quota"},
                  {"SCARD", key("tenant:" + t + ":models")}}));
  return tenant_from_replies(t, (*r)[0], (*r)[1]);
}

expected<std::vector<std::string>> redis_registry::list_tenant_names() {
  MF_TRY(names, cmd({"SMEMBERS", key("tenants")}));
  std::vector<std::string> sorted;
  sorted.reserve(names->elements().size());
  for (const auto& n : names->elements()) sorted.push_back(n.str());
  std::sort(sorted.begin(), sorted.end());
  return sorted;
}

expected<std::vector<tenant_record>> redis_registry::list_tenants() {
  MF_TRY(names, list_tenant_names());
  const std::vector<std::string>& sorted = *names;
  std::vector<tenant_record> out;
  out.reserve(sorted.size());
  // Pipelined in chunks (why: one round trip per tenant made a 10,000-tenant listing take
  // 20,000 round trips, and routers and the coordinator list tenants periodically).
  constexpr std::size_t chunk = 512;
  for (std::size_t first = 0; first < sorted.size(); first += chunk) {
    const std::size_t last = std::min(sorted.size(), first + chunk);
    std::vector<redis_argv> reads;
    reads.reserve(2 * (last - first));
    for (std::size_t i = first; i < last; ++i) {
      reads.push_back({"HMGET", key("tenant:" + sorted[i]), "created_at", "quota"});
      reads.push_back({"SCARD", key("tenant:" + sorted[i] + ":models")});
    }
    MF_TRY(r, pipe(reads));
    for (std::size_t i = first; i < last; ++i) {
      auto rec = tenant_from_replies(sorted[i], (*r)[2 * (i - first)], (*r)[2 * (i - first) + 1]);
      if (!rec) {
        if (rec.error().code == errc::not_found) continue;  // deleted meanwhile
        return std::move(rec).error();
      }
      out.push_back(std::move(*rec));
    }
  }
  return out;
}

expected<void> redis_registry::set_quota(std::string_view tenant, const tenant_quota& quota) {
  MF_CHECK_NAME("tenant", tenant);
  if (auto ok = check_quota(quota); !ok) return std::move(ok).error();
  MF_TRY(r, run(script(scripts::set_quota),
                {std::string(tenant), to_json(quota), tenant_updated_event(tenant)}));
  return {};
}

expected<void> redis_registry::delete_tenant(std::string_view tenant) {
  MF_CHECK_NAME("tenant", tenant);
  MF_TRY(r, run(script(scripts::delete_tenant), {std::string(tenant)}));
  return {};
}

expected<std::vector<key_record>> redis_registry::list_keys(std::string_view tenant) {
  MF_CHECK_NAME("tenant", tenant);
  std::string t(tenant);
  MF_TRY(r, pipe({{"SISMEMBER", key("tenants"), t}, {"HVALS", key("tenant:" + t + ":keys")}}));
  if ((*r)[0].as_integer() == 0) return make_error(errc::not_found, "tenant '" + t + "' not found");
  std::vector<key_record> out;
  for (const auto& v : (*r)[1].elements()) {
    MF_TRY(k, key_from_json(v.str()));
    out.push_back(std::move(*k));
  }
  std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.key_id < b.key_id; });
  return out;
}

expected<void> redis_registry::delete_key(std::string_view tenant, std::string_view key_id) {
  MF_CHECK_NAME("tenant", tenant);
  MF_TRY(r, run(script(scripts::delete_key), {std::string(tenant), std::string(key_id)}));
  return {};
}

expected<key_record> redis_registry::find_tenant_by_key(std::string_view key_hash) {
  MF_TRY(r, cmd({"GET", key("key:" + std::string(key_hash))}));
  if (r->is_nil()) return make_error(errc::not_found, "unknown key");
  return key_from_json(r->str());
}

// ---- models and versions -------------------------------------------------------------------

expected<std::int64_t> redis_registry::reserve_version_id(std::string_view tenant,
                                                          std::string_view model) {
  MF_CHECK_NAME("tenant", tenant);
  MF_CHECK_NAME("model", model);
  MF_TRY(r, run(script(scripts::reserve_version), {std::string(tenant), std::string(model)}));
  return r->as_integer();
}

expected<void> redis_registry::publish_version(std::string_view tenant, std::string_view model,
                                               const version_record& version, bool activate,
                                               std::string_view reason, std::string_view by) {
  MF_CHECK_NAME("tenant", tenant);
  MF_CHECK_NAME("model", model);
  MF_TRY(r, run(script(scripts::publish_version),
                {std::string(tenant), std::string(model), std::to_string(version.version),
                 to_json(version), activate ? "1" : "0", std::to_string(now_unix_ms()),
                 std::string(reason), std::string(by)}));
  return {};
}

expected<model_summary> redis_registry::summarize(std::string_view tenant, std::string_view model) {
  auto mk = model_key(tenant, model);
  MF_TRY(r,
         pipe({{"SISMEMBER", key("tenant:" + std::string(tenant) + ":models"), std::string(model)},
               {"HMGET", mk, "active", "updated_at"},
               {"HVALS", mk + ":versions"}}));
  if ((*r)[0].as_integer() == 0) {
    return make_error(errc::not_found, "model '" + std::string(model) + "' not found");
  }
  model_summary s;
  s.model = std::string(model);
  const auto& f = (*r)[1].elements();
  if (f.size() == 2) {
    s.active_version = int_of(f[0]);
    s.updated_at = int_of(f[1]);
  }
  std::int64_t newest = 0;
  for (const auto& v : (*r)[2].elements()) {
    MF_TRY(rec, version_from_json(v.str()));
    ++s.versions;
    if (rec->version == s.active_version) {
      s.algorithm = rec->algorithm;
      newest = INT64_MAX;
    } else if (rec->version > newest) {
      newest = rec->version;
      s.algorithm = rec->algorithm;
    }
  }
  return s;
}

expected<std::vector<model_summary>> redis_registry::list_models(std::string_view tenant) {
  MF_CHECK_NAME("tenant", tenant);
  std::string t(tenant);
  MF_TRY(r, pipe({{"SISMEMBER", key("tenants"), t}, {"SMEMBERS", key("tenant:" + t + ":models")}}));
  if ((*r)[0].as_integer() == 0) return make_error(errc::not_found, "tenant '" + t + "' not found");
  std::vector<std::string> names;
  for (const auto& n : (*r)[1].elements()) names.push_back(n.str());
  std::sort(names.begin(), names.end());
  std::vector<model_summary> out;
  for (const auto& m : names) {
    auto s = summarize(t, m);
    if (!s) {
      if (s.error().code == errc::not_found) continue;
      return std::move(s).error();
    }
    out.push_back(std::move(*s));
  }
  return out;
}

expected<model_summary> redis_registry::get_model(std::string_view tenant, std::string_view model) {
  MF_CHECK_NAME("tenant", tenant);
  MF_CHECK_NAME("model", model);
  return summarize(tenant, model);
}

expected<std::vector<version_record>> redis_registry::list_versions(std::string_view tenant,
                                                                    std::string_view model) {
  MF_CHECK_NAME("tenant", tenant);
  MF_CHECK_NAME("model", model);
  MF_TRY(r,
         pipe({{"SISMEMBER", key("tenant:" + std::string(tenant) + ":models"), std::string(model)},
               {"HVALS", model_key(tenant, model) + ":versions"}}));
  if ((*r)[0].as_integer() == 0) {
    return make_error(errc::not_found, "model '" + std::string(model) + "' not found");
  }
  std::vector<version_record> out;
  for (const auto& v : (*r)[1].elements()) {
    MF_TRY(rec, version_from_json(v.str()));
    out.push_back(std::move(*rec));
  }
  std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.version < b.version; });
  return out;
}

expected<version_record> redis_registry::get_version(std::string_view tenant,
                                                     std::string_view model, std::int64_t version) {
  MF_CHECK_NAME("tenant", tenant);
  MF_CHECK_NAME("model", model);
  MF_TRY(r, cmd({"HGET", model_key(tenant, model) + ":versions", std::to_string(version)}));
  if (r->is_nil()) return make_error(errc::not_found, "version not found");
  return version_from_json(r->str());
}

expected<history_event> redis_registry::activate(std::string_view tenant, std::string_view model,
                                                 std::int64_t version, std::string_view reason,
                                                 std::string_view by) {
  MF_CHECK_NAME("tenant", tenant);
  MF_CHECK_NAME("model", model);
  auto now = now_unix_ms();
  MF_TRY(r, run(script(scripts::activate),
                {std::string(tenant), std::string(model), std::to_string(version),
                 std::to_string(now), std::string(reason), std::string(by)}));
  const auto& e = r->elements();
  if (e.size() != 2) return make_error(errc::internal, "activate: unexpected reply");
  return history_event{now, e[0].as_integer(), e[1].as_integer(), std::string(reason),
                       std::string(by)};
}

expected<history_event> redis_registry::rollback(std::string_view tenant, std::string_view model,
                                                 std::string_view by) {
  MF_CHECK_NAME("tenant", tenant);
  MF_CHECK_NAME("model", model);
  auto now = now_unix_ms();
  MF_TRY(r, run(script(scripts::rollback),
                {std::string(tenant), std::string(model), std::to_string(now), std::string(by)}));
  const auto& e = r->elements();
  if (e.size() != 2) return make_error(errc::internal, "rollback: unexpected reply");
  return history_event{now, e[0].as_integer(), e[1].as_integer(), "rollback", std::string(by)};
}

expected<std::vector<history_event>> redis_registry::history(std::string_view tenant,
                                                             std::string_view model,
                                                             std::size_t limit) {
  MF_CHECK_NAME("tenant", tenant);
  MF_CHECK_NAME("model", model);
  if (limit == 0) return std::vector<history_event>{};
  MF_TRY(r,
         pipe({{"SISMEMBER", key("tenant:" + std::string(tenant) + ":models"), std::string(model)},
               {"LRANGE", model_key(tenant, model) + ":history", "0", std::to_string(limit - 1)}}));
  if ((*r)[0].as_integer() == 0) {
    return make_error(errc::not_found, "model '" + std::string(model) + "' not found");
  }
  std::vector<history_event> out;
  for (const auto& h : (*r)[1].elements()) {
    MF_TRY(e, history_from_json(h.str()));
    out.push_back(std::move(*e));
  }
  return out;
}

expected<void> redis_registry::delete_version(std::string_view tenant, std::string_view model,
                                              std::int64_t version, bool force,
                                              std::string_view by) {
  MF_CHECK_NAME("tenant", tenant);
  MF_CHECK_NAME("model", model);
  MF_TRY(r, run(script(scripts::delete_version),
                {std::string(tenant), std::string(model), std::to_string(version),
                 force ? "1" : "0", std::to_string(now_unix_ms()), std::string(by)}));
  return {};
}

expected<void> redis_registry::delete_model(std::string_view tenant, std::string_view model) {
  MF_CHECK_NAME("tenant", tenant);
  MF_CHECK_NAME("model", model);
  MF_TRY(r, run(script(scripts::delete_model), {std::string(tenant), std::string(model)}));
  return {};
}

// ---- jobs ----------------------------------------------------------------------------------

expected<std::string> redis_registry::reserve_job_id() {
  MF_TRY(seq, cmd({"INCR", key("job_seq")}));
  return "j" + std::to_string(seq->as_integer());
}

expected<job_record> redis_registry::create_job(job_record job) {
  MF_CHECK_NAME("tenant", job.tenant);
  MF_CHECK_NAME("model", job.model);
  // The id comes first (a failed create only leaves a gap in job ids, never a half job).
  if (job.id.empty()) {
    MF_TRY(id, reserve_job_id());
    job.id = std::move(*id);
  }
  const auto seq = job_sequence(job.id);
  if (!seq) return make_error(errc::invalid_input, "job id '" + job.id + "' was not reserved");
  job.status = job_status::queued;
  job.created_at = now_unix_ms();
  MF_TRY(r, run(script(scripts::create_job),
                {job.tenant, job.id, std::to_string(*seq), to_json(job)}));
  return job;
}

expected<job_record> redis_registry::get_job(std::string_view job_id) {
  MF_TRY(r, cmd({"GET", key("job:" + std::string(job_id))}));
  if (r->is_nil()) return make_error(errc::not_found, "job not found");
  return job_from_json(r->str());
}

expected<void> redis_registry::update_job(const job_record& job) {
  MF_TRY(r, run(script(scripts::update_job),
                {job.id, to_json(job), is_finished(job.status) ? "1" : "0"}));
  return {};
}

expected<void> redis_registry::update_job_fenced(const job_record& job,
                                                 std::int64_t expected_attempt) {
  MF_TRY(r, run(script(scripts::update_job_fenced),
                {job.id, std::to_string(expected_attempt), to_json(job),
                 is_finished(job.status) ? "1" : "0"}));
  return {};
}

expected<void> redis_registry::record_job_progress(std::string_view job_id, std::int64_t attempt,
                                                   double progress, std::string_view node) {
  const std::string patch = job_patch_json(progress, node);
  MF_TRY(r, run(script(scripts::patch_running_job), {std::string(job_id), std::to_string(attempt),
                                                     patch, std::to_string(now_unix_ms())}));
  return {};
}

expected<void> redis_registry::record_job_result(std::string_view job_id, std::int64_t attempt,
                                                 const job_result_fields& result) {
  MF_TRY(r, run(script(scripts::patch_running_job),
                {std::string(job_id), std::to_string(attempt), job_patch_json(result), ""}));
  return {};
}

expected<std::vector<job_record>> redis_registry::load_jobs(const std::vector<redis_reply>& ids) {
  std::vector<redis_argv> gets;
  for (const auto& id : ids) gets.push_back({"GET", key("job:" + id.str())});
  MF_TRY(r, pipe(gets));
  std::vector<job_record> out;
  for (const auto& j : *r) {
    if (j.is_nil()) continue;  // deleted between the index read and the GET
    MF_TRY(rec, job_from_json(j.str()));
    out.push_back(std::move(*rec));
  }
  return out;
}

expected<std::vector<job_record>> redis_registry::list_jobs(std::string_view tenant,
                                                            std::optional<job_status> status,
                                                            std::size_t limit) {
  MF_CHECK_NAME("tenant", tenant);
  std::vector<job_record> out;
  // Pages through the index newest first so a status filter still returns up to `limit`.
  const std::int64_t page = 200;
  for (std::int64_t start = 0; out.size() < limit; start += page) {
    MF_TRY(ids, cmd({"ZREVRANGE", key("tenant:" + std::string(tenant) + ":jobs"),
                     std::to_string(start), std::to_string(start + page - 1)}));
    if (ids->elements().empty()) break;
    MF_TRY(jobs, load_jobs(ids->elements()));
    for (auto& j : *jobs) {
      if (out.size() >= limit) break;
      if (!status || j.status == *status) out.push_back(std::move(j));
    }
    if (static_cast<std::int64_t>(ids->elements().size()) < page) break;
  }
  return out;
}

expected<std::vector<job_record>> redis_registry::list_unfinished_jobs() {
  MF_TRY(ids, cmd({"ZRANGE", key("jobs:unfinished"), "0", "-1"}));
  return load_jobs(ids->elements());
}

expected<std::optional<job_record>> redis_registry::dequeue_fair() {
  MF_TRY(r, run(script(scripts::dequeue_fair), {}));
  if (r->is_nil()) return std::optional<job_record>();
  MF_TRY(job, job_from_json(r->str()));
  return std::optional<job_record>(std::move(*job));
}

expected<void> redis_registry::requeue_job(std::string_view job_id) {
  MF_TRY(job, get_job(job_id));
  MF_TRY(r, run(script(scripts::requeue_job), {job->id, job->tenant}));
  return {};
}

expected<job_record> redis_registry::cancel_job(std::string_view job_id) {
  // Optimistic compare-and-set: read, decide, write only if nobody changed it meanwhile.
  for (int attempt = 0; attempt < 16; ++attempt) {
    MF_TRY(raw, cmd({"GET", key("job:" + std::string(job_id))}));
    if (raw->is_nil()) return make_error(errc::not_found, "job not found");
    MF_TRY(job, job_from_json(raw->str()));
    if (is_finished(job->status)) return make_error(errc::conflict, "job already finished");
    bool queued = job->status == job_status::queued;
    std::string event;
    if (queued) {
      job->status = job_status::cancelled;
      job->finished_at = now_unix_ms();
    } else {
      job->cancel_requested = true;
      event = simple_event("job_cancel", {{"job_id", job->id}, {"node", job->node}});
    }
    MF_TRY(r, run(script(scripts::cas_job), {job->id, job->tenant, raw->str(), to_json(*job),
                                             queued ? "1" : "0", queued ? "1" : "0", event}));
    if (r->as_integer() == 1) return std::move(*job);
  }
  return make_error(errc::conflict, "job changed concurrently, try again");
}

// ---- nodes ---------------------------------------------------------------------------------

expected<void> redis_registry::heartbeat(const node_record& node, std::int64_t ttl_ms) {
  MF_CHECK_NAME("node", node.node);
  if (ttl_ms <= 0) return make_error(errc::invalid_input, "ttl must be positive");
  node_record rec = node;
  rec.last_heartbeat = now_unix_ms();
  const std::string n = key("node:" + node.node);
  MF_TRY(r, pipe({{"MULTI"},
                  {"SADD", key("nodes"), node.node},
                  {"SET", n, to_json(rec)},
                  {"SET", n + ":alive", "1", "PX", std::to_string(ttl_ms), "GET"},
                  {"EXEC"}}));
  const auto& exec = r->back();
  if (exec.is_nil() || exec.is_error()) {
    return make_error(errc::internal, "heartbeat transaction failed: " + exec.str());
  }
  // The alive key was absent: the node joined (or came back after its TTL ran out). Routers
  // reload on this event instead of waiting for their periodic resync.
  const auto& replies = exec.elements();
  if (replies.size() == 3 && replies[2].is_nil())
    (void)publish_event(simple_event("node_up", {{"node", node.node}}));
  return {};
}

expected<std::vector<node_record>> redis_registry::list_nodes() {
  MF_TRY(names, cmd({"SMEMBERS", key("nodes")}));
  std::vector<std::string> sorted;
  for (const auto& n : names->elements()) sorted.push_back(n.str());
  std::sort(sorted.begin(), sorted.end());
  std::vector<redis_argv> reads;
  for (const auto& n : sorted) {
    reads.push_back({"GET", key("node:" + n)});
    reads.push_back({"EXISTS", key("node:" + n + ":alive")});
    reads.push_back({"SISMEMBER", key("nodes:draining"), n});
  }
  MF_TRY(r, pipe(reads));
  std::vector<node_record> out;
  for (std::size_t i = 0; i < sorted.size(); ++i) {
    const auto& rec = (*r)[3 * i];
    if (rec.is_nil()) continue;
    MF_TRY(node, node_from_json(rec.str()));
    bool alive = (*r)[3 * i + 1].as_integer() == 1;
    bool draining = (*r)[3 * i + 2].as_integer() == 1;
    node->state = !alive ? node_state::down : draining ? node_state::draining : node_state::up;
    out.push_back(std::move(*node));
  }
  return out;
}

expected<std::set<std::string>> redis_registry::draining_nodes() {
  MF_TRY(r, cmd({"SMEMBERS", key("nodes:draining")}));
  std::set<std::string> out;
  for (const auto& n : r->elements()) out.insert(n.str());
  return out;
}

expected<void> redis_registry::set_draining(std::string_view node, bool draining) {
  MF_CHECK_NAME("node", node);
  MF_TRY(r, run(script(scripts::set_draining),
                {std::string(node), draining ? "1" : "0", drain_event(node, draining)}));
  return {};
}

expected<void> redis_registry::remove_node(std::string_view node) {
  MF_CHECK_NAME("node", node);
  const std::string n = key("node:" + std::string(node));
  MF_TRY(r, pipe({{"MULTI"},
                  {"DEL", n, n + ":alive"},
                  {"SREM", key("nodes"), std::string(node)},
                  {"SREM", key("nodes:draining"), std::string(node)},
                  {"EXEC"}}));
  return {};
}

// ---- placement, events, leases -------------------------------------------------------------

expected<placement> redis_registry::get_placement() {
  MF_TRY(r, cmd({"GET", key("placement")}));
  if (r->is_nil()) return placement{};
  return placement_from_json(r->str());
}

expected<std::int64_t> redis_registry::get_placement_epoch() {
  MF_TRY(r, cmd({"GET", key("placement:epoch")}));
  if (r->is_nil()) return std::int64_t{0};
  std::int64_t epoch = 0;
  const auto text = r->str();
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), epoch);
  if (ec != std::errc{} || end != text.data() + text.size())
    return make_error(errc::internal, "placement:epoch is not an integer");
  return epoch;
}

expected<void> redis_registry::put_placement(const placement& p) {
  MF_TRY(r, run(script(scripts::put_placement),
                {std::to_string(p.epoch), to_json(p), placement_event(p.epoch)}));
  return {};
}

expected<void> redis_registry::publish_event(std::string_view payload) {
  MF_TRY(r, cmd({"PUBLISH", events_channel(), std::string(payload)}));
  return {};
}

expected<std::int64_t> redis_registry::try_acquire_lease(std::string_view name,
                                                         std::string_view owner,
                                                         std::int64_t ttl_ms) {
  if (ttl_ms <= 0 || owner.empty()) return make_error(errc::invalid_input, "bad lease request");
  MF_TRY(r, run(script(scripts::acquire_lease),
                {std::string(name), std::string(owner), std::to_string(ttl_ms)}));
  return r->as_integer();
}

expected<void> redis_registry::renew_lease(std::string_view name, std::string_view owner,
                                           std::int64_t ttl_ms) {
  if (ttl_ms <= 0) return make_error(errc::invalid_input, "bad lease ttl");
  MF_TRY(r, run(script(scripts::renew_lease),
                {std::string(name), std::string(owner), std::to_string(ttl_ms)}));
  return {};
}

expected<void> redis_registry::release_lease(std::string_view name, std::string_view owner) {
  MF_TRY(r, run(script(scripts::release_lease), {std::string(name), std::string(owner)}));
  return {};
}

}  // namespace mf::cluster
