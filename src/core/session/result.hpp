#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/sandbox/capture.hpp"
#include "core/sandbox/run.hpp"
#include "core/session/protocol.hpp"

namespace orch::session {

// One rich output: MIME type -> content. Text types hold text; binary types (image/png, ...) hold
// the decoded bytes. `main` marks the value of the cell's last expression.
struct Display {
  std::map<std::string, std::string> data;
  bool main = false;
};

// A binary output (a figure) with a file name, as the CLI saves it and the API lists it.
struct Artifact {
  std::string name;
  std::string mime;
  std::string data;
};

struct ExecError {
  std::string name;       // e.g. ZeroDivisionError, Error, KernelDied, Timeout
  std::string value;
  std::string traceback;  // formatted, may be empty
};

// How a call in a session ended. Crashed: the kernel died (exit 137); Cancelled is the word a
// session's JSON keeps for what a run's calls "killed".
enum class ExecStatus { Ok, Error, Timeout, Crashed, Cancelled };
const char* status_name(ExecStatus s);  // ok | error | timeout | crashed | cancelled
std::optional<ExecStatus> parse_exec_status(const std::string& word);

struct ExecResult {
  std::string session_id;
  std::string language;
  ExecStatus status = ExecStatus::Error;
  int exit_code = 0;   // bash: the last command's status; python/node: 0 ok, 1 error
  std::string stdout_data, stderr_data;
  bool stdout_truncated = false, stderr_truncated = false;
  std::optional<ExecError> error;
  std::vector<Display> displays;
  std::vector<Artifact> artifacts;
  bool state_lost = false;  // the kernel restarted: variables and imports are gone
  int64_t execution_count = 0;
  int64_t duration_ms = 0;
};

// Receives output while a call runs. cancelled() is polled; returning true kills the kernel.
class ExecObserver : public sandbox::Observer {
 public:
  virtual void on_display(const Display& d) { (void)d; }
};

// Turns reply frames into an ExecResult, keeping at most `cap` bytes per stream and
// `display_cap` bytes of displays, and streaming everything kept to the observer.
class ResultBuilder {
 public:
  // Output past `cap` is dropped (and flagged) from the result; the observer sees it only with stream_all.
  ResultBuilder(ExecResult& r, ExecObserver& obs, size_t cap, bool stream_all = false, size_t display_cap = size_t{32} << 20)
      : r_(r), obs_(obs), out_(cap), err_(cap), stream_all_(stream_all), display_cap_(display_cap) {}
  void on_frame(Frame&& f);
  bool done() const { return done_; }
  void finish();  // moves the captured streams into the result

 private:
  void on_json_frame(const std::string& type, const nlohmann::json& j);
  void add_display(const nlohmann::json& j);
  ExecResult& r_;
  ExecObserver& obs_;
  sandbox::CappedBuffer out_, err_;
  bool stream_all_;
  size_t display_cap_;
  size_t display_bytes_ = 0;
  bool done_ = false;
};

bool is_binary_mime(const std::string& mime);
nlohmann::json to_json(const ExecResult& r, bool include_artifact_data);
// The same document written piece by piece: large output is never held escaped whole.
void write_json(JsonStream& out, const ExecResult& r, bool include_artifact_data);

}  // namespace orch::session
