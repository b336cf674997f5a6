#include <algorithm>
#include <chrono>

#include "core/error.hpp"
#include "core/sandbox/limits.hpp"
#include "core/session/boot.hpp"
#include "core/session/channel.hpp"
#include "core/session/container_exec.hpp"
#include "core/session/manager.hpp"
#include "core/session/relay.hpp"
#include "core/util/shown.hpp"

namespace orch::session {

namespace {

using Clock = std::chrono::steady_clock;
constexpr size_t kMaxCode = size_t{8} << 20;

int64_t ms_since(Clock::time_point t0) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count();
}

std::string format_seconds(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", s);
  return buf;
}

}  // namespace

std::shared_ptr<Manager::Relay> Manager::relay_for(const Target& t, const std::string& instance) {
  if (!opts_.keep_relays) return std::make_shared<Relay>();
  std::lock_guard<std::mutex> lock(mu_);
  known_[t.id] = t;
  auto& slot = relays_[t.id + "/" + instance];
  if (!slot) slot = std::make_shared<Relay>();
  return slot;
}

void Manager::drop_relays(const std::string& id) {
  std::vector<std::shared_ptr<AgentSlot>> agents;  // destroyed outside the lock: joining a reader takes a moment
  std::lock_guard<std::mutex> lock(mu_);
  known_.erase(id);
  contexts_.erase(id);
  auto drop = [&](auto& map, auto&& keep) {
    for (auto it = map.begin(); it != map.end();) {
      if (it->first.rfind(id + "/", 0) == 0) {
        keep(it->second);
        it = map.erase(it);
      } else {
        ++it;
      }
    }
  };
  drop(relays_, [](auto&) {});
  drop(agents_, [&](auto& a) { agents.push_back(a); });
}

void Manager::kill_kernel(const Target& t, const std::string& instance, const std::string& user) {
  run_helper(t, kill_kernel_command(instance), user);
}

void Manager::run_helper(const Target& t, const std::vector<std::string>& argv, const std::string& user) {
  // Through the session's agent when one runs (a round trip), else a docker exec.
  std::shared_ptr<AgentLink> agent;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [key, slot] : agents_)
      if (key.rfind(t.id + "/", 0) == 0 && slot->link && slot->link->alive() && slot->link->user() == user) agent = slot->link;
  }
  try {
    if (agent) {
      auto stream = agent->start(
          {{"cmd", argv[0]}, {"args", std::vector<std::string>(argv.begin() + 1, argv.end())}, {"cwd", "/"}, {"timeout_ms", 30000}});
      auto until = Clock::now() + std::chrono::seconds(31);
      std::vector<ProcessEvent> events;
      while (Clock::now() < until && stream->next(events, until)) {
        if (std::any_of(events.begin(), events.end(), [](const ProcessEvent& e) { return e.fd == 0; })) return;
        events.clear();
      }
      return;
    }
    engine::ExecSpec o;
    o.argv = argv;
    o.user = user;
    exec_capture(engine_, t.container_id, o, "", 4096, std::chrono::seconds(30));
  } catch (const Error&) {
    // the session itself is gone: nothing left to do in it
  }
}

// Starts the default language's kernel at create, so the first call does not wait for an interpreter.
// Best effort: a kernel that cannot start says why on the first call.
void Manager::start_kernel(const Target& t, const templates::Template& tmpl) {
  const auto* lang = tmpl.language(tmpl.default_language);
  if (!lang || !known_kernel(lang->kernel)) return;
  try {
    auto relay = relay_for(t, lang->kernel);
    std::lock_guard<std::mutex> busy(relay->busy);
    auto channel = std::make_unique<KernelChannel>(engine_, t.container_id, lang->kernel, lang->kernel, tmpl.user, t.home, t.env);
    ExecResult r;
    ExecObserver quiet;
    ResultBuilder rb(r, quiet, 4096);
    // Any request but "exec" is answered at once and leaves the execution count alone.
    if (channel->request("ping", "", Clock::now() + std::chrono::seconds(60), rb, quiet) == ReplyEnd::Done && opts_.keep_relays)
      relay->channel = std::move(channel);
  } catch (const std::exception&) {
  }
}

void check_exec(const ExecRequest& req) {
  if (req.code.find('\0') != std::string::npos) throw Error(ErrorKind::BadInput, "the code holds a NUL byte");
  if (req.code.size() > kMaxCode) throw Error(ErrorKind::BadInput, "the code is larger than 8 MiB");
  if (req.timeout_s) sandbox::check_timeout(*req.timeout_s);
  sandbox::check_output_limit(req.output_cap);
}

