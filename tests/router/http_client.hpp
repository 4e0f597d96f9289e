// http_client: a tiny blocking libcurl client for router tests. Not thread-safe (one per thread).
#pragma once

#include <map>
#include <string>
#include <vector>

namespace mf::test {

struct http_result {
  long status = 0;  // 0: transport error
  std::string body;
  std::map<std::string, std::string> headers;  // lower-case names
};

http_result http_request(const std::string& method, const std::string& url,
                         const std::string& body = {},
                         const std::vector<std::string>& headers = {});

}  // namespace mf::test
