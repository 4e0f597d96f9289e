// api_client: the router's REST API (shared API.md) as seen by the CLI: base URL, bearer token,
// JSON in/out, and the error envelope turned into mf::error. Not thread-safe (plain value).
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <string>
#include <string_view>

#include "common/expected.hpp"
#include "nodes/cli/http_client.hpp"

namespace mf::cli {

// Maps an API error code ("not_found") back to errc; unknown codes become errc::internal.
errc errc_from_string(std::string_view code);

// The mf::error an HTTP error response stands for: the envelope's code and message when the
// body is one, otherwise a code derived from the status and the body's first bytes.
mf::error error_from_response(const http_response& response);

class api_client {
 public:
  api_client(std::string base_url, std::string token, std::chrono::milliseconds timeout);

  // Sends `body` with `content_type` (when non-empty) to base_url + path_and_query; a non-2xx
  // answer becomes its mf::error, so a returned response always has a 2xx status.
  mf::expected<http_response> call(const std::string& method, const std::string& path_and_query,
                                   std::string body = {}, const std::string& content_type = {},
                                   std::vector<std::pair<std::string, std::string>> headers = {});

  // call() with a JSON body (or none when `body` is null) and a JSON answer ({} for 204).
  mf::expected<nlohmann::json> call_json(const std::string& method,
                                         const std::string& path_and_query,
                                         const nlohmann::json& body = nullptr);

  const std::string& base_url() const noexcept { return base_url_; }

 private:
  std::string base_url_;
  std::string token_;
  std::chrono::milliseconds timeout_;
};

// "/v1/tenants/{tenant}/models/{model}" with each segment percent-encoded.
std::string model_path(std::string_view tenant, std::string_view model);
std::string tenant_path(std::string_view tenant);

}  // namespace mf::cli
