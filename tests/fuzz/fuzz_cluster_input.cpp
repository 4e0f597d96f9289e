// libFuzzer target: the first byte picks a parser of cluster/, the rest is its input. Nothing
// may crash, leak or read out of bounds; errors must come back as values.
#include <hiredis/hiredis.h>

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "cluster/blob_store.hpp"
#include "cluster/names.hpp"
#include "cluster/record_json.hpp"
#include "cluster/redis_client.hpp"
#include "cluster/redis_url.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 6) {
    case 0: {
      auto u = mf::cluster::parse_redis_url(in);
      if (u) (void)mf::cluster::redacted(*u);
      break;
    }
    case 1: {
      bool ok = mf::cluster::is_valid_name(in);
      auto p = mf::cluster::blob_path({std::string(in), "m", 1});
      if (ok != p.has_value()) __builtin_trap();  // one rule for names and paths
      break;
    }
    case 2:
      (void)mf::cluster::job_from_json(in);
      (void)mf::cluster::version_from_json(in);
      break;
    case 3:
      (void)mf::cluster::placement_from_json(in);
      (void)mf::cluster::node_from_json(in);
      (void)mf::cluster::history_from_json(in);
      (void)mf::cluster::key_from_json(in);
      break;
    default: {
      // Redis protocol bytes: hiredis parses, our copy enforces a 4 KiB budget.
      redisReader* reader = redisReaderCreate();
      if (reader == nullptr) return 0;
      if (redisReaderFeed(reader, in.data(), in.size()) == REDIS_OK) {
        for (int i = 0; i < 64; ++i) {
          void* reply = nullptr;
          if (redisReaderGetReply(reader, &reply) != REDIS_OK || reply == nullptr) break;
          (void)mf::cluster::detail::copy_reply(reply, 4096);
          freeReplyObject(reply);
        }
      }
      redisReaderFree(reader);
      break;
    }
  }
  return 0;
}
