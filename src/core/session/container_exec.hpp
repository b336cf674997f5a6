#pragma once
#include <chrono>
#include <memory>
#include <string>

#include "core/engine/engine.hpp"

namespace orch::session {

struct ExecOutput {
  int exit_code = -1;
  std::string out;  // stdout, at most out_cap bytes
  std::string err;  // stderr, at most 64 KiB
  bool out_truncated = false;
};

// Starts a process in a session's sandbox with stdin attached. Throws Conflict when the sandbox is
// not running.
std::unique_ptr<engine::Process> start_exec(engine::Engine& engine, const std::string& container, engine::ExecSpec spec);

// Runs a short helper process in a running sandbox: feeds `input` on its stdin (then EOF), collects
// its output, and returns its exit code. Throws Timeout at the deadline and Conflict when the
// sandbox is not running.
ExecOutput exec_capture(engine::Engine& engine, const std::string& container, const engine::ExecSpec& spec,
                        const std::string& input, size_t out_cap, std::chrono::milliseconds timeout);

}  // namespace orch::session
