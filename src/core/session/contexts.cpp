// Code contexts: more kernels of a language in one session, each with its own state, directory
// and relay. A language's default kernel is the context named after its kind ("python", "node").
#include "core/error.hpp"
#include "core/session/boot.hpp"
#include "core/session/channel.hpp"
#include "core/session/manager.hpp"
#include "core/session/relay.hpp"
#include "core/util/random.hpp"

namespace orch::session {

namespace {

const templates::Language* kernel_language(const templates::Template& tmpl, const std::string& name) {
  if (const auto* l = tmpl.language(name); l && known_kernel(l->kernel)) return l;
  for (const auto& l : tmpl.languages)
    if (l.kernel == name && known_kernel(l.kernel)) return &l;
  return nullptr;
}

}  // namespace

std::string Manager::context_kernel(const Target& t, const std::string& context, std::string& cwd) {
  const auto& tmpl = template_of(t.template_name);
  if (const auto* l = kernel_language(tmpl, context); l && l->kernel == context) return l->name;
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& c : contexts_[t.id]) {
    if (c.id != context) continue;
    cwd = c.cwd;
    return c.language;
  }
  throw Error(ErrorKind::NotFound, "no code context '" + context + "' in session " + t.id);
}

CodeContext Manager::create_context(const std::string& id, const std::string& language, const std::string& cwd, const Owner& owner) {
  Target t = resolve(id, owner);
  const auto& tmpl = template_of(t.template_name);
  const auto* lang = kernel_language(tmpl, language.empty() ? tmpl.default_language : language);
  if (!lang) throw Error(ErrorKind::BadInput, "template '" + tmpl.name + "' has no kernel for language '" + language + "'");
  CodeContext c{lang->kernel + "-" + random_hex(16), lang->name, cwd.empty() ? t.home : cwd};
  if (c.cwd[0] != '/' || c.cwd.find('\0') != std::string::npos || c.cwd.size() > 4096)
    throw Error(ErrorKind::BadInput, "the context's directory must be an absolute path");
  if (!t.agent_path.empty()) {  // the engine's own answer to a missing directory is no frame a kernel sends
    std::string type;
    try {
      type = agent_for(t, "")->call("stat", {{"path", c.cwd}})["entry"].value("type", "");
    } catch (const Error& e) {
      if (e.kind() != ErrorKind::NotFound && e.kind() != ErrorKind::BadInput) throw;
    }
    if (type != "dir") throw Error(ErrorKind::BadInput, "the context's directory '" + c.cwd + "' does not exist or is not a directory");
  }
  auto relay = relay_for(t, c.id);
  {
    std::lock_guard<std::mutex> busy(relay->busy);
    relay->channel = std::make_unique<KernelChannel>(engine_, t.container_id, lang->kernel, c.id, tmpl.user, c.cwd, t.env);
    ExecResult r;
    ExecObserver quiet;
    ResultBuilder rb(r, quiet, 4096);
    // A kernel that cannot start there (no such directory) answers with the engine's error text
    // rather than a frame: that is the caller's directory, not a broken kernel.
    std::string failure;
    try {
      if (relay->channel->request("ping", "", Clock::now() + std::chrono::seconds(60), rb, quiet) != ReplyEnd::Done) failure = "no answer";
    } catch (const Error& e) {
      if (e.kind() != ErrorKind::Infrastructure) throw;
      failure = e.what();
    }
    if (!failure.empty()) {
      std::string why = relay->channel->relay_stderr();
      relay->channel.reset();
      throw Error(ErrorKind::BadInput,
                  "the " + lang->kernel + " kernel did not start in '" + c.cwd + "': " + (why.empty() ? failure : why));
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  contexts_[t.id].push_back(c);
  return c;
}

std::vector<CodeContext> Manager::list_contexts(const std::string& id, const Owner& owner) {
  Target t = resolve(id, owner);
  const auto& tmpl = template_of(t.template_name);
  std::vector<CodeContext> out;
  for (const auto& l : tmpl.languages)
    if (known_kernel(l.kernel) && l.kernel != "bash") out.push_back({l.kernel, l.name, t.home});
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& c : contexts_[t.id]) out.push_back(c);
  return out;
}

void Manager::restart_context(const std::string& id, const std::string& context, const Owner& owner) {
  Target t = resolve(id, owner);
  std::string cwd;
  context_kernel(t, context, cwd);  // NotFound for an unknown context
  auto relay = relay_for(t, context);
  std::lock_guard<std::mutex> busy(relay->busy);
  relay->channel.reset();
  kill_kernel(t, context, template_of(t.template_name).user);
}

void Manager::remove_context(const std::string& id, const std::string& context, const Owner& owner) {
  Target t = resolve(id, owner);
  std::string cwd;
  context_kernel(t, context, cwd);
  if (known_kernel(context))
    throw Error(ErrorKind::BadInput, "the default context '" + context + "' cannot be removed (restart it instead)");
  restart_context(id, context, owner);
  std::lock_guard<std::mutex> lock(mu_);
  auto& list = contexts_[t.id];
  std::erase_if(list, [&](const CodeContext& c) { return c.id == context; });
  relays_.erase(t.id + "/" + context);
}

}  // namespace orch::session
