#include "core/sandbox/warm.hpp"

#include <chrono>
#include <iostream>

#include "core/error.hpp"
#include "core/sandbox/direct_io.hpp"
#include "core/sandbox/pool.hpp"
#include "core/util/embedded.hpp"
#include "core/util/random.hpp"

namespace orch::sandbox {

namespace {

enum class Runner { Python, Node, Shell };

Runner runner_for(const templates::Language& lang) {
  const std::string& exe = lang.run.front();
  if (lang.kernel == "python" && exe.rfind("python", 0) == 0) return Runner::Python;
  if (lang.kernel == "node" && exe == "node") return Runner::Node;
  return Runner::Shell;
}

// A sandbox joins the pool once its runner has answered a ping: the interpreter is then up, and
// the path through the engine has carried a message (the first one costs several ms more).
void await_ready(Started& st) {
  static const std::string kReady = "\x1eORCH-READY\x1e";
  st.stream->write("ping\n");
  std::string said;
  auto deadline = engine::Clock::now() + std::chrono::seconds(120);
  auto sink = [&said](engine::StreamKind, std::string_view d) { said.append(d); };
  while (said.size() < kReady.size() && said == kReady.substr(0, said.size())) {
    long got = st.stream->read(sink, deadline);
    if (got < 0) throw Error(ErrorKind::Infrastructure, "the warm runner did not start within 120s");
    if (got == 0) break;
  }
  if (said != kReady)
    throw Error(ErrorKind::Infrastructure, "the warm runner did not start" + (said.empty() ? std::string() : ": " + said.substr(0, 400)));
}

std::string sh_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

}  // namespace

std::vector<std::string> warm_command(const templates::Language& lang) {
  switch (runner_for(lang)) {
    case Runner::Python: return {lang.run.front(), "-u", "-c", std::string(embedded_asset("warm/python.py"))};
    case Runner::Node: return {"node", "-e", std::string(embedded_asset("warm/node.js"))};
    case Runner::Shell: break;
  }
  return {"/bin/sh", "-c", std::string(embedded_asset("warm/shell.sh"))};
}

std::string warm_request(const RunPlan& plan, const std::string& token) {
  std::vector<std::string> argv = {plan.lang->file};
  argv.insert(argv.end(), plan.args.begin(), plan.args.end());
  nlohmann::json env = nlohmann::json::object();
  std::string script = "rm -rf /workspace/.orch\n";
  std::vector<std::string> run_env = {"ORCH_RUN_ID=" + plan.run_id};
  run_env.insert(run_env.end(), plan.extra_env.begin(), plan.extra_env.end());
  for (const auto& kv : run_env) {
    auto eq = kv.find('=');
    env[kv.substr(0, eq)] = kv.substr(eq + 1);
    script += "export " + kv.substr(0, eq) + "=" + sh_quote(kv.substr(eq + 1)) + "\n";
  }
  for (const auto& a : plan.lang->run) script += sh_quote(a == "{file}" ? plan.lang->file : a) + " ";
  for (const auto& a : plan.args) script += sh_quote(a) + " ";
  script += "\nrc=$?\nprintf '\\036ORCH-END-%s %d\\036' " + token + " $rc\nprintf '\\036ORCH-END-%s %d\\036' " + token +
            " $rc >&2\nexit $rc\n";
  tar::Writer w;
  w.add_dir(".orch", 0700);
  w.add_file(".orch/run.json", nlohmann::json({{"argv", argv}, {"env", env}, {"token", token}}).dump(), 0600);
  w.add_file(".orch/run.sh", script, 0600);
  std::string tar = build_input_tar(plan.files, std::move(w));
  return std::to_string(tar.size()) + "\n" + tar;
}

engine::SandboxSpec pool_spec(const templates::Template& t, const std::string& runtime, const std::string& id) {
  SandboxRequest req;
  req.kind = "pool";
  req.id = id;
  req.runtime = runtime;
  req.network = "none";  // a networked run needs its firewall before its code: it never comes from the pool
  return sandbox_spec(t, req);
}

bool fits_warm(const RunPlan& p, const std::string& runtime) {
  return p.lang->name == p.tmpl->default_language && p.command.empty() && !p.collect_out &&
         same_limits(p.spec, pool_spec(*p.tmpl, runtime, ""));
}

RunResult run_warm(engine::Engine& engine, Pool& pool, Started st, const RunPlan& plan, Observer& observer) {
  std::string token = random_hex(24);
  try {
    std::string input = warm_request(plan, token);
    if (st.out) {
      // The program cannot exist before the request is read, so nothing else writes to this socket.
      st.out->write(input);
      st.out->close_stdin();
      input.clear();
    }
    RunResult r = drive(engine, st, input + plan.stdin_data, plan, "", observer, token);
    pool.release(std::move(st));
    return r;
  } catch (...) {
    pool.release(std::move(st));
    throw;
  }
}

Started prepare_warm(engine::Engine& engine, const templates::Template& t, const std::string& runtime, std::atomic<bool>& direct) {
  const auto& lang = *t.language(t.default_language);
  engine::SandboxSpec spec = pool_spec(t, runtime, "p-" + random_hex(12));
  spec.argv = warm_command(lang);
  std::unique_ptr<DirectOutput> io;
  if (direct && runner_for(lang) == Runner::Python) io = DirectOutput::open();
  if (io) {
    spec.host_mounts = {{io->dir(), DirectOutput::kMountPoint, true}};
    spec.argv.push_back(DirectOutput::kMountPoint);
  }
  Started st;
  try {
    st = start_sandbox(engine, spec);
  } catch (const Error& e) {
    // An engine that cannot mount the directory (it sees another filesystem) gets attach-only sandboxes.
    if (!io || e.reason() != Reason::MountRefused) throw;
    direct = false;
    io.reset();
    spec.host_mounts.clear();
    spec.argv.pop_back();
    st = start_sandbox(engine, spec);
  }
  await_ready(st);
  if (io) io->accept(st.id, st.out, st.err);
  return st;
}

}  // namespace orch::sandbox
