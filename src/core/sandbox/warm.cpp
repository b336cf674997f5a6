#include "core/sandbox/warm.hpp"

#include <poll.h>

#include <chrono>
#include <iostream>

#include "core/error.hpp"
#include "core/sandbox/direct_io.hpp"
#include "core/sandbox/pool.hpp"
#include "core/session/boot.hpp"
#include "core/session/protocol.hpp"
#include "core/util/embedded.hpp"
#include "core/util/random.hpp"
#include "core/util/sh_quote.hpp"

namespace orch::sandbox {

namespace {

// How long a runner waits after its end mark for the pool to remove its sandbox: when the runner
// does not exit, the engine's teardown of a stopped container (shim, runc, events) comes after
// the answer instead of sharing a small host's CPU with it. With direct sockets the wait ends when
// orch closes them (Pool's retire()); the bound is for orch going away.
constexpr int kLingerS = 10;

enum class Runner { Python, Node, Shell };

Runner runner_for(const templates::Language& lang) {
  const std::string& exe = lang.run.front();
  if (lang.kernel == "python" && exe.rfind("python", 0) == 0) return Runner::Python;
  if (lang.kernel == "node" && exe == "node") return Runner::Node;
  return Runner::Shell;
}

// Reads a runner's answer to the ping from `stream`.
void read_ready(engine::Stream& stream, engine::Clock::time_point deadline) {
  static const std::string kReady = "\x1eORCH-READY\x1e";
  std::string said;
  auto sink = [&said](engine::StreamKind, std::string_view d) { said.append(d); };
  while (said.size() < kReady.size() && said == kReady.substr(0, said.size())) {
    long got = stream.read(sink, deadline);
    if (got < 0) throw Error(ErrorKind::Infrastructure, "the warm runner did not start within 120s");
    if (got == 0) break;
  }
  if (said != kReady)
    throw Error(ErrorKind::Infrastructure, "the warm runner did not start" + (said.empty() ? std::string() : ": " + said.substr(0, 400)));
}

// A sandbox joins the pool once its runner has answered a ping: the interpreter is then up, and
// the path through the engine has carried a message (the first one costs several ms more). A
// runner started by `orch agent direct` answers on its direct socket when the agent connected it,
// else on the attach stream; orch takes the sockets when a connection waits, once it came from
// the sandbox (when not, direct output is off for later sandboxes).
void await_ready(Started& st, DirectOutput* agent_io, std::atomic<bool>& direct) {
  st.stream->write(session::encode_frame("ping", ""));
  auto deadline = engine::Clock::now() + std::chrono::seconds(120);
  while (agent_io && !st.stream->buffered()) {
    pollfd fds[2] = {{st.stream->poll_fd(), POLLIN, 0}, {agent_io->waiting_fd(), POLLIN, 0}};
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - engine::Clock::now()).count();
    if (left <= 0) throw Error(ErrorKind::Infrastructure, "the warm runner did not start within 120s");
    if (::poll(fds, 2, static_cast<int>(std::min<int64_t>(left, 1000))) <= 0) continue;
    if (fds[1].revents & POLLIN) {
      if (!agent_io->accept(st.id, st.out, st.err)) {
        direct = false;
        throw Error(ErrorKind::Infrastructure, "the warm runner's direct output did not come from its sandbox");
      }
      return read_ready(*st.out, deadline);
    }
    if (fds[0].revents) break;
  }
  read_ready(*st.stream, deadline);
}

}  // namespace

std::vector<std::string> warm_command(const templates::Language& lang) {
  switch (runner_for(lang)) {
    case Runner::Python: return {lang.run.front(), "-u", "-c", embedded_program("warm/python.py")};
    case Runner::Node: return {"node", "-e", embedded_program("warm/node.js")};
    case Runner::Shell: break;
  }
  return {"/bin/sh", "-c", embedded_program("warm/shell.sh")};
}

