// reply_sink: how actors hand a finished message back to the socket that owns the peer.
// Thread-safe by contract: send() is called concurrently from actor threads and must not block.
#pragma once

#include <string>

#include "protocol/messages.hpp"

namespace mf::actors {

class reply_sink {
 public:
  virtual ~reply_sink() = default;
  // `route` is the opaque address the socket gave with the request (a ROUTER identity).
  virtual void send(const std::string& route, mf::protocol::envelope message) = 0;
};

}  // namespace mf::actors
