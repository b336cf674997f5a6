#include "core/sandbox/warm.hpp"

#include <chrono>
#include <iostream>

#include "core/sandbox/direct_io.hpp"
#include "core/error.hpp"
#include "core/util/embedded.hpp"
#include "core/util/random.hpp"

namespace orch::sandbox {

namespace {

std::string asset(std::string_view path) {
  for (const auto& f : embedded_assets())
    if (f.path == path) return std::string(f.data);
  throw Error(ErrorKind::Infrastructure, "asset " + std::string(path) + " is missing from this build");
}

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

// The sandbox a pooled run of `t` gets: the template's limits and the pool's runtime.
engine::SandboxSpec pool_spec(const templates::Template& t, const std::string& runtime, const std::string& id) {
  SandboxRequest req;
  req.kind = "pool";
  req.id = id;
  req.runtime = runtime;
  return sandbox_spec(t, req);
}

std::string sh_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

}  // namespace

std::vector<std::string> warm_command(const templates::Language& lang) {
  switch (runner_for(lang)) {
    case Runner::Python: return {lang.run.front(), "-u", "-c", asset("warm/python.py")};
    case Runner::Node: return {"node", "-e", asset("warm/node.js")};
    case Runner::Shell: break;
  }
  return {"/bin/sh", "-c", asset("warm/shell.sh")};
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

Pool::Pool(engine::Engine& engine, const templates::Store& store, std::map<std::string, int> targets, std::string runtime)
    : engine_(engine), store_(store), targets_(std::move(targets)), runtime_(std::move(runtime)) {
  for (const auto& [name, n] : targets_) store_.get(name);  // unknown template: NotFound now, not later
  // Direct output needs an engine that mounts host directories, and a runtime whose sandbox can
  // reach a host socket (gVisor's cannot).
  direct_ = engine_.capabilities().host_mounts && runtime_ != "runsc";
}

Pool::~Pool() { shutdown(); }

void Pool::start() {
  if (targets_.empty()) return;
  if (direct_) DirectOutput::remove_stale();
  thread_ = std::thread([this] { refill_loop(); });
}

Started Pool::make(const templates::Template& t) {
  const auto& lang = *t.language(t.default_language);
  engine::SandboxSpec spec = pool_spec(t, runtime_, "p-" + random_hex(12));
  spec.argv = warm_command(lang);
  std::unique_ptr<DirectOutput> io;
  if (direct_.load() && runner_for(lang) == Runner::Python) io = DirectOutput::open();
  if (io) {
    spec.host_mounts = {{io->dir(), DirectOutput::kMountPoint, true}};
    spec.argv.push_back(DirectOutput::kMountPoint);
  }
  Started st;
  try {
    st = start_sandbox(engine_, spec);
  } catch (const Error& e) {
    // An engine that cannot mount the directory (it sees another filesystem) gets attach-only sandboxes.
    if (!io || e.reason() != Reason::MountRefused) throw;
    direct_ = false;
    io.reset();
    spec.host_mounts.clear();
    spec.argv.pop_back();
    st = start_sandbox(engine_, spec);
  }
  await_ready(st);
  if (io) io->accept(st.id, st.out, st.err);
  return st;
}

void Pool::refill_loop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    if (!discarded_.empty()) {
      Started old = std::move(discarded_.front());
      discarded_.pop_front();
      lock.unlock();
      old = Started{};  // the guard removes the container, outside the lock
      lock.lock();
      continue;
    }
    const templates::Template* need = nullptr;
    for (const auto& [name, n] : targets_)
      if (static_cast<int>(ready_[name].size()) < n && last_error_[name].empty()) need = store_.find(name);
    if (!need) {
      // Wake on a release; retry failed templates now and then.
      cv_.wait_for(lock, std::chrono::seconds(5));
      for (auto& [name, err] : last_error_) err.clear();
      continue;
    }
    // Leave the CPU to runs in progress for a while, unless the next request would miss anyway.
    auto quiet_until = last_take_ + std::chrono::seconds(1);
    if (in_use_ > 0 && !ready_[need->name].empty() && std::chrono::steady_clock::now() < quiet_until) {
      cv_.wait_until(lock, quiet_until);
      continue;
    }
    lock.unlock();
    std::optional<Started> made;
    std::string error;
    try {
      made = make(*need);
    } catch (const std::exception& e) {
      error = e.what();
    }
    lock.lock();
    if (made) ready_[need->name].push_back(std::move(*made)), ++refills_[need->name];
    if (!error.empty() && last_error_[need->name] != error) std::cerr << "orch serve: pool " << need->name << ": " << error << std::endl;
    last_error_[need->name] = error;
  }
}

std::optional<Started> Pool::take(const RunPlan& plan) {
  if (!fits_warm(plan, runtime_)) return std::nullopt;
  for (;;) {
    std::optional<Started> st;
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = ready_.find(plan.tmpl->name);
      if (it == ready_.end() || it->second.empty()) return std::nullopt;
      st = std::move(it->second.front());
      it->second.pop_front();
      if (st->stream->quiet() && (!st->out || (st->out->quiet() && st->err->quiet()))) {
        ++in_use_;
        last_take_ = std::chrono::steady_clock::now();
        if (it->second.empty()) cv_.notify_all();
        return st;
      }
    }
    // A runner says nothing until it has input, so anything readable on its stream (the end of it,
    // after the engine restarted or the container died) means it cannot take a run: drop it.
    discard(std::move(*st));
  }
}

void Pool::release(Started st) {
  std::lock_guard<std::mutex> lock(mu_);
  --in_use_;
  cv_.notify_all();
  if (stop_) return;  // st's guard removes it right here
  discarded_.push_back(std::move(st));
}

void Pool::discard(Started st) {
  std::lock_guard<std::mutex> lock(mu_);
  if (stop_) return;  // st's guard removes it right here
  discarded_.push_back(std::move(st));
  cv_.notify_all();
}

nlohmann::json Pool::state() const {
  std::lock_guard<std::mutex> lock(mu_);
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [name, n] : targets_) {
    auto it = ready_.find(name);
    j[name] = {{"ready", it == ready_.end() ? 0 : it->second.size()}, {"target", n}, {"refills", refills_.count(name) ? refills_.at(name) : 0}};
    auto err = last_error_.find(name);
    if (err != last_error_.end() && !err->second.empty()) j[name]["error"] = err->second;
  }
  return j;
}

void Pool::shutdown() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
    cv_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
  std::lock_guard<std::mutex> lock(mu_);
  ready_.clear();  // each Started's guard removes its container
  discarded_.clear();
}

}  // namespace orch::sandbox
