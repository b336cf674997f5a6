#include "core/session/container_exec.hpp"

#include "core/error.hpp"

namespace orch::session {

std::unique_ptr<engine::Process> start_exec(engine::Engine& engine, const std::string& container, engine::ExecSpec spec) {
  spec.attach_stdin = true;
  try {
    return engine.exec(container, spec);
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::Conflict) throw Error(ErrorKind::Conflict, "the session is not running (it may have expired)", e.reason());
    throw;
  }
}

ExecOutput exec_capture(engine::Engine& engine, const std::string& container, const engine::ExecSpec& spec,
                        const std::string& input, size_t out_cap, std::chrono::milliseconds timeout) {
  auto process = start_exec(engine, container, spec);
  engine::Stream& stream = process->stream();
  auto deadline = engine::Clock::now() + timeout;
  ExecOutput res;
  constexpr size_t kErrCap = 64 * 1024;
  auto sink = [&](engine::StreamKind kind, std::string_view d) {
    if (kind == engine::StreamKind::Stdout) {
      if (res.out.size() + d.size() > out_cap) {
        res.out_truncated = true;
        d = d.substr(0, out_cap - res.out.size());
      }
      res.out.append(d);
    } else if (res.err.size() < kErrCap) {
      res.err.append(d.substr(0, kErrCap - res.err.size()));
    }
  };
  if (!input.empty()) stream.write(input);
  stream.close_stdin();
  for (;;) {
    long n = stream.read(sink, deadline);
    if (n == 0) break;
    if (n < 0) throw Error(ErrorKind::Timeout, "a helper process in the session did not finish in time");
    if (res.out_truncated) break;  // the caller refuses oversized output anyway
  }
  res.exit_code = process->exit_code();
  return res;
}

}  // namespace orch::session
