// routes: a hand-written matcher over path segments; cheaper and easier to test than regexes,
// and it lets one place decide 404 vs method-not-allowed.
#include "nodes/router/routes.hpp"

#include <charconv>
#include <vector>

#include "cluster/names.hpp"
#include "nodes/router/api_types.hpp"

namespace mf::router {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Percent-decodes one segment; a broken escape is kept literally (the name check rejects it).
std::string decode_segment(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      int hi = hex_value(s[i + 1]), lo = hex_value(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(s[i]);
  }
  return out;
}

std::vector<std::string> split_path(std::string_view path) {
  std::vector<std::string> segs;
  segs.reserve(8);  // the longest route has 8 segments: one allocation, not one per doubling
  std::size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '/') {
      ++i;
      continue;
    }
    auto j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    segs.push_back(decode_segment(path.substr(i, j - i)));
    i = j;
  }
  return segs;
}

mf::error not_found(std::string_view path) {
  return mf::make_error(errc::not_found, "no route for " + std::string(path.substr(0, 200)));
}

mf::error bad_method(std::string_view method) {
  return mf::make_error(errc::not_found, "method " + std::string(method.substr(0, 16)) +
                                             " not allowed on this route");
}

// Picks the route for `method` among the ones the path allows.
mf::expected<route_match> pick(
    std::string_view method, route_match m,
    std::initializer_list<std::pair<std::string_view, route_id>> options) {
  for (const auto& [verb, id] : options) {
    if (verb == method) {
      m.id = id;
      return m;
    }
  }
  return bad_method(method);
}

mf::expected<route_match> match_model_routes(std::string_view method,
                                             const std::vector<std::string>& s, route_match m,
                                             std::string_view path) {
  // s: v1 tenants {t} models {m} ...
  m.model = s[4];
  if (s.size() == 5)
    return pick(method, m, {{"GET", route_id::model_get}, {"DELETE", route_id::model_delete}});
  const std::string& verb = s[5];
  if (s.size() == 6) {
    if (verb == "train") return pick(method, m, {{"POST", route_id::train}});
    if (verb == "predict") return pick(method, m, {{"POST", route_id::predict}});
    if (verb == "rollback") return pick(method, m, {{"POST", route_id::model_rollback}});
    if (verb == "history") return pick(method, m, {{"GET", route_id::model_history}});
    if (verb == "versions") return pick(method, m, {{"POST", route_id::version_upload}});
    return not_found(path);
  }
  if (verb != "versions") return not_found(path);
  m.version_text = s[6];
  if (s.size() == 7) return pick(method, m, {{"DELETE", route_id::version_delete}});
  if (s.size() == 8 && s[7] == "activate")
    return pick(method, m, {{"POST", route_id::version_activate}});
  if (s.size() == 8 && s[7] == "artifact")
    return pick(method, m, {{"GET", route_id::artifact_get}});
  return not_found(path);
}

}  // namespace

std::string_view route_name(route_id id) {
  switch (id) {
    case route_id::healthz:
      return "healthz";
    case route_id::readyz:
      return "readyz";
    case route_id::metrics:
      return "metrics";
    case route_id::admin_ui:
      return "admin_ui";
    case route_id::tenants_list:
      return "tenants_list";
    case route_id::tenant_create:
      return "tenant_create";
    case route_id::tenant_patch:
      return "tenant_patch";
    case route_id::tenant_delete:
      return "tenant_delete";
    case route_id::key_create:
      return "key_create";
    case route_id::key_delete:
      return "key_delete";
    case route_id::train:
      return "train";
    case route_id::job_get:
      return "job_get";
    case route_id::job_cancel:
      return "job_cancel";
    case route_id::tenant_jobs:
      return "tenant_jobs";
    case route_id::predict:
      return "predict";
    case route_id::models_list:
      return "models_list";
    case route_id::model_get:
      return "model_get";
    case route_id::model_delete:
      return "model_delete";
    case route_id::version_activate:
      return "version_activate";
    case route_id::model_rollback:
      return "model_rollback";
    case route_id::model_history:
      return "model_history";
    case route_id::version_delete:
      return "version_delete";
    case route_id::artifact_get:
      return "artifact_get";
    case route_id::version_upload:
      return "version_upload";
    case route_id::nodes_list:
      return "nodes_list";
    case route_id::node_drain:
      return "node_drain";
    case route_id::node_undrain:
      return "node_undrain";
    case route_id::placement_get:
      return "placement_get";
  }
  return "unknown";
}

