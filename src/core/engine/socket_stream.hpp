#pragma once
#include <memory>

#include "core/docker/conn.hpp"
#include "core/engine/stream.hpp"

namespace orch::engine {

// A Stream over a socket carrying Docker's multiplexed attach/exec framing (8-byte headers).
std::unique_ptr<Stream> multiplexed_stream(std::unique_ptr<docker::Conn> conn);
// A Stream over a connected socket whose every byte is output of one kind (a warm runner's direct
// output); write() goes to the same socket.
std::unique_ptr<Stream> socket_stream(std::unique_ptr<docker::Conn> conn, StreamKind kind);

}  // namespace orch::engine
