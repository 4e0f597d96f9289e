#include "nodes/logging.hpp"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <ctime>

#include "common/json_escape.hpp"

namespace mf::nodes {

namespace {

// One JSON object per line: {"ts":...,"level":...,"node":...,"msg":...}; the message is escaped.
class json_formatter final : public spdlog::formatter {
 public:
  explicit json_formatter(std::string node) : node_(std::move(node)) {}
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(msg.time.time_since_epoch()).count();
    char head[96];
    std::snprintf(head, sizeof head, "{\"ts_ms\":%lld,\"level\":\"", static_cast<long long>(ms));
    dest.append(std::string_view(head));
    auto lv = spdlog::level::to_string_view(msg.level);
    dest.append(std::string_view(lv.data(), lv.size()));
    dest.append(std::string_view("\",\"node\":\""));
    mf::append_json_escaped(dest, node_);
    dest.append(std::string_view("\",\"msg\":\""));
    mf::append_json_escaped(dest, std::string_view(msg.payload.data(), msg.payload.size()));
    dest.append(std::string_view("\"}\n"));
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<json_formatter>(node_);
  }

 private:
  std::string node_;
};

}  // namespace

void setup_logging(const std::string& format, const std::string& level, const std::string& node) {
  auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  auto logger = std::make_shared<spdlog::logger>("modelfleet", sink);
  if (format == "json")
    logger->set_formatter(std::make_unique<json_formatter>(node));
  else
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ " + node + " %v");
  logger->set_level(spdlog::level::from_str(level));
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
}

}  // namespace mf::nodes
