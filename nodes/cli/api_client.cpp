#include "nodes/cli/api_client.hpp"

#include <array>

namespace mf::cli {

errc errc_from_string(std::string_view code) {
  for (std::uint16_t n = 0; n <= static_cast<std::uint16_t>(errc::cancelled); ++n) {
    const auto candidate = static_cast<errc>(n);
    if (to_string(candidate) == code) return candidate;
  }
  return errc::internal;
}

namespace {

errc errc_from_status(long status) {
  switch (status) {
    case 400:
      return errc::invalid_field;
    case 401:
      return errc::unauthorized;
    case 403:
      return errc::forbidden;
    case 404:
      return errc::not_found;
    case 409:
      return errc::conflict;
    case 413:
      return errc::payload_too_large;
    case 415:
      return errc::unsupported_media_type;
    case 422:
      return errc::invalid_input;
    case 429:
      return errc::overloaded;
    case 503:
      return errc::unavailable;
    case 504:
      return errc::deadline_exceeded;
    default:
      return errc::internal;
  }
}

}  // namespace

mf::error error_from_response(const http_response& response) {
  const auto body = nlohmann::json::parse(response.body, nullptr, false);
  if (body.is_object() && body.contains("error") && body["error"].is_object()) {
    const auto& e = body["error"];
    const std::string code = e.value("code", std::string());
    std::string message = e.value("message", std::string());
    if (message.empty()) message = code;
    errc parsed = errc_from_string(code);
    if (parsed == errc::internal && code != "internal") parsed = errc_from_status(response.status);
    return mf::make_error(parsed, std::move(message));
  }
  std::string snippet = response.body.substr(0, 200);
  if (snippet.empty()) snippet = "no body";
  return mf::make_error(errc_from_status(response.status),
                        "HTTP " + std::to_string(response.status) + ": " + snippet);
}

api_client::api_client(std::string base_url, std::string token, std::chrono::milliseconds timeout)
    : base_url_(std::move(base_url)), token_(std::move(token)), timeout_(timeout) {
  while (!base_url_.empty() && base_url_.back() == '/') base_url_.pop_back();
}

mf::expected<http_response> api_client::call(
    const std::string& method, const std::string& path_and_query, std::string body,
    const std::string& content_type, std::vector<std::pair<std::string, std::string>> headers) {
  http_request request;
  request.method = method;
  request.url = base_url_ + path_and_query;
  request.timeout = timeout_;
  request.body = std::move(body);
  request.headers = std::move(headers);
  if (!content_type.empty()) request.headers.emplace_back("Content-Type", content_type);
  if (!token_.empty()) request.headers.emplace_back("Authorization", "Bearer " + token_);
  auto response = http_perform(request);
  if (!response) return std::move(response).error();
  if (response->status < 200 || response->status >= 300) return error_from_response(*response);
  return response;
}

mf::expected<nlohmann::json> api_client::call_json(const std::string& method,
                                                   const std::string& path_and_query,
                                                   const nlohmann::json& body) {
  auto response = body.is_null() ? call(method, path_and_query)
                                 : call(method, path_and_query, body.dump(), "application/json");
  if (!response) return std::move(response).error();
  if (response->body.empty()) return nlohmann::json::object();
  auto parsed = nlohmann::json::parse(response->body, nullptr, false);
  if (parsed.is_discarded()) {
    return mf::make_error(errc::malformed_json,
                          "the router answered " + method + " " + path_and_query +
                              " with a body that is not JSON: " + response->body.substr(0, 200));
  }
  return parsed;
}

std::string tenant_path(std::string_view tenant) {
  return "/v1/tenants/" + url_encode(tenant);
}

std::string model_path(std::string_view tenant, std::string_view model) {
  return tenant_path(tenant) + "/models/" + url_encode(model);
}

}  // namespace mf::cli
