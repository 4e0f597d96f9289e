// free_tcp_port: a TCP port that is free on 127.0.0.1, picked below the kernel's ephemeral range.
// Why not bind to port 0: the kernel takes port-0 binds from the ephemeral range, which is also
// where the local ends of outgoing connections come from, so a load generator in a parallel test
// can take the port between our pick and the server's bind ("Address already in use"). Below that
// range only another explicit bind can race us; ops/free_port.py does the same for scripts.
// Thread-safe (no shared state). The port is free when returned; a racing bind may still take it.
#pragma once

#include <cstdint>

namespace mf::test {

// Returns a port that was free on 127.0.0.1 a moment ago; aborts the test run if none.
std::uint16_t free_tcp_port();

}  // namespace mf::test
