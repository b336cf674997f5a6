#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/engine/engine.hpp"
#include "core/sandbox/spec.hpp"
#include "core/templates/template.hpp"
#include "core/util/json_writer.hpp"
#include "core/util/tar.hpp"

namespace orch::sandbox {

struct FileInput {
  std::string path;  // relative to /workspace
  std::string data;
  uint32_t mode = 0644;
};

// What a caller (the CLI or the HTTP API) may ask of a one-shot run. Unset fields take the template's defaults.
struct RunOptions {
  std::string template_name;
  std::string language;
  std::string code;
  std::string code_name;  // file name the code came from, for picking the language by extension
  std::vector<FileInput> files;
  std::vector<std::string> args;
  std::vector<std::string> command;  // when set, run this argv instead of the language's run line
  std::vector<std::string> env;  // K=V
  std::optional<int64_t> memory_bytes;
  std::optional<double> cpus;
  std::optional<int64_t> pids;
  std::optional<double> timeout_s;
  std::optional<std::string> network;
  std::optional<std::string> runtime;
  std::optional<std::string> workspace_size;
  bool collect_out = false;
  bool readonly_workspace = false;                         // the program cannot write /workspace (it still has /tmp)
  bool capture_workspace = false;                          // return the files the run created or changed in /workspace
  std::string image;                                       // run this image's own command (a tool image) instead of a template language's
  std::vector<std::string> with;                           // packages to add to the template (npm:left-pad, apt:jq): see resolve_packages
  const templates::Template* template_override = nullptr;  // run in this template (one with packages added)
  size_t output_cap = 1 << 20;
  std::string stdin_data;
  int stdin_fd = -1;  // forwarded after stdin_data until EOF (the CLI's piped stdin)
  std::map<std::string, std::string> labels;
};

// A fully resolved run: the template chosen, limits decided, files assembled.
struct RunPlan {
  const templates::Template* tmpl = nullptr;
  const templates::Language* lang = nullptr;
  engine::SandboxSpec spec;
  std::string run_id;
  std::vector<FileInput> files;
  std::vector<std::string> args;     // appended to the language's run command
  std::vector<std::string> command;  // replaces the language's run command (code file still written)
  std::vector<std::string> extra_env;  // the caller's K=V, also part of spec.env
  std::string stdin_data;
  int stdin_fd = -1;
  double timeout_s = 30;
  bool collect_out = false;
  bool readonly_workspace = false;
  bool capture_workspace = false;
  bool capture_figures = false;  // plt.show() saves PNGs that come back as artifacts
  bool image_command = false;    // the image's own entrypoint and command, no input files, no boot shell
  size_t output_cap = 1 << 20;
  size_t out_cap = 64 << 20;
  std::optional<engine::Egress> guard;  // set for a sandbox with a network: its firewall, before its code runs
  // What the boot shell archives after the program, as paths under / (workspace/out, workspace, tmp/orch-figures).
  std::vector<std::string> collect() const;
};

struct Artifact {
  std::string path;  // relative to /workspace/out (or /workspace when the workspace is captured)
  std::string data;
  std::string mime;  // set for figures (image/png)
};

// A file in /workspace/out that was not saved, and why; `path` is empty when the names past a cut
// archive are unknown.
struct SkippedArtifact {
  std::string path;
  std::string reason;
};

// How a run ended. Cancelled: the caller gave up (Ctrl-C, the client went away); sessions' calls
// use the same word in code, and each keeps its JSON word ("killed" here, "cancelled" there).
enum class RunStatus { Ok, Error, Timeout, Oom, Cancelled };
const char* status_name(RunStatus s);  // ok | error | timeout | oom | killed
std::optional<RunStatus> parse_status(const std::string& word);

struct RunResult {
  std::string run_id;
  RunStatus status = RunStatus::Error;
  int exit_code = -1;
  std::string stdout_data;
  std::string stderr_data;
  bool stdout_truncated = false;
  bool stderr_truncated = false;
  int64_t duration_ms = 0;
  std::vector<Artifact> artifacts;
  std::vector<SkippedArtifact> artifacts_skipped;
  bool artifacts_truncated = false;  // the archive of /workspace/out was cut (size cap, or forged)
};

// Receives output as it happens; asked regularly whether the caller gave up (Ctrl-C, client gone).
class Observer {
 public:
  virtual ~Observer() = default;
  virtual void on_output(bool is_stderr, std::string_view data) { (void)is_stderr; (void)data; }
  virtual bool cancelled() { return false; }
};

// BadInput naming the field for what is out of bounds without a template (limits, timeout, network,
// output limit, environment); plan_run checks this and the template's defaults.
void check_run_options(const RunOptions& opts);
RunPlan plan_run(const templates::Store& store, const RunOptions& opts);
// Builds (once, then reused) the run's template with opts.with added and points opts at it;
// nothing when opts.with is empty. Progress lines go to on_line. Throws templates::PackageError.
void resolve_packages(engine::Engine& engine, const templates::Store& store, RunOptions& opts,
                      const std::function<void(const std::string&)>& on_line);
RunResult run_oneshot(engine::Engine& engine, const RunPlan& plan, Observer& observer);
// The sandbox run_oneshot makes: the plan's spec with the boot command that reads `input_size`
// bytes of files from stdin first (and, with --out, ends output with `marker`).
engine::SandboxSpec oneshot_spec(const RunPlan& plan, size_t input_size, const std::string& marker);
std::string out_marker(const RunPlan& plan);

// A created, attached and started sandbox with its exit wait registered; removed when dropped.
struct Started {
  std::string id;
  std::unique_ptr<ContainerGuard> guard;
  std::unique_ptr<engine::Stream> stream;  // stdin, and the output unless `out` and `err` carry it
  std::unique_ptr<engine::ExitWait> waiter;
  // A warm runner's stdout and stderr when they come over DirectOutput's sockets; the attach
  // stream then carries only stdin, and its end when the sandbox stops.
  std::unique_ptr<engine::Stream> out, err;
};
Started start_sandbox(engine::Engine& engine, const engine::SandboxSpec& spec);
// Throws BadInput naming the engine's runtimes when `runtime` (non-empty) is not one of them.
void require_runtime(engine::Engine& engine, const std::string& runtime);
// Feeds `input` (then the plan's stdin fd) to a started sandbox, collects its output under the
// plan's caps and deadline, and reports how it ended. `marker` splits /workspace/out files off stdout.
// With an `end_token`, the run is over when both streams end with "\x1eORCH-END-<token> <code>\x1e"
// (a warm runner's report), without waiting for the sandbox to stop.
RunResult drive(engine::Engine& engine, Started& st, std::string input, const RunPlan& plan, const std::string& marker,
                Observer& observer, const std::string& end_token = "");
// Sorts what the boot shell archived into `res`: /workspace/out files (or the workspace's new and
// changed files when it is captured) and figures become artifacts, and every entry that is not
// saved (a link, a device, an unsafe or clashing name, past the size cap) is reported.
void read_artifacts(std::string_view tar_bytes, bool cut_at_cap, const RunPlan& plan, RunResult& res);
// Follows the collected archive on stdout: "<tag><tar's exit status>\x1e".
inline constexpr std::string_view kTarStatusTag = "\x1eorch-tar-exit ";
// Between the archive and tar's status: the collected files left out for the size cap, each name
// followed by a NUL.
inline constexpr std::string_view kTooBigTag = "\x1eorch-too-big\x1e";
// The tar of input files (parents first); `w` may already hold entries.
std::string build_input_tar(const std::vector<FileInput>& files, tar::Writer w = {});
// Where orch's own steps in a sandbox (the boot shell, a repository job's script) find their tools,
// whatever PATH the run's environment sets for the program.
inline constexpr const char* kBootPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

// The shell that unpacks the input files from stdin and then runs the program (exec, or with a
// marker, runs it and appends the `collect` paths as a tar behind `marker`). With `wait_for_go`
// the files are already in place: it waits for one byte on stdin instead.
std::vector<std::string> boot_command(size_t tar_size, const std::vector<std::string>& program, const std::string& marker,
                                      const std::vector<std::string>& collect = {"workspace/out"}, bool wait_for_go = false,
                                      size_t out_cap = 64 << 20);
// Exit code a script can trust: the program's own, 124 timeout, 137 oom/killed by memory, 130 cancelled.
int exit_code_for(const RunResult& r);
// With stdout_binary/stderr_binary, and stdout_base64/stderr_base64 when the output is not UTF-8.
nlohmann::json to_json(const RunResult& r, bool include_artifact_data);
// The same document written piece by piece: large output is never held escaped whole.
void write_json(JsonStream& out, const RunResult& r, bool include_artifact_data);
bool valid_utf8(std::string_view s);

}  // namespace orch::sandbox
