#include "core/session/container_exec.hpp"

#include <poll.h>

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

namespace {

constexpr auto kSlice = std::chrono::milliseconds(200);  // how often a wait looks at `cancelled`

// The deadline of a helper process: its total time, moved by each byte it takes or gives, up to
// the stall limit.
class Clockwatch {
 public:
  explicit Clockwatch(const Patience& p) : p_(p), end_(engine::Clock::now() + p.total) { progress(); }
  void progress() { last_ = engine::Clock::now(); }
  engine::Clock::time_point deadline() const { return p_.stall.count() > 0 ? std::min(end_, last_ + p_.stall) : end_; }
  // The next moment to look again: at most one slice away.
  engine::Clock::time_point next() const { return std::min(deadline(), engine::Clock::now() + kSlice); }
  void give_up_if_due() const {
    if (p_.cancelled && p_.cancelled()) throw Error(ErrorKind::Unavailable, "the server is shutting down");
    if (engine::Clock::now() >= deadline())
      throw Error(ErrorKind::Timeout, "a helper process in the session did not finish in time (it may have been stopped)");
  }

 private:
  const Patience& p_;
  engine::Clock::time_point end_, last_;
};

// Writes without blocking past the deadline: a helper that stopped reading fills the pipe.
void write_until(engine::Stream& stream, std::string_view data, Clockwatch& watch) {
  while (!data.empty()) {
    long n = stream.write_some(data);
    if (n < 0) throw Error(ErrorKind::Infrastructure, "a helper process in the session stopped reading its input");
    if (n > 0) {
      data.remove_prefix(static_cast<size_t>(n));
      watch.progress();
      continue;
    }
    watch.give_up_if_due();
    pollfd p{stream.poll_fd(), POLLOUT, 0};
    ::poll(&p, 1, static_cast<int>(kSlice.count()));
  }
}

}  // namespace

ExecOutput exec_capture(engine::Engine& engine, const std::string& container, const engine::ExecSpec& spec, const std::string& input,
                        size_t out_cap, const Patience& patience) {
  engine::ExecSpec s = spec;
  s.engine_timeout = std::min(s.engine_timeout, patience.engine_wait());
  std::unique_ptr<engine::Process> process;
  try {
    process = start_exec(engine, container, s);
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::Timeout) throw;
    if (patience.cancelled && patience.cancelled()) throw Error(ErrorKind::Unavailable, "the server is shutting down");
    throw Error(ErrorKind::Timeout,
                "the engine did not start a helper process in the session in time (its processes may have been stopped)");
  }
  engine::Stream& stream = process->stream();
  Clockwatch watch(patience);
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
  if (!input.empty()) write_until(stream, input, watch);
  stream.close_stdin();
  for (;;) {
    long n = stream.read(sink, watch.next());
    if (n == 0) break;
    if (n < 0) {
      watch.give_up_if_due();
      continue;
    }
    watch.progress();
    if (res.out_truncated) break;  // the caller refuses oversized output anyway
  }
  res.exit_code = process->exit_code();
  return res;
}

}  // namespace orch::session