std::string warm_request(const RunPlan& plan, const std::string& token, int linger_s) {
  std::vector<std::string> argv = {plan.lang->file}, command;
  argv.insert(argv.end(), plan.args.begin(), plan.args.end());
  for (const auto& a : plan.lang->run) command.push_back(a == "{file}" ? plan.lang->file : a);
  command.insert(command.end(), plan.args.begin(), plan.args.end());
  nlohmann::json env = nlohmann::json::object();
  std::string script = "rm -rf ./.orch\n";
  std::vector<std::string> run_env = {"ORCH_RUN_ID=" + plan.run_id};
  run_env.insert(run_env.end(), plan.extra_env.begin(), plan.extra_env.end());
  for (const auto& kv : run_env) {
    auto eq = kv.find('=');
    env[kv.substr(0, eq)] = kv.substr(eq + 1);
    script += "export " + kv.substr(0, eq) + "=" + sh_quote(kv.substr(eq + 1)) + "\n";
  }
  for (const auto& a : command) script += sh_quote(a) + " ";
  script += "\nrc=$?\nprintf '\\036ORCH-END-%s %d\\036' " + token + " $rc\nprintf '\\036ORCH-END-%s %d\\036' " + token +
            " $rc >&2\nexit $rc\n";
  tar::Writer w;
  w.add_dir(".orch", 0700);
  nlohmann::json run = {{"argv", argv}, {"command", command}, {"env", env}, {"token", token}, {"linger_s", linger_s}};
  w.add_file(".orch/run.json", run.dump(), 0600);
  w.add_file(".orch/run.sh", script, 0600);
  return session::encode_frame("run", build_input_tar(plan.files, std::move(w)));
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
  return p.lang->name == p.tmpl->default_language && p.command.empty() && p.collect().empty() && !p.readonly_workspace &&
         !p.image_command && same_limits(p.spec, pool_spec(*p.tmpl, runtime, ""));
}

RunResult run_warm(engine::Engine& engine, Pool& pool, Started st, const RunPlan& plan, Observer& observer) {
  std::string token = random_hex(24);
  try {
    std::string input = warm_request(plan, token, kLingerS);
    if (st.out) {
      // The program cannot exist before the request is read, so nothing else writes to this
      // socket. It stays open: its end tells the runner, after its end marks, that it may exit.
      st.out->write(input);
      input.clear();
    }
    RunResult r = drive(engine, st, input + plan.stdin_data, plan, "", observer, token);
    pool.release(plan.tmpl->name, std::move(st), r.status == RunStatus::Ok || r.status == RunStatus::Error);
    return r;
  } catch (...) {
    pool.release(plan.tmpl->name, std::move(st), false);
    throw;
  }
}

Started prepare_warm(engine::Engine& engine, const templates::Template& t, const std::string& runtime, std::atomic<bool>& direct) {
  const auto& lang = *t.language(t.default_language);
  const bool python = runner_for(lang) == Runner::Python;
  engine::SandboxSpec spec = pool_spec(t, runtime, "p-" + random_hex(12));
  spec.argv = warm_command(lang);
  // Python's runner connects itself; the others get the sockets from this binary's `agent direct`.
  std::string agent = python ? "" : session::agent_binary_to_mount();
  std::unique_ptr<DirectOutput> io;
  if (direct && (python || !agent.empty())) io = DirectOutput::open();
  if (io) {
    spec.host_mounts = {{io->dir(), DirectOutput::kMountPoint, true}};
    if (python) {
      spec.argv.push_back(DirectOutput::kMountPoint);
    } else {
      spec.host_mounts.push_back({agent, session::kAgentMount, true});
      if (runner_for(lang) == Runner::Shell) {
        spec.argv = {session::kAgentMount, "agent", "shell", DirectOutput::kMountPoint};
        // bash can wait for its request with its start done (shell_runner.hpp); other interpreters start per run.
        if (lang.run == std::vector<std::string>{"bash", "{file}"}) spec.argv.insert(spec.argv.end(), {"bash", lang.file});
      } else {
        spec.argv.insert(spec.argv.begin(), {session::kAgentMount, "agent", "direct", DirectOutput::kMountPoint});
      }
    }
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
    spec.argv = warm_command(lang);
    st = start_sandbox(engine, spec);
  }
  await_ready(st, io && !python ? io.get() : nullptr, direct);
  if (io && python) io->accept(st.id, st.out, st.err);
  return st;
}

}  // namespace orch::sandbox
