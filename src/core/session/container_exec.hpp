#pragma once
#include <algorithm>
#include <chrono>
#include <functional>
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

// How long a helper process may take: `total` at most, and at most `stall` without moving a byte
// (zero: no such limit); `cancelled` ends the wait within 200 ms (a server's drain).
struct Patience {
  std::chrono::milliseconds total;
  std::chrono::milliseconds stall{0};
  std::function<bool()> cancelled;
  // With a stall limit, each call to the engine gets at most that long, and never over 10 s (a
  // wait on the engine cannot be cancelled); without one, the engine calls keep their own.
  std::chrono::milliseconds engine_wait() const {
    if (stall.count() <= 0) return std::chrono::milliseconds::max();
    return std::min({stall, total, std::chrono::milliseconds(10000)});
  }
};

// Runs a short helper process in a running sandbox: feeds `input` on its stdin (then EOF), collects
// its output, and returns its exit code. Throws Timeout when its patience runs out (writing
// included: a stopped helper does not read), Unavailable when cancelled, and Conflict when the
// sandbox is not running.
ExecOutput exec_capture(engine::Engine& engine, const std::string& container, const engine::ExecSpec& spec, const std::string& input,
                        size_t out_cap, const Patience& patience);
inline ExecOutput exec_capture(engine::Engine& engine, const std::string& container, const engine::ExecSpec& spec, const std::string& input,
                               size_t out_cap, std::chrono::milliseconds timeout) {
  return exec_capture(engine, container, spec, input, out_cap, Patience{timeout, {}, {}});
}

}  // namespace orch::session
