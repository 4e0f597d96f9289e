// `modelfleet jobs show|list|cancel` (API.md "Training": job routes) and the job waiting and
// printing `train` shares.
#include <chrono>
#include <cmath>
#include <memory>
#include <thread>

#include "nodes/cli/command_support.hpp"
#include "nodes/cli/output.hpp"

namespace mf::cli {
namespace {

struct jobs_options {
  common_options common;
  std::string job_id;
  std::string tenant;
  std::string status;
  double wait_seconds = 3600;
  double poll_seconds = 0.25;
};

bool finished(const std::string& status) {
  return status == "succeeded" || status == "failed" || status == "cancelled";
}

std::string progress_percent(const nlohmann::json& job) {
  const auto p = job.value("progress", nlohmann::json());
  if (!p.is_number()) return "-";
  return std::to_string(static_cast<int>(std::lround(p.get<double>() * 100))) + "%";
}

void print_job_fields(const cli_io& io, const nlohmann::json& job) {
  static constexpr const char* fields[] = {"job_id", "tenant",     "model",      "algorithm",
                                           "status", "progress",   "version",    "activated",
                                           "node",   "created_at", "started_at", "finished_at"};
  for (const char* f : fields) {
    if (std::string(f) == "progress") {
      *io.out << "progress: " << progress_percent(job) << "\n";
    } else {
      *io.out << f << ": " << cell(job, f) << "\n";
    }
  }
  *io.out << "metrics: " << metrics_text(job.value("metrics", nlohmann::json())) << "\n";
  const auto error = job.value("error", nlohmann::json());
  if (!error.is_null())
    *io.out << "error: " << (error.is_string() ? cell(error) : error.dump()) << "\n";
  io.out->flush();
}

std::string job_error_text(const nlohmann::json& job) {
  const auto error = job.value("error", nlohmann::json());
  if (error.is_string()) return error.get<std::string>();
  if (error.is_object() && error.contains("message")) return cell(error, "message");
  return error.is_null() ? std::string("no reason given") : error.dump();
}

int show(const cli_io& io, const jobs_options& o) {
  auto client = make_client(o.common);
  auto reply = client.call_json("GET", "/v1/jobs/" + url_encode(o.job_id));
  if (!reply) return print_error(io, reply.error());
  if (o.common.json()) {
    print_json(io, *reply);
  } else {
    print_job_fields(io, *reply);
  }
  return exit_ok;
}

int list(const cli_io& io, const jobs_options& o) {
  auto client = make_client(o.common);
  std::string path = tenant_path(o.tenant) + "/jobs";
  if (!o.status.empty()) path += "?status=" + url_encode(o.status);
  auto reply = client.call_json("GET", path);
  if (!reply) return print_error(io, reply.error());
  if (o.common.json()) {
    print_json(io, *reply);
    return exit_ok;
  }
  table t({"JOB", "MODEL", "ALGORITHM", "STATUS", "PROGRESS", "VERSION", "NODE", "CREATED"});
  for (const auto& j : reply->value("jobs", nlohmann::json::array())) {
    t.add_row({cell(j, "job_id"), cell(j, "model"), cell(j, "algorithm"), cell(j, "status"),
               progress_percent(j), cell(j, "version"), cell(j, "node"), cell(j, "created_at")});
  }
  t.print(*io.out);
  return exit_ok;
}

int cancel(const cli_io& io, const jobs_options& o) {
  auto client = make_client(o.common);
  auto reply = client.call_json("DELETE", "/v1/jobs/" + url_encode(o.job_id));
  if (!reply) return print_error(io, reply.error());
  if (o.common.json()) {
    print_json(io, nlohmann::json{{"job_id", o.job_id}, {"cancel_requested", true}});
  } else {
    *io.out << "job " << o.job_id << ": cancel requested" << std::endl;
  }
  return exit_ok;
}

int wait(const cli_io& io, const jobs_options& o) {
  auto client = make_client(o.common);
  return wait_for_job(io, client, o.job_id, o.common.json(), o.wait_seconds, o.poll_seconds);
}

}  // namespace

int print_finished_job(const cli_io& io, const nlohmann::json& job, bool json) {
  const std::string status = cell(job, "status");
  if (json) {
    print_json(io, job);
  } else if (status == "succeeded") {
    const bool activated = job.value("activated", false);
    *io.out << "job " << cell(job, "job_id") << " succeeded: " << cell(job, "tenant") << "/"
            << cell(job, "model") << " version " << cell(job, "version")
            << (activated ? " (active)" : " (not activated)") << "  "
            << metrics_text(job.value("metrics", nlohmann::json())) << std::endl;
  } else {
    *io.err << "error: job " << cell(job, "job_id") << " " << status << ": " << job_error_text(job)
            << std::endl;
  }
  return status == "succeeded" ? exit_ok : exit_api_error;
}

int wait_for_job(const cli_io& io, api_client& client, const std::string& job_id, bool json,
                 double wait_seconds, double poll_seconds) {
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::milliseconds(static_cast<long long>(wait_seconds * 1000));
  const auto poll = std::chrono::milliseconds(static_cast<long long>(poll_seconds * 1000));
  std::string last_line;
  bool bar_drawn = false;
  for (;;) {
    auto job = client.call_json("GET", "/v1/jobs/" + url_encode(job_id));
    if (!job) {
      if (bar_drawn) *io.out << std::endl;
      return print_error(io, job.error());
    }
    const std::string status = cell(*job, "status");
    const double progress =
        job->value("progress", nlohmann::json(0.0)).is_number() ? job->value("progress", 0.0) : 0.0;
    if (!json && io.out_is_tty) {
      const double shown = status == "succeeded" ? 1.0 : progress;
      *io.out << "\r" << progress_bar(shown) << "  " << status << "        " << std::flush;
      bar_drawn = true;
    } else if (!json) {
      // Plain lines: one per status change or per 10% step, so logs stay short.
      const std::string line =
          "job " + job_id + " " + status +
          (status == "running" ? " " + std::to_string(static_cast<int>(progress * 10) * 10) + "%"
                               : std::string());
      if (line != last_line && !finished(status)) *io.out << line << std::endl;
      last_line = line;
    }
    if (finished(status)) {
      if (bar_drawn) *io.out << std::endl;
      return print_finished_job(io, *job, json);
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      if (bar_drawn) *io.out << std::endl;
      return print_error(
          io, mf::make_error(errc::deadline_exceeded,
                             "job " + job_id + " still " + status + " after " +
                                 cell(nlohmann::json(wait_seconds)) +
                                 " s; check it with `modelfleet jobs show " + job_id + "`"));
    }
    std::this_thread::sleep_for(poll);  // polling the API, not synchronising a test
  }
}

void add_jobs_commands(CLI::App& app, const cli_io& io) {
  auto* group = app.add_subcommand("jobs", "Show, list, wait for and cancel training jobs");
  group->require_subcommand(1);

  auto show_opts = std::make_shared<jobs_options>();
  auto* s = group->add_subcommand("show", "Show one job");
  s->add_option("job_id", show_opts->job_id, "Job id")->required();
  add_common_options(s, show_opts->common);
  set_action(s, [io, show_opts] { return show(io, *show_opts); });

  auto list_opts = std::make_shared<jobs_options>();
  auto* l = group->add_subcommand("list", "List a tenant's jobs, newest first");
  l->add_option("-t,--tenant", list_opts->tenant, "Tenant name")
      ->required()
      ->envname("MODELFLEET_TENANT");
  l->add_option("--status", list_opts->status, "Only jobs in this state")
      ->check(CLI::IsMember({"queued", "running", "succeeded", "failed", "cancelled"}));
  add_common_options(l, list_opts->common);
  set_action(l, [io, list_opts] { return list(io, *list_opts); });

  auto wait_opts = std::make_shared<jobs_options>();
  auto* w = group->add_subcommand("wait", "Wait for a job to finish (exit 0 only if it succeeded)");
  w->add_option("job_id", wait_opts->job_id, "Job id")->required();
  w->add_option("--wait-timeout", wait_opts->wait_seconds, "Give up after this many seconds")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  w->add_option("--poll-interval", wait_opts->poll_seconds, "Seconds between job polls")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  add_common_options(w, wait_opts->common);
  set_action(w, [io, wait_opts] { return wait(io, *wait_opts); });

  auto cancel_opts = std::make_shared<jobs_options>();
  auto* c = group->add_subcommand("cancel", "Cancel a queued or running job");
  c->add_option("job_id", cancel_opts->job_id, "Job id")->required();
  add_common_options(c, cancel_opts->common);
  set_action(c, [io, cancel_opts] { return cancel(io, *cancel_opts); });
}

}  // namespace mf::cli
