// worker_node: wires a worker process together (actors, ROUTER socket, admin HTTP, Redis
// registration and events) and runs it until SIGTERM/SIGINT, then drains. Call from main only.
#pragma once

#include "nodes/worker_config.hpp"

namespace mf::nodes {

// Returns the process exit code (0 after a clean drain).
int run_worker(const worker_options& options);

}  // namespace mf::nodes
