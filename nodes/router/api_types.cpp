// api_types: error envelope built with nlohmann so messages are always escaped correctly.
#include "nodes/router/api_types.hpp"

#include <cctype>
#include <nlohmann/json.hpp>

namespace mf::router {

api_response error_response(const mf::error& e) {
  nlohmann::json j;
  j["error"]["code"] = std::string(mf::to_string(e.code));
  j["error"]["message"] = e.message;
  api_response r;
  r.status = mf::http_status(e.code);
  r.body = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (e.code == errc::overloaded) r.headers.emplace_back("Retry-After", "1");
  return r;
}

api_response json_response(int status, std::string body) {
  api_response r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

api_response empty_response(int status) {
  api_response r;
  r.status = status;
  if (status != 204) r.body = "{}";
  return r;
}

std::string media_type(std::string_view content_type) {
  auto semi = content_type.find(';');
  if (semi != std::string_view::npos) content_type = content_type.substr(0, semi);
  std::string out;
  for (char c : content_type) {
    if (std::isspace(static_cast<unsigned char>(c))) continue;
    out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  return out;
}

}  // namespace mf::router
