#include "core/session/channel.hpp"

#include "core/error.hpp"
#include "core/session/boot.hpp"
#include "core/session/container_exec.hpp"

namespace orch::session {

using engine::Clock;
using engine::StreamKind;

namespace {
constexpr size_t kRelayErrCap = 16 * 1024;
}

KernelChannel::KernelChannel(engine::Engine& engine, const std::string& container, const std::string& kernel, const std::string& instance,
                             const std::string& user, const std::string& cwd, const std::vector<std::string>& env) {
  engine::ExecSpec spec;
  spec.argv = relay_command(kernel, instance, cwd);
  spec.user = user;
  spec.workdir = cwd;
  spec.env = env;
  process_ = start_exec(engine, container, spec);
}

bool KernelChannel::stale() {
  // Readable while idle means EOF (or stray bytes): either way this relay is done.
  return !process_->stream().quiet();
}

ReplyEnd KernelChannel::request(std::string_view type, std::string_view payload, Clock::time_point deadline,
                                ResultBuilder& rb, ExecObserver& obs) {
  reply_bytes_ = 0;
  engine::Stream& stream = process_->stream();
  try {
    stream.write(encode_frame(type, payload));
  } catch (const Error&) {
    return ReplyEnd::Closed;
  }
  return receive(deadline, rb, obs);
}

ReplyEnd KernelChannel::receive(Clock::time_point deadline, ResultBuilder& rb, ExecObserver& obs) {
  engine::Stream& stream = process_->stream();
  auto sink = [this](StreamKind kind, std::string_view d) {
    if (kind == StreamKind::Stdout) pending_.append(d);
    else if (relay_err_.size() < kRelayErrCap) relay_err_.append(d.substr(0, kRelayErrCap - relay_err_.size()));
  };
  auto on_frame = [&rb](Frame&& f) { rb.on_frame(std::move(f)); };
  for (;;) {
    if (obs.cancelled()) return ReplyEnd::Cancelled;
    auto now = Clock::now();
    if (now >= deadline) return ReplyEnd::Timeout;
    long n = stream.read(sink, std::min(deadline, now + std::chrono::milliseconds(100)));
    if (n < 0) continue;  // slice over (or a signal): check the deadline and cancellation again
    if (n == 0) return ReplyEnd::Closed;
    reply_bytes_ += static_cast<size_t>(n);
    if (pending_.empty()) continue;
    std::string chunk = std::move(pending_);
    pending_.clear();
    parser_.feed(chunk, on_frame);
    if (rb.done() && parser_.idle()) return ReplyEnd::Done;
  }
}

}  // namespace orch::session
