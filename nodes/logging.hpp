// logging: spdlog setup shared by every role: text or JSON lines on stderr, one per event.
// Call setup_logging() once at startup, before other threads log.
#pragma once

#include <string>

namespace mf::nodes {

void setup_logging(const std::string& format, const std::string& level, const std::string& node);

}  // namespace mf::nodes
