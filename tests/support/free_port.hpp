// free_tcp_port: asks the kernel for an unused TCP port on 127.0.0.1 (bind to port 0).
// Thread-safe (no shared state). The port is free when returned; a racing process may take it.
#pragma once

#include <cstdint>

namespace mf::test {

// Returns a port that was free on 127.0.0.1 a moment ago; aborts the test run if none.
std::uint16_t free_tcp_port();

}  // namespace mf::test
