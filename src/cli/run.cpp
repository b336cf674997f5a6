#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <iostream>

#include "cli/build_progress.hpp"
#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "cli/file_spec.hpp"
#include "cli/out_dir.hpp"
#include "core/error.hpp"
#include "core/remote/client.hpp"
#include "core/sandbox/run.hpp"
#include "core/templates/build.hpp"
#include "core/templates/packages.hpp"
#include "core/util/shown.hpp"
#include "core/util/units.hpp"

namespace orch::cli {

namespace {

namespace fs = std::filesystem;

class TerminalObserver : public sandbox::Observer {
 public:
  explicit TerminalObserver(bool live) : live_(live) {}
  void on_output(bool is_stderr, std::string_view d) override {
    if (!live_) return;
    int fd = is_stderr ? 2 : 1;
    while (!d.empty()) {
      ssize_t n = ::write(fd, d.data(), d.size());
      if (n <= 0) {
        if (errno == EINTR) continue;
        live_ = false;  // our own stdout went away; keep running, stop printing
        return;
      }
      d.remove_prefix(static_cast<size_t>(n));
    }
  }
  bool cancelled() override { return g_interrupted.load() != 0; }

 private:
  bool live_;
};

// Saves artifacts, prints the result or the notes a person needs, and returns the exit code.
int finish(sandbox::RunResult& res, const sandbox::RunOptions& o, const OutFlags& out, bool as_json, double timeout_s,
           int64_t memory_bytes) {
  if (out.dir) save_artifacts(res, *out.dir, out.overwrite);
  report_skipped(res.artifacts_skipped);
  if (as_json) {
    print_json(sandbox::to_json(res, false));
  } else {
    if (res.stdout_truncated) std::cerr << "\norch: stdout truncated at " << format_bytes(o.output_cap) << "\n";
    if (res.stderr_truncated) std::cerr << "\norch: stderr truncated at " << format_bytes(o.output_cap) << "\n";
    if (res.status == sandbox::RunStatus::Timeout) std::cerr << "orch: timed out" << (timeout_s > 0 ? " after " + std::to_string(static_cast<int>(timeout_s)) + "s" : "") << "; the sandbox was killed\n";
    if (res.status == sandbox::RunStatus::Oom) std::cerr << "orch: killed: out of memory" << (memory_bytes > 0 ? " (limit " + format_bytes(memory_bytes) + ")" : "") << "\n";
    if (res.status == sandbox::RunStatus::Cancelled) std::cerr << "orch: interrupted; the sandbox was removed\n";
    size_t figures = std::count_if(res.artifacts.begin(), res.artifacts.end(), [](const sandbox::Artifact& a) { return !a.mime.empty(); });
    if (figures && !out.dir) std::cerr << "orch: " << figures << " figure(s) not saved: add --out DIR to keep them\n";
  }
  return sandbox::exit_code_for(res);
}

int run_command(int argc, char** argv) {
  CLI::App app{"Run code once in a fresh, locked-down sandbox.", "run"};
  std::vector<std::string> program_args = split_passthrough(argc, argv);
  std::string lang, tmpl, code, source, memory, net, runtime, out_dir;
  OutFlags out;
  double timeout = 0, cpus = 0;
  int64_t pids = 0;
  std::vector<std::string> envs, files, args, with;
  bool as_json = false, force_stdin = false, no_stdin = false, build = false, dry_run = false;
  std::string output_cap = "1m";
  app.add_option("-l,--lang", lang, "language (python, node, bash, ...; default from the file extension or template)");
  app.add_option("-t,--template", tmpl, "template to run in (orch templates ls)");
  app.add_option("-c,--code", code, "code to run");
  app.add_option("source", source, "file with the code, or - for stdin; the program's arguments follow --");
  app.add_option("--timeout", timeout, "seconds before the sandbox is killed (default: template's, 30)");
  app.add_option("--memory", memory, "memory limit, e.g. 256m (swap is off)");
  app.add_option("--cpus", cpus, "CPU limit, e.g. 0.5");
  app.add_option("--pids", pids, "process limit");
  app.add_option("--net", net, "network: none (default), bridge (public addresses only) or lan (bridge plus private ones)");
  app.add_option("-e,--env", envs, "environment variable KEY=VALUE (repeatable)");
  app.add_option("-f,--file", files, "copy LOCAL[:REMOTE] into /workspace (repeatable)");
  app.add_option("--out", out_dir, "copy files the program leaves in /workspace/out into this directory");
  app.add_flag("--out-overwrite", out.overwrite, "let --out replace files that already exist");
  app.add_flag("--out-force", out.force, "let --out write at the top of a git repository");
  app.add_option("--output-limit", output_cap, "bytes kept per stream (default 1m)");
  app.add_option("--runtime", runtime, "container runtime, e.g. runsc for gVisor");
  app.add_flag("--stdin", force_stdin, "forward stdin even from a terminal");
  app.add_flag("--no-stdin", no_stdin, "never forward stdin");
  app.add_flag("--build", build, "build the template's image first if it is missing");
  app.add_flag("--json", as_json, "print one JSON result instead of streaming output");
  app.add_flag("--dry-run", dry_run, "print what the engine would be asked to create (Docker's create body or the Pod) as JSON, and run nothing");
  add_backend_option(app);
  app.add_option("--arg", args, "argument passed to the program (repeatable)");
  app.add_option("--with", with, "add a package to the template, built once and cached: apt:jq, npm:left-pad, pip:NAME (repeatable)");
  app.footer(
      "Exit code: the program's own; 124 timeout; 137 out of memory; 130 interrupted; 2 a --with package cannot be "
      "installed; 125 orch or Docker failed.");
  if (int rc = parse(app, argc, argv, 125); rc >= 0) return rc;

  sandbox::RunOptions o;
  o.template_name = tmpl;
  o.language = lang;
  bool stdin_used_for_code = false;
  if (!code.empty() && !source.empty()) throw Error(ErrorKind::BadInput, "give the code with -c or as a file, not both");
  if (!code.empty()) {
    o.code = code;
  } else if (source == "-") {
    o.code = read_file_or_throw("/dev/stdin", "stdin");
    stdin_used_for_code = true;
  } else if (!source.empty()) {
    o.code = read_file_or_throw(source, "code file");
    o.code_name = fs::path(source).filename().string();
  } else {
    throw Error(ErrorKind::BadInput, "nothing to run: give -c CODE, a FILE, or - to read the code from stdin");
  }
  if (app.count("--timeout")) o.timeout_s = timeout;
  if (!memory.empty()) o.memory_bytes = parse_bytes(memory, "--memory");
  if (app.count("--cpus")) o.cpus = cpus;
  if (app.count("--pids")) o.pids = pids;
  if (!net.empty()) o.network = net;
  if (!runtime.empty()) o.runtime = runtime;
  o.env = envs;
  o.args = args;
  o.args.insert(o.args.end(), program_args.begin(), program_args.end());
  for (const auto& f : files) o.files.push_back(read_file_spec(f));
  o.collect_out = !out_dir.empty();
  if (o.collect_out) out.dir.emplace(HostDir::open(out_dir, out.force));
  o.with = with;
  o.output_cap = static_cast<size_t>(parse_bytes(output_cap, "--output-limit"));
  if (!stdin_used_for_code && !no_stdin && (force_stdin || !::isatty(0))) o.stdin_fd = 0;

  sandbox::check_run_options(o);
  if (auto server = remote::server_from_env(); server && !dry_run) {
    install_signal_handlers();
    TerminalObserver observer(!as_json);
    sandbox::RunResult res = remote::run(*server, o, observer);
    return finish(res, o, out, as_json, o.timeout_s.value_or(0), o.memory_bytes.value_or(0));
  }
  auto store = templates::Store::load();
  auto engine = engine::engine_from_env();
  if (build && o.with.empty()) {
    const auto* t = sandbox::plan_run(store, o).tmpl;
    if (!dry_run && !templates::image_present(*engine, *t)) build_template(*engine, *t, false);
  }
  if (dry_run) {
    if (!o.with.empty()) templates::parse_packages(o.with);  // a bad name is refused as a real run refuses it
  } else {
    sandbox::resolve_packages(*engine, store, o, [](const std::string& line) {
      if (line.rfind("building ", 0) == 0 || line.rfind("Step ", 0) == 0) std::cerr << "orch: " << line << "\n";
    });
  }
  sandbox::RunPlan plan = sandbox::plan_run(store, o);
  if (dry_run) {
    auto spec = sandbox::oneshot_spec(plan, sandbox::build_input_tar(plan.files).size(), sandbox::out_marker(plan));
    print_json({{"backend", engine::backend_from_env()}, {"create", engine->create_request(spec)}});
    return 0;
  }
  install_signal_handlers();
  TerminalObserver observer(!as_json);
  sandbox::RunResult res;
  try {
    res = sandbox::run_oneshot(*engine, plan, observer);
  } catch (const Error& e) {
    if (e.reason() == Reason::ImageMissing) throw templates::not_built(*plan.tmpl, " or add --build");
    throw;
  }
  return finish(res, o, out, as_json, plan.timeout_s, plan.spec.memory_bytes);
}

}  // namespace

int run_main(int argc, char** argv) {
  try {
    return run_command(argc, argv);
  } catch (const templates::PackageError& e) {
    std::cerr << "orch: error: " << terminal_safe(e.what()) << "\n";
    return 2;  // the caller asked for a package that does not install
  } catch (const Error& e) {
    std::cerr << "orch: error: " << error_text(e) << "\n";
    return 125;  // as `docker run`: the program did not run, or orch failed around it
  }
}

}  // namespace orch::cli
