#pragma once
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/agent/wire.hpp"
#include "core/engine/engine.hpp"
#include "core/session/protocol.hpp"

namespace orch::session {

using Clock = engine::Clock;

// What a session process runs (see agent/procs.hpp); `user` picks the agent that starts it.
struct ProcessSpec {
  std::string cmd;
  std::vector<std::string> args;
  std::map<std::string, std::string> env;
  std::string cwd;  // "" = the session's home
  std::string tag;
  std::string user;  // "" = the template's user
  bool stdin_open = false;
  int64_t timeout_ms = 0;  // the process group is killed at this deadline (0 = none)
};

struct ProcessInfo {
  int pid = 0;
  std::string cmd, cwd, tag;
  std::vector<std::string> args;
  std::map<std::string, std::string> env;
};

// One event of a process: output on stdout (1) or stderr (2), or its end.
struct ProcessEvent {
  int fd = 0;  // 1, 2, or 0 for the end
  std::string data;
  int exit_code = 0;
  bool timed_out = false;
  std::string status, error;  // error: why it ended abnormally, or why the stream was cut
  bool lost = false;          // the sandbox or its agent went away: no exit code
};

// The events of one process for one reader, from the moment it subscribed. The agent's reader
// thread waits while the queue holds more than a cap, so a slow reader slows its process's output
// instead of growing orch's memory; a reader that leaves calls cancel().
class ProcessStream {
 public:
  explicit ProcessStream(int pid) : pid_(pid) {}
  int pid() const { return pid_; }
  // Moves queued events into `out`, waiting until one arrives or `until`. False once the end was taken.
  bool next(std::vector<ProcessEvent>& out, Clock::time_point until);
  void cancel();
  bool cancelled() const { return cancelled_; }

 private:
  friend class AgentLink;
  void push(ProcessEvent&& e, const std::atomic<bool>& closing);  // from the reader thread; may wait for room
  int pid_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<ProcessEvent> q_;
  size_t bytes_ = 0;
  bool ended_ = false, taken_end_ = false;
  std::atomic<bool> cancelled_{false};
};

// A session's agent (`orch agent` in the sandbox, as one user), reached over an engine exec with
// stdin held open. Calls may run from many threads at once; one reader thread routes replies to
// their callers and process events to the streams subscribed to them.
class AgentLink {
 public:
  AgentLink(engine::Engine& engine, const std::string& container, const std::vector<std::string>& cmd, const std::string& user,
            const std::string& workdir, const std::vector<std::string>& env);
  ~AgentLink();
  AgentLink(const AgentLink&) = delete;
  AgentLink& operator=(const AgentLink&) = delete;

  // Sends one request and returns the reply's head (its bytes into *reply_body); throws agent::Failure
  // for a refusal and orch::Error(Unavailable) when the agent is gone.
  nlohmann::json call(const std::string& type, nlohmann::json head, std::string_view body = {}, std::string* reply_body = nullptr,
                      std::chrono::milliseconds timeout = std::chrono::seconds(60));
  // Starts a process; its events from the first byte on go to the returned stream.
  std::shared_ptr<ProcessStream> start(const nlohmann::json& request);
  // A new stream of a running process's events from now on; nullptr when it is not running.
  std::shared_ptr<ProcessStream> attach(int pid);
  bool has(int pid);
  bool alive() const { return !dead_; }
  const std::string& user() const { return user_; }

 private:
  struct Pending {
    bool done = false;
    agent::Message reply;
    std::shared_ptr<ProcessStream> stream;  // for a start: subscribed when the reply names the pid
  };
  agent::Message roundtrip(const std::string& type, nlohmann::json head, std::string_view body, const std::shared_ptr<Pending>& p,
                           std::chrono::milliseconds timeout);
  void reader();
  void on_message(agent::Message&& m);
  void fail_all(const std::string& why);

  std::string user_;
  std::unique_ptr<engine::Process> process_;
  std::mutex write_mu_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<int64_t, std::shared_ptr<Pending>> pending_;
  std::map<int, std::vector<std::shared_ptr<ProcessStream>>> subs_;
  std::map<int, bool> running_;
  int64_t next_id_ = 1;
  std::atomic<bool> dead_{false};
  std::atomic<bool> closing_{false};
  std::string death_;
  std::thread thread_;
};

}  // namespace orch::session
