#include "core/repo/sandbox_job.hpp"

#include <algorithm>
#include <cstdlib>
#include <optional>

#include "core/error.hpp"

namespace orch::repo {

namespace {

// Bridges the sandbox's output and cancellation to the repository job's observer.
class JobObserver : public sandbox::Observer {
 public:
  JobObserver(ProgressObserver& p, const std::string& source) : p_(p), source_(source) {}
  void on_output(bool is_stderr, std::string_view data) override { p_.on_output(source_, is_stderr, data); }
  bool cancelled() override { return p_.cancelled(); }

 private:
  ProgressObserver& p_;
  const std::string& source_;
};

int read_rc(const JobResult& r, const std::string& name) {
  const auto* a = r.artifact(name);
  if (!a || a->data.empty()) return -1;
  return std::atoi(a->data.c_str());
}

std::optional<double> engine_cpus(engine::Engine& engine) {
  try {
    if (int n = engine.info().cpus; n > 0) return static_cast<double>(n);
  } catch (const Error&) {
  }
  return std::nullopt;
}

std::string megabytes(int64_t bytes) { return std::to_string((bytes + (1 << 20) - 1) >> 20) + "m"; }

}  // namespace

const sandbox::Artifact* JobResult::artifact(const std::string& path) const {
  for (const auto& a : run.artifacts)
    if (a.path == path) return &a;
  return nullptr;
}

std::string job_script() {
  // Exit codes of the program itself pass through; rc files tell which phase ended the run.
  // Its own steps find their tools whatever PATH the job's environment sets; setup and tests get it back.
  return std::string("p=$PATH; PATH=") + sandbox::kBootPath + "\n" +
         "cd /workspace || exit 125\n"
         "mkdir -p out src\n"
         "tar -x -o -m -f .orch-input.tar -C /workspace || { echo 'orch: could not unpack the repository' >&2; exit 125; }\n"
         "rm -f .orch-input.tar\n"
         "cd /workspace/src\n"
         "if [ -n \"$1\" ]; then\n"
         "  PATH=$p /bin/sh -c \"$1\"; rc=$?; echo $rc > /workspace/out/.orch-setup-rc\n"
         "  [ $rc -eq 0 ] || exit $rc\n"
         "fi\n"
         "if [ \"$3\" = save ]; then\n"
         "  tar -c -f /workspace/out/.orch-workspace.tar -C /workspace --exclude=./out . || exit 125\n"
         "fi\n"
         "if [ -n \"$2\" ]; then\n"
         "  PATH=$p /bin/sh -c \"$2\" </dev/null; rc=$?; echo $rc > /workspace/out/.orch-test-rc\n"
         "  exit $rc\n"
         "fi\n";
}

JobResult run_job(engine::Engine& engine, const templates::Store& store, const TestOptions& o, const JobRun& job,
                  const std::string& source, ProgressObserver& progress) {
  const auto& tmpl = store.get(job.template_name);
  sandbox::RunOptions ro;
  ro.template_name = tmpl.name;
  ro.command = {"/bin/sh", "-c", job_script(), "orch-repo", job.setup, job.test, job.save_workspace ? "save" : ""};
  ro.files.push_back({".orch-input.tar", job.input_tar, 0644});
  ro.network = job.network;
  ro.timeout_s = job.timeout_s;
  // Repositories build things: at least 1 GiB of memory, and a /workspace that holds the tar, its
  // unpacked copy and build output.
  ro.memory_bytes = o.memory_bytes.value_or(std::max<int64_t>(tmpl.limits.memory_bytes, 1LL << 30));
  // Suites build and test in parallel (make -j, cargo, go test): a repository job gets every CPU the engine
  // has unless --cpus says otherwise; a template's one-CPU default is sized for snippets.
  ro.cpus = o.cpus ? o.cpus : engine_cpus(engine);
  int64_t ws = std::max<int64_t>(512LL << 20, 3 * static_cast<int64_t>(job.input_tar.size()) + (256LL << 20));
  ro.workspace_size = o.workspace_size.value_or(megabytes(ws));
  if (o.runtime) ro.runtime = o.runtime;
  ro.pids = o.pids.value_or(std::max<int64_t>(tmpl.limits.pids, 512));
  ro.env = {"CI=true", "NPM_CONFIG_UPDATE_NOTIFIER=false", "NPM_CONFIG_FUND=false", "NPM_CONFIG_AUDIT=false",
            "PIP_DISABLE_PIP_VERSION_CHECK=1", "NO_COLOR=1",
            // A setup's `pip install` goes to the user's site in the workspace (the system's is read-only
            // and Debian's pip refuses it), which the tests then import.
            "PIP_USER=1", "PIP_BREAK_SYSTEM_PACKAGES=1", "PIP_NO_WARN_SCRIPT_LOCATION=1",
            // Bytecode goes to the workspace's __pycache__, so suites that start Python again and again
            // (CLI tests) compile each module once, as they do outside.
            "PYTHONDONTWRITEBYTECODE=",
            // Go modules a setup downloads stay in the workspace, which the tests' sandbox gets (the
            // template's GOPATH is under /tmp, which it does not).
            "GOMODCACHE=/workspace/.go-mod"};
  // The templates keep Cargo and Go offline for the tests; a networked setup may fetch (the hints'
  // `cargo fetch` and `go mod download` found the network off).
  if (job.network != "none") ro.env.insert(ro.env.end(), {"CARGO_NET_OFFLINE=false", "GOPROXY=https://proxy.golang.org,direct"});
  ro.env.insert(ro.env.end(), o.env.begin(), o.env.end());
  ro.collect_out = true;
  ro.output_cap = o.output_cap;
  ro.labels["orch.repo"] = source.substr(0, 200);
  auto plan = sandbox::plan_run(store, ro);
  JobObserver obs(progress, source);
  JobResult r;
  r.run = sandbox::run_oneshot(engine, plan, obs);
  r.setup_rc = read_rc(r, ".orch-setup-rc");
  r.test_rc = read_rc(r, ".orch-test-rc");
  return r;
}

}  // namespace orch::repo
