#include "core/session/channel.hpp"

#include "core/error.hpp"
#include "core/session/boot.hpp"
#include "core/session/container_exec.hpp"

namespace orch::session {

using docker::Clock;
using docker::StreamId;

namespace {
constexpr size_t kRelayErrCap = 16 * 1024;
}

KernelChannel::KernelChannel(docker::Client& client, const std::string& container, const std::string& kernel,
                             const std::string& user)
    : demux_([this](StreamId s, std::string_view d) {
        if (s == StreamId::Stdout) {
          pending_.append(d);
        } else if (s == StreamId::Stderr && relay_err_.size() < kRelayErrCap) {
          relay_err_.append(d.substr(0, kRelayErrCap - relay_err_.size()));
        }
      }) {
  docker::ExecOptions o;
  o.cmd = relay_command(kernel);
  o.user = user;
  o.workdir = "/workspace";
  stream_ = start_exec(client, container, o).stream;
}

bool KernelChannel::stale() {
  // Readable while idle means EOF (or stray bytes): either way this relay is done.
  return !stream_.conn->quiet();
}

ReplyEnd KernelChannel::request(std::string_view type, std::string_view payload, Clock::time_point deadline,
                                ResultBuilder& rb, ExecObserver& obs) {
  reply_bytes_ = 0;
  try {
    stream_.conn->write_all(encode_frame(type, payload));
  } catch (const Error&) {
    return ReplyEnd::Closed;
  }
  char buf[65536];
  auto on_frame = [&rb](Frame&& f) { rb.on_frame(std::move(f)); };
  for (;;) {
    if (obs.cancelled()) return ReplyEnd::Cancelled;
    auto now = Clock::now();
    if (now >= deadline) return ReplyEnd::Timeout;
    auto slice = std::min(deadline, now + std::chrono::milliseconds(100));
    long n = stream_.conn->read_some(buf, sizeof buf, slice);
    if (n < 0) continue;  // slice over (or a signal): check the deadline and cancellation again
    if (n == 0) return ReplyEnd::Closed;
    reply_bytes_ += static_cast<size_t>(n);
    if (!demux_.feed(std::string_view(buf, static_cast<size_t>(n))))
      throw Error(ErrorKind::Infrastructure, "the engine sent a malformed exec stream");
    if (pending_.empty()) continue;
    std::string chunk = std::move(pending_);
    pending_.clear();
    parser_.feed(chunk, on_frame);
    if (rb.done() && parser_.idle()) return ReplyEnd::Done;
  }
}

}  // namespace orch::session