route_access access_of(route_id id) {
  switch (id) {
    case route_id::healthz:
    case route_id::readyz:
    case route_id::metrics:
    case route_id::admin_ui:
      return route_access::public_;
    case route_id::tenants_list:
    case route_id::tenant_create:
    case route_id::tenant_patch:
    case route_id::tenant_delete:
    case route_id::nodes_list:
    case route_id::node_drain:
    case route_id::node_undrain:
    case route_id::placement_get:
      return route_access::admin;
    default:
      return route_access::tenant;  // job routes: checked against the job's tenant later
  }
}

mf::expected<route_match> match_route(std::string_view method, std::string_view path) {
  auto s = split_path(path);
  route_match m;
  if (s.empty()) return not_found(path);
  if (s.size() == 1 && s[0] == "healthz") return pick(method, m, {{"GET", route_id::healthz}});
  if (s.size() == 1 && s[0] == "readyz") return pick(method, m, {{"GET", route_id::readyz}});
  if (s.size() == 1 && s[0] == "metrics") return pick(method, m, {{"GET", route_id::metrics}});
  if (s[0] == "admin") {
    for (std::size_t i = 1; i < s.size(); ++i) m.rest += (i > 1 ? "/" : "") + s[i];
    return pick(method, m, {{"GET", route_id::admin_ui}});
  }
  if (s[0] != "v1" || s.size() < 2) return not_found(path);
  if (s[1] == "jobs") {
    if (s.size() != 3) return not_found(path);
    m.job = s[2];
    return pick(method, m, {{"GET", route_id::job_get}, {"DELETE", route_id::job_cancel}});
  }
  if (s[1] == "cluster") {
    if (s.size() == 3 && s[2] == "nodes") return pick(method, m, {{"GET", route_id::nodes_list}});
    if (s.size() == 3 && s[2] == "placement")
      return pick(method, m, {{"GET", route_id::placement_get}});
    if (s.size() == 5 && s[2] == "nodes") {
      m.node = s[3];
      if (s[4] == "drain") return pick(method, m, {{"POST", route_id::node_drain}});
      if (s[4] == "undrain") return pick(method, m, {{"POST", route_id::node_undrain}});
    }
    return not_found(path);
  }
  if (s[1] != "tenants") return not_found(path);
  if (s.size() == 2) return pick(method, m, {{"GET", route_id::tenants_list}});
  m.tenant = s[2];
  if (s.size() == 3) {
    return pick(method, m,
                {{"PUT", route_id::tenant_create},
                 {"PATCH", route_id::tenant_patch},
                 {"DELETE", route_id::tenant_delete}});
  }
  if (s[3] == "keys") {
    if (s.size() == 4) return pick(method, m, {{"POST", route_id::key_create}});
    if (s.size() == 5) {
      m.key_id = s[4];
      return pick(method, m, {{"DELETE", route_id::key_delete}});
    }
    return not_found(path);
  }
  if (s[3] == "jobs" && s.size() == 4) return pick(method, m, {{"GET", route_id::tenant_jobs}});
  if (s[3] == "models") {
    if (s.size() == 4) return pick(method, m, {{"GET", route_id::models_list}});
    return match_model_routes(method, s, std::move(m), path);
  }
  return not_found(path);
}

mf::expected<std::int64_t> parse_version(std::string_view text) {
  std::int64_t v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc{} || p != text.data() + text.size() || v < 1) {
    return mf::make_error(errc::invalid_field, "version must be a positive integer, got \"" +
                                                   std::string(text.substr(0, 32)) + "\"");
  }
  return v;
}

mf::expected<void> validate_names(const route_match& m) {
  if (!m.tenant.empty() || (access_of(m.id) == route_access::tenant && m.id != route_id::job_get &&
                            m.id != route_id::job_cancel)) {
    if (auto r = mf::cluster::check_name("tenant", m.tenant); !r) return r;
  }
  if (!m.model.empty()) {
    if (auto r = mf::cluster::check_name("model", m.model); !r) return r;
  }
  if (!m.node.empty()) {
    if (auto r = mf::cluster::check_name("node", m.node); !r) return r;
  }
  if (!m.version_text.empty()) {
    if (auto v = parse_version(m.version_text); !v) return std::move(v).error();
  }
  return {};
}

std::size_t body_limit(route_id id) {
  return id == route_id::version_upload ? max_upload_bytes : max_body_bytes;
}

}  // namespace mf::router
