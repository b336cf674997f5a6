#pragma once
#include "server/context.hpp"

namespace orch::server {

// Runs the HTTP API until SIGTERM or SIGINT, then drains: stops accepting, lets in-flight work finish
// within the grace period, cancels what remains, removes pool sandboxes. Returns the exit code.
int serve(const ServerConfig& cfg);

}  // namespace orch::server
