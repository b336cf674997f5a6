#pragma once
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/sandbox/run.hpp"

namespace orch::server {

// One piece of a run's output, in the order the sandbox wrote it.
struct OutputChunk {
  bool is_stderr = false;
  std::string data;
};

// A one-shot run the server started (synchronous, asynchronous or a tool run), findable by id
// while it runs and for a while after: its state, its output so far (bounded) and its result.
class RunRecord {
 public:
  RunRecord(std::string id, std::string tenant, std::string kind, nlohmann::json meta);
  const std::string id, tenant, kind;  // kind: run | tool
  const nlohmann::json meta;           // what the caller asked for: template, tool_name, image, session_id, ...
  const int64_t created;

  void append(bool is_stderr, std::string_view data);
  void finish(std::shared_ptr<const sandbox::RunResult> r);  // shared with the answer: held once
  void fail(ErrorKind kind, const std::string& message);
  void cancel() { cancel_ = true; }
  // Its caller gets the result in its answer (not later by id): once finished it is kept only
  // while the server's output budget has room for it.
  void answered_in_place() { answered_in_place_ = true; }
  bool is_answered_in_place() const { return answered_in_place_; }
  bool cancel_requested() const { return cancel_; }
  bool running() const;
  std::shared_ptr<const sandbox::RunResult> result() const;
  // The bytes of output it holds: its log and, once finished, its result's streams and files.
  size_t held_bytes() const;

  // {run_id, kind, state (running|done|failed), created, finished, cancel_requested, result|error, ...meta}
  nlohmann::json to_json() const;
  // {run_id, state, stdout, stderr, truncated}: the output stored so far.
  nlohmann::json logs_json() const;
  // Waits until output past the first `from` chunks exists or the run ended (or `wait` passed);
  // returns the new chunks and whether the run has ended.
  std::vector<OutputChunk> wait_output(size_t from, std::chrono::milliseconds wait, bool& ended) const;

  static constexpr size_t kLogCap = 1 << 20;  // bytes of output kept for /logs

 private:
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  std::vector<OutputChunk> log_;
  size_t log_bytes_ = 0;
  size_t result_bytes_ = 0;  // counted once, when the result comes: the registry asks on every add
  bool log_truncated_ = false;
  std::string state_ = "running";
  std::shared_ptr<const sandbox::RunResult> result_;
  nlohmann::json error_;
  int64_t finished_ = 0;
  std::atomic<bool> cancel_{false};
  std::atomic<bool> answered_in_place_{false};
};

// The server's runs by id, per tenant. Keeps every running run and the most recent finished ones:
// at most kKeep of them, holding at most `keep_bytes` of output (the server gives a quarter of its
// output budget), and those answered in place only within `room` (what the output budget has
// free), so that output kept for later never adds to what runs in flight may hold.
class RunRegistry {
 public:
  explicit RunRegistry(size_t keep_bytes, std::function<size_t()> room = {}) : keep_bytes_(keep_bytes), room_(std::move(room)) {}
  size_t keep_bytes() const { return keep_bytes_; }
  std::shared_ptr<RunRecord> add(const std::string& id, const std::string& tenant, const std::string& kind,
                                 nlohmann::json meta = nlohmann::json::object());
  // NotFound for a missing id and for another tenant's run alike.
  std::shared_ptr<RunRecord> get(const std::string& id, const std::string& tenant) const;
  // A tenant's runs whose meta field `key` equals `value` (e.g. a tool session's runs).
  std::vector<std::shared_ptr<RunRecord>> find(const std::string& tenant, const std::string& key, const std::string& value) const;

  static constexpr size_t kKeep = 256;

 private:
  const size_t keep_bytes_;  // finished runs hold their results: past this in all, the oldest are forgotten sooner
  const std::function<size_t()> room_;
  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<RunRecord>> runs_;
};

// Whether the client that waits for an answer has gone. Peeking at its socket costs a syscall:
// asked twice a second, it still notices a client that left.
class ClientWatch {
 public:
  explicit ClientWatch(std::function<bool()> client_gone) : client_gone_(std::move(client_gone)) {}
  bool gone();

 private:
  std::function<bool()> client_gone_;  // null: no client to watch
  std::chrono::steady_clock::time_point next_check_{};
};

// Stores a run's output in its record and cancels it on DELETE, on the server's drain, and when
// `inner` (a streaming client) or the request's client goes away.
class RecordingObserver : public sandbox::Observer {
 public:
  RecordingObserver(std::shared_ptr<RunRecord> record, const std::atomic<bool>& cancel_all, sandbox::Observer* inner = nullptr,
                    std::function<bool()> client_gone = nullptr)
      : record_(std::move(record)), cancel_all_(cancel_all), inner_(inner), client_(std::move(client_gone)) {}
  void on_output(bool is_stderr, std::string_view data) override;
  bool cancelled() override;

 private:
  std::shared_ptr<RunRecord> record_;
  const std::atomic<bool>& cancel_all_;
  sandbox::Observer* inner_;
  ClientWatch client_;
};

}  // namespace orch::server
