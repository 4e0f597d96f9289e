// coordinator_config: every tunable of the coordinator role, with its default (documented in
// nodes/coordinator/coordinator_command.cpp where the flags are parsed). Value type.
#pragma once

#include <optional>
#include <string>

#include "protocol/curve.hpp"

namespace mf::coordinator {

struct coordinator_config {
  std::string id = "c1";  // node id (lease owner, node record)
  std::string redis_url = "redis://127.0.0.1:6379";
  std::string key_prefix = "mf:";          // Redis key prefix of the registry
  std::string store = "fs:./var/blobs";    // blob store spec (fs:/path | redis)
  int replicas = 2;                        // placement replication factor
  double load_bound = 1.25;                // placement per-node load bound
  int lease_ttl_ms = 3000;                 // leader lease TTL; takeover within ~TTL
  int renew_interval_ms = 1000;            // lease renewal period (< ttl / 2)
  int placement_interval_ms = 500;         // membership poll period
  int move_grace_ms = 2000;                // max time old owners stay during a move
  int max_attempts = 3;                    // training attempts before a job fails
  int retention = 10;                      // versions kept per model (+ the active one)
  int assign_timeout_ms = 15000;           // no news from a live worker -> re-queue
  std::string admin_http = "127.0.0.1:0";  // host:port of /healthz + /metrics
  std::string curve_keys;                  // --curve-keys DIR; empty = plain ZeroMQ
  std::optional<protocol::curve_keys> curve;  // loaded from curve_keys at start
};

}  // namespace mf::coordinator
