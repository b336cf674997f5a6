#pragma once
#include <memory>
#include <string>
#include <string_view>

#include "core/engine/engine.hpp"
#include "core/session/protocol.hpp"
#include "core/session/result.hpp"

namespace orch::session {

enum class ReplyEnd { Done, Closed, Timeout, Cancelled };

// One relay process in a session sandbox, reached through an engine exec with stdin held open:
// requests go down its stdin, reply frames come back on its stdout. A CLI call uses one channel
// for one request; the server keeps a channel per session and kernel, so a round trip costs no exec.
class KernelChannel {
 public:
  // `instance` is the kernel's name in the sandbox (the kind for the default one), `cwd` where it
  // starts, `env` extra variables it starts with.
  KernelChannel(engine::Engine& engine, const std::string& container, const std::string& kernel, const std::string& instance,
                const std::string& user, const std::string& cwd, const std::vector<std::string>& env);
  // True when the relay ended while idle (the kernel died or the session stopped): open a new one.
  bool stale();
  // Sends one request and feeds reply frames to `rb` until `done`, the stream's end, the deadline,
  // or the observer cancelling.
  ReplyEnd request(std::string_view type, std::string_view payload, engine::Clock::time_point deadline,
                   ResultBuilder& rb, ExecObserver& obs);
  // Goes on reading the reply to the last request (after a timeout, while the kernel is interrupted).
  ReplyEnd receive(engine::Clock::time_point deadline, ResultBuilder& rb, ExecObserver& obs);
  // Bytes of reply the last request received (0 means the relay was gone before it answered).
  size_t last_reply_bytes() const { return reply_bytes_; }
  const std::string& relay_stderr() const { return relay_err_; }

 private:
  std::unique_ptr<engine::Process> process_;
  FrameParser parser_;
  std::string pending_;  // stdout bytes not yet parsed
  std::string relay_err_;
  size_t reply_bytes_ = 0;
};

}  // namespace orch::session
