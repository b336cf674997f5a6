#include "core/session/container_exec.hpp"

#include "core/docker/mux.hpp"
#include <thread>

#include "core/error.hpp"

namespace orch::session {

StartedExec start_exec(docker::Client& client, const std::string& container, docker::ExecOptions opts) {
  opts.attach_stdin = true;
  std::string exec_id;
  try {
    exec_id = client.exec_create(container, opts);
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::Conflict) throw Error(ErrorKind::Conflict, "the session is not running (it may have expired)");
    throw;
  }
  auto stream = client.exec_start(exec_id);
  return {std::move(exec_id), std::move(stream)};
}

ExecOutput exec_capture(docker::Client& client, const std::string& container, const docker::ExecOptions& opts,
                        const std::string& input, size_t out_cap, std::chrono::milliseconds timeout) {
  auto [exec_id, stream] = start_exec(client, container, opts);
  auto deadline = docker::Clock::now() + timeout;
  ExecOutput res;
  constexpr size_t kErrCap = 64 * 1024;
  docker::Demuxer demux([&](docker::StreamId s, std::string_view d) {
    if (s == docker::StreamId::Stdout) {
      if (res.out.size() + d.size() > out_cap) {
        res.out_truncated = true;
        d = d.substr(0, out_cap - res.out.size());
      }
      res.out.append(d);
    } else if (s == docker::StreamId::Stderr && res.err.size() < kErrCap) {
      res.err.append(d.substr(0, kErrCap - res.err.size()));
    }
  });
  if (!input.empty()) stream.conn->write_all(input);
  stream.conn->shutdown_write();
  char buf[65536];
  for (;;) {
    long n = stream.conn->read_some(buf, sizeof buf, deadline);
    if (n == 0) break;
    if (n < 0) throw Error(ErrorKind::Timeout, "a helper process in the session did not finish in time");
    if (!demux.feed(std::string_view(buf, static_cast<size_t>(n))))
      throw Error(ErrorKind::Infrastructure, "the engine sent a malformed exec stream");
    if (res.out_truncated) break;  // the caller refuses oversized output anyway
  }
  // The exit code is set a moment after the stream ends.
  for (int i = 0; i < 50; ++i) {
    auto j = client.exec_inspect(exec_id);
    if (!j.value("Running", false) && !j["ExitCode"].is_null()) {
      res.exit_code = j.value("ExitCode", -1);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return res;
}

}  // namespace orch::session