ExecResult Manager::exec(const std::string& id_or_name, const ExecRequest& req, ExecObserver& obs, const Owner& owner) {
  auto t0 = Clock::now();
  check_exec(req);
  Target t = resolve(id_or_name, owner);
  const auto& tmpl = template_of(t.template_name);
  std::string cwd = t.home;
  std::string lang_name = req.language;
  if (!req.context.empty()) lang_name = context_kernel(t, req.context, cwd);
  if (lang_name.empty()) lang_name = tmpl.default_language;
  const auto* lang = tmpl.language(lang_name);
  if (!lang && !req.context.empty()) {
    for (const auto& l : tmpl.languages)
      if (l.kernel == lang_name) lang = &l;
  }
  if (!lang) {
    std::string offered;
    for (const auto& l : tmpl.languages) offered += (offered.empty() ? "" : ", ") + l.name;
    throw Error(ErrorKind::BadInput, "template '" + tmpl.name + "' has no language '" + lang_name + "' (it offers " + offered + ")");
  }
  if (!known_kernel(lang->kernel))
    throw Error(ErrorKind::BadInput, "language '" + lang_name + "' of template '" + tmpl.name + "' has no session kernel");
  if (!req.env.empty() && lang->kernel == "bash")
    throw Error(ErrorKind::BadInput, "per-execution environment variables work with the python and node kernels, not bash");
  double timeout = req.timeout_s.value_or(tmpl.limits.timeout_s);
  sandbox::check_timeout(timeout);
  std::string instance = req.context.empty() ? lang->kernel : req.context;
  std::string type = req.env.empty() ? "exec" : "run";
  std::string payload = req.env.empty() ? req.code : nlohmann::json({{"code", req.code}, {"env", req.env}}).dump();

  ExecResult r;
  r.session_id = t.id;
  r.language = lang_name;
  ResultBuilder rb(r, obs, req.output_cap, req.stream_all);
  auto relay = relay_for(t, instance);
  std::lock_guard<std::mutex> busy(relay->busy);
  auto deadline = Clock::now() + std::chrono::milliseconds(static_cast<int64_t>(timeout * 1000));
  ReplyEnd end = ReplyEnd::Closed;
  std::string relay_err;
  for (int attempt = 0; attempt < 2; ++attempt) {
    bool reused = relay->channel && !relay->channel->stale();
    if (!reused) {
      try {
        relay->channel = std::make_unique<KernelChannel>(engine_, t.container_id, lang->kernel, instance, tmpl.user, cwd, t.env);
      } catch (const Error& e) {
        drop_relays(t.id);
        if (e.kind() == ErrorKind::NotFound)
          throw Error(ErrorKind::NotFound, "no session '" + shown(id_or_name, 100) + "' (it was removed)");
        throw;
      }
    }
    end = relay->channel->request(type, payload, deadline, rb, obs);
    relay_err = relay->channel->relay_stderr();
    // A kept relay that died while idle never saw the request: send it once more on a fresh one.
    if (end == ReplyEnd::Closed && reused && relay->channel->last_reply_bytes() == 0) {
      relay->channel.reset();
      continue;
    }
    break;
  }
  bool interrupted = false;
  if ((end == ReplyEnd::Timeout || end == ReplyEnd::Cancelled) && req.interrupt && lang->kernel != "bash") {
    try {
      run_helper(t, interrupt_kernel_command(instance), tmpl.user);
      ExecObserver patient;
      interrupted = relay->channel->receive(Clock::now() + std::chrono::seconds(3), rb, patient) == ReplyEnd::Done;
    } catch (const Error&) {
      // the kill below restarts it
    }
  }
  if (!interrupted && (end != ReplyEnd::Done || r.state_lost || !opts_.keep_relays)) relay->channel.reset();

  if (interrupted) {
    bool timed_out = end == ReplyEnd::Timeout;
    r.status = timed_out ? ExecStatus::Timeout : ExecStatus::Cancelled;
    r.exit_code = timed_out ? 124 : 130;
  } else if (end == ReplyEnd::Timeout || end == ReplyEnd::Cancelled) {
    kill_kernel(t, instance, tmpl.user);
    bool timed_out = end == ReplyEnd::Timeout;
    r.status = timed_out ? ExecStatus::Timeout : ExecStatus::Cancelled;
    r.exit_code = timed_out ? 124 : 130;
    r.state_lost = true;
    r.error = ExecError{timed_out ? "Timeout" : "Cancelled",
                        (timed_out ? "the code ran longer than " + format_seconds(timeout) + " s" : std::string("the call was cancelled")) +
                            "; the " + lang->kernel + " kernel was restarted and its state is lost",
                        ""};
  } else if (end == ReplyEnd::Closed) {
    drop_relays(t.id);
    auto c = engine_.inspect(t.container_id);
    if (!c || !c->running)
      throw Error(ErrorKind::Conflict, "session " + t.id + " ended during the call (expired or removed)");
    r.status = ExecStatus::Crashed;
    r.exit_code = 137;
    r.state_lost = true;
    std::string why = "the " + lang->kernel + " kernel died (it exited, was killed, or ran out of memory); it restarts on the next call and its state is lost";
    if (!relay_err.empty()) why += ": " + relay_err.substr(0, 2000);
    r.error = ExecError{"KernelDied", why, ""};
  }
  rb.finish();
  r.duration_ms = ms_since(t0);
  return r;
}

}  // namespace orch::session
