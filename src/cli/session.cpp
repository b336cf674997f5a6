#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "core/error.hpp"
#include "core/remote/sessions.hpp"
#include "core/session/manager.hpp"
#include "core/util/host_dir.hpp"
#include "core/util/random.hpp"
#include "core/util/shown.hpp"
#include "core/util/tar.hpp"
#include "core/util/units.hpp"

namespace orch::cli {

namespace {

namespace fs = std::filesystem;
using session::Manager;

// The CLI sees every owner's sessions (it talks to the engine directly, like `docker`); it creates
// sessions for ORCH_OWNER, or "local".
std::string cli_owner() {
  const char* o = std::getenv("ORCH_OWNER");
  return o && *o ? o : "local";
}

// With ORCH_HOST the sessions live behind a server; otherwise orch talks to the engine itself.
struct Context {
  Context() {
    if (auto server = remote::server_from_env()) {
      remote_ = std::make_unique<remote::SessionClient>(*server);
    } else {
      engine_ = engine::engine_from_env();
      store_ = std::make_unique<templates::Store>(templates::Store::load());
      local_ = std::make_unique<Manager>(*engine_, *store_);
    }
  }
  session::Backend& manager() { return remote_ ? static_cast<session::Backend&>(*remote_) : *local_; }

 private:
  std::unique_ptr<engine::Engine> engine_;
  std::unique_ptr<templates::Store> store_;
  std::unique_ptr<Manager> local_;
  std::unique_ptr<remote::SessionClient> remote_;
};

std::string human_duration(int64_t s) {
  if (s <= 0) return "expired";
  if (s < 60) return std::to_string(s) + "s";
  if (s < 3600) return std::to_string(s / 60) + "m" + std::to_string(s % 60) + "s";
  if (s < 86400) return std::to_string(s / 3600) + "h" + std::to_string(s % 3600 / 60) + "m";
  return std::to_string(s / 86400) + "d" + std::to_string(s % 86400 / 3600) + "h";
}

void write_all(int fd, std::string_view d) {
  while (!d.empty()) {
    ssize_t n = ::write(fd, d.data(), d.size());
    if (n <= 0) {
      if (n < 0 && errno == EINTR) continue;
      throw Error(ErrorKind::Infrastructure, std::string("write failed: ") + std::strerror(errno));
    }
    d.remove_prefix(static_cast<size_t>(n));
  }
}

class TerminalExecObserver : public session::ExecObserver {
 public:
  explicit TerminalExecObserver(bool live) : live_(live) {}
  void on_output(bool is_stderr, std::string_view d) override {
    if (!live_) return;
    try {
      write_all(is_stderr ? 2 : 1, d);
    } catch (const Error&) {
      live_ = false;
    }
  }
  bool cancelled() override { return g_interrupted.load() != 0; }

 private:
  bool live_;
};

}  // namespace

int session_create_main(int argc, char** argv) {
  CLI::App app{"Create a session: a sandbox that lives until its TTL and keeps state between calls.", "session create"};
  std::string tmpl = "python", name, memory, net = "none", ttl = "1800";
  double cpus = 0;
  std::vector<std::string> labels, with;
  bool as_json = false, dry_run = false;
  app.add_option("-t,--template", tmpl, "template (orch templates ls); default python");
  app.add_option("--with", with, "add a package to the template, built once and cached: apt:jq, npm:left-pad (repeatable)");
  app.add_option("--ttl", ttl, "lifetime: seconds or 30s/10m/2h (default 1800); the sandbox stops itself after it");
  app.add_option("--name", name, "a unique human name to use instead of the id");
  app.add_option("--memory", memory, "memory limit, e.g. 512m");
  app.add_option("--cpus", cpus, "CPU limit, e.g. 0.5");
  app.add_option("--net", net,
                 "none (default), bridge (public addresses), lan (and private ones), or private (its own network, for services)");
  app.add_option("--label", labels, "label K=V (repeatable)");
  app.add_flag("--json", as_json, "print the whole record as JSON");
  app.add_flag("--dry-run", dry_run, "print what the engine would be asked to create (Docker's create body or the Pod) as JSON, and create nothing");
  add_backend_option(app);
  if (int rc = parse(app, argc, argv); rc >= 0) return rc;
  session::CreateOptions o;
  o.template_name = tmpl;
  o.name = name;
  o.network = net;
  o.owner = cli_owner();
  o.ttl_s = static_cast<int64_t>(std::min(parse_seconds(ttl, "--ttl"), 1e12));
  if (!memory.empty()) o.memory_bytes = parse_bytes(memory, "--memory");
  if (app.count("--cpus")) o.cpus = cpus;
  for (const auto& kv : labels) {
    auto eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) throw Error(ErrorKind::BadInput, "--label '" + kv + "' is not K=V");
    o.labels[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  o.with = with;
  if (dry_run) {
    auto engine = engine::engine_from_env();
    auto store = templates::Store::load();
    print_json({{"backend", engine::backend_from_env()}, {"create", Manager(*engine, store).create_request(o)}});
    return 0;
  }
  Context ctx;
  auto r = ctx.manager().create(o);
  if (as_json) print_json(session::to_json(r));
  else std::cout << r.id << "\n";
  return 0;
}

int session_exec_main(int argc, char** argv) {
  CLI::App app{"Run code in a session; variables, imports, the working directory persist between calls.", "session exec"};
  std::string id, code, source, lang, out_dir, output_cap = "1m";
  double timeout = 0;
  bool as_json = false, out_overwrite = false, out_force = false;
  app.add_option("id", id, "session id or name")->required();
  app.add_option("source", source, "file with the code, or - for stdin");
  app.add_option("-c,--code", code, "code to run");
  app.add_option("-l,--lang", lang, "language (default: the template's)");
  app.add_option("--timeout", timeout, "seconds before the kernel is killed and restarted (default: the template's)");
  app.add_option("--out", out_dir, "save images (figures) to this directory (a taken name gets -2, -3, ...)");
  app.add_flag("--out-overwrite", out_overwrite, "let --out replace files that already exist");
  app.add_flag("--out-force", out_force, "let --out write at the top of a git repository");
  app.add_option("--output-limit", output_cap, "bytes kept per stream (default 1m)");
  app.add_flag("--json", as_json, "print one JSON result (images inline as base64)");
  app.footer("Exit code: 0 ok; the program's status (bash) or 1 (python/node error); 124 timeout; 137 kernel died; 130 interrupted.");
  if (int rc = parse(app, argc, argv); rc >= 0) return rc;
  session::ExecRequest req;
  if (!code.empty() && !source.empty()) throw Error(ErrorKind::BadInput, "give the code with -c or as a file, not both");
  if (!code.empty()) req.code = code;
  else if (source == "-") req.code = read_file_or_throw("/dev/stdin", "stdin");
  else if (!source.empty()) req.code = read_file_or_throw(source, "code file");
  else throw Error(ErrorKind::BadInput, "nothing to run: give -c CODE, a FILE, or - to read the code from stdin");
  req.language = lang;
  if (app.count("--timeout")) req.timeout_s = timeout;
  req.output_cap = static_cast<size_t>(parse_bytes(output_cap, "--output-limit"));

  std::optional<HostDir> out;
  if (!out_dir.empty()) out.emplace(HostDir::open(out_dir, out_force));
  Context ctx;
  install_signal_handlers();
  TerminalExecObserver obs(!as_json);
  auto r = ctx.manager().exec(id, req, obs);
  std::vector<std::string> saved;  // where each artifact went, or "" when it was not saved
  for (const auto& a : r.artifacts) {
    if (!out) break;
    auto w = out->write(a.name, a.data, out_overwrite ? OnExists::Replace : OnExists::NewName);
    saved.push_back(w.written);
    if (!w.refused.empty()) std::cerr << "orch: not saved: " << shown(a.name, 4096) << ": " << w.refused << "\n";
  }
  if (as_json) {
    print_json(session::to_json(r, true));
  } else {
    for (const auto& d : r.displays) {
      bool has_binary = false;
      for (const auto& [mime, v] : d.data) has_binary = has_binary || session::is_binary_mime(mime);
      auto it = d.data.find("text/plain");
      if (!has_binary && it != d.data.end()) std::cout << it->second << "\n";
    }
    std::cout.flush();
    if (r.error) {
      if (!r.error->traceback.empty()) std::cerr << r.error->traceback << (r.error->traceback.back() == '\n' ? "" : "\n");
      else std::cerr << r.error->name << ": " << r.error->value << "\n";
    }
    for (size_t i = 0; i < r.artifacts.size(); ++i) {
      const auto& a = r.artifacts[i];
      std::string what = " (" + a.mime + ", " + format_bytes(static_cast<int64_t>(a.data.size())) + ")";
      if (!out) std::cerr << "orch: " << shown(a.name, 4096) << what << " not saved: use --out DIR or --json\n";
      else if (!saved[i].empty()) std::cerr << "orch: saved " << (fs::path(out_dir) / saved[i]).string() << what << "\n";
    }
    if (r.stdout_truncated || r.stderr_truncated) std::cerr << "orch: output truncated at " << output_cap << " per stream\n";
    if (r.state_lost && r.status != session::ExecStatus::Timeout && r.status != session::ExecStatus::Crashed &&
        r.status != session::ExecStatus::Cancelled)
      std::cerr << "orch: the kernel ended; its state is lost and it restarts on the next call\n";
  }
  if (r.status == session::ExecStatus::Ok) return 0;
  if (r.status == session::ExecStatus::Error) return r.exit_code == 0 ? 1 : r.exit_code;
  return r.exit_code;
}

int session_ls_main(int argc, char** argv) {
  CLI::App app{"List sessions.", "session ls"};
  bool as_json = false;
  app.add_flag("--json", as_json, "print JSON");
  if (int rc = parse(app, argc, argv); rc >= 0) return rc;
  Context ctx;
  auto all = ctx.manager().list();
  if (as_json) {
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& r : all) arr.push_back(session::to_json(r));
    print_json(arr);
    return 0;
  }
  std::printf("%-16s %-16s %-12s %-8s %-8s %-10s %s\n", "ID", "NAME", "TEMPLATE", "NET", "STATE", "EXPIRES", "SERVICES");
  int64_t now = unix_now();
  for (const auto& r : all) {
    std::string svcs;
    for (const auto& s : r.services) svcs += (svcs.empty() ? "" : ",") + s.name;
    std::printf("%-16s %-16s %-12s %-8s %-8s %-10s %s\n", r.id.c_str(), r.name.empty() ? "-" : r.name.c_str(),
                r.template_name.c_str(), r.network.c_str(), r.state.c_str(), human_duration(r.expires - now).c_str(),
                svcs.empty() ? "-" : svcs.c_str());
  }
  return 0;
}

int session_show_main(int argc, char** argv) {
  CLI::App app{"Show one session as JSON.", "session show"};
  std::string id;
  app.add_option("id", id, "session id or name")->required();
  if (int rc = parse(app, argc, argv); rc >= 0) return rc;
  Context ctx;
  print_json(session::to_json(ctx.manager().get(id)));
  return 0;
}

int session_rm_main(int argc, char** argv) {
  CLI::App app{"Remove sessions with their services and networks.", "session rm"};
  std::vector<std::string> ids;
  app.add_option("ids", ids, "session ids or names")->required();
  if (int rc = parse(app, argc, argv); rc >= 0) return rc;
  Context ctx;
  int rc = 0;
  for (const auto& id : ids) {
    try {
      ctx.manager().remove(id);
      std::cout << id << "\n";
    } catch (const Error& e) {
      std::cerr << "orch: error: " << error_text(e) << "\n";
      rc = exit_code_for(e.kind());
    }
  }
  return rc;
}

int session_gc_main(int argc, char** argv) {
  CLI::App app{"Remove expired or stopped sessions, orphaned services and unused session networks.", "session gc"};
  bool as_json = false;
  app.add_flag("--json", as_json, "print JSON");
  if (int rc = parse(app, argc, argv); rc >= 0) return rc;
  Context ctx;
  auto g = ctx.manager().gc();
  if (as_json) {
    print_json(session::to_json(g));
    return 0;
  }
  for (const auto& s : g.sessions) std::cout << "removed session " << s << "\n";
  for (const auto& s : g.services) std::cout << "removed service " << s << "\n";
  for (const auto& s : g.networks) std::cout << "removed network " << s << "\n";
  std::cout << g.sessions.size() << " sessions removed\n";
  return 0;
}

int session_extend_main(int argc, char** argv) {
  CLI::App app{"Set a session's expiry to now + TTL.", "session extend"};
  std::string id, ttl;
  app.add_option("id", id, "session id or name")->required();
  app.add_option("--ttl", ttl, "new lifetime from now: seconds or 30s/10m/2h")->required();
  if (int rc = parse(app, argc, argv); rc >= 0) return rc;
  Context ctx;
  double ttl_s = parse_seconds(ttl, "--ttl");
  auto r = ctx.manager().extend(id, static_cast<int64_t>(ttl_s));
  std::cout << r.id << " expires in " << human_duration(r.expires - unix_now()) << "\n";
  return 0;
}

int session_upload_main(int argc, char** argv) {
  CLI::App app{"Copy a local file into the session's /workspace.", "session upload"};
  std::string id, local, remote;
  app.add_option("id", id, "session id or name")->required();
  app.add_option("local", local, "local file, or - for stdin")->required();
  app.add_option("remote", remote, "path in /workspace (default: the local file's name)");
  if (int rc = parse(app, argc, argv); rc >= 0) return rc;
  bool exec_bit = false;
  if (local != "-") {
    struct stat st {};
    if (::stat(local.c_str(), &st) != 0) throw Error(ErrorKind::NotFound, "no local file '" + local + "'");
    if (!S_ISREG(st.st_mode)) throw Error(ErrorKind::BadInput, "'" + local + "' is not a regular file");
    if (st.st_size > (256LL << 20)) throw Error(ErrorKind::BadInput, "'" + local + "' is larger than 256 MiB");
    exec_bit = (st.st_mode & 0100) != 0;
  }
  if (remote.empty()) {
    if (local == "-") throw Error(ErrorKind::BadInput, "give a REMOTE path when uploading stdin");
    remote = fs::path(local).filename().string();
  }
  std::string data = read_file_or_throw(local == "-" ? "/dev/stdin" : local, "local file");
  Context ctx;
  ctx.manager().upload(id, remote, data, std::nullopt, exec_bit);
  return 0;
}

int session_download_main(int argc, char** argv) {
  CLI::App app{"Copy a regular file out of the session's /workspace.", "session download"};
  std::string id, remote, local, max = "64m";
  app.add_option("id", id, "session id or name")->required();
  app.add_option("remote", remote, "path in /workspace")->required();
  app.add_option("local", local, "local path, or - for stdout (default: the remote file's name)");
  app.add_option("--max-size", max, "refuse files larger than this (default 64m)");
  if (int rc = parse(app, argc, argv); rc >= 0) return rc;
  size_t cap = static_cast<size_t>(parse_bytes(max, "--max-size"));
  Context ctx;
  std::string data = ctx.manager().download(id, remote, cap);
  if (local == "-") {
    write_all(1, data);
    return 0;
  }
  if (local.empty()) local = fs::path(remote).filename().string();
  fs::path target(local);
  std::string name = target.filename().string();
  if (name.empty() || name == "." || name == "..") throw Error(ErrorKind::BadInput, "give a LOCAL path naming a file");
  // The user named this file: it replaces one that is there (as cp does), and a link there is replaced, not followed.
  auto dir = HostDir::open(target.has_parent_path() ? target.parent_path().string() : ".", true);
  auto w = dir.write(name, data, OnExists::Replace);
  if (!w.refused.empty()) throw Error(ErrorKind::BadInput, "cannot write '" + local + "': " + w.refused);
  return 0;
}

int session_files_main(int argc, char** argv) {
  CLI::App app{"List files in the session's /workspace with their sizes.", "session files"};
  std::string id, dir;
  bool recursive = false, as_json = false;
  app.add_option("id", id, "session id or name")->required();
  app.add_option("dir", dir, "directory in /workspace (default: /workspace)");
  app.add_flag("-r,--recursive", recursive, "list everything below");
  app.add_flag("--json", as_json, "print JSON");
  if (int rc = parse(app, argc, argv); rc >= 0) return rc;
  Context ctx;
  auto entries = ctx.manager().files(id, dir, recursive);
  if (as_json) {
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& e : entries) arr.push_back(session::to_json(e));
    print_json(arr);
    return 0;
  }
  for (const auto& e : entries)
    // The names are the session's code's to choose: never raw to a terminal.
    std::printf("%-8s %10lld  %s%s\n", e.type.c_str(), static_cast<long long>(e.size), shown(e.path, 4096).c_str(),
                e.type == "dir" ? "/" : "");
  return 0;
}

int session_service_main(int argc, char** argv) {
  CLI::App app{"Start a service container on a session's private network and wait until it is ready.", "session service"};
  std::string id, memory;
  session::ServiceOptions o;
  bool as_json = false;
  app.add_option("id", id, "session id or name (created with --net private)")->required();
  app.add_option("--image", o.image, "image to run (must be on the engine)")->required();
  app.add_option("--name", o.name, "host name in the session (default: from the image)");
  app.add_option("--port", o.port, "port the service listens on (enables the readiness probe)");
  app.add_option("--health", o.health_path, "HTTP path that must answer 2xx/3xx, e.g. /health");
  app.add_option("-e,--env", o.env, "environment variable K=V (repeatable)");
  app.add_option("--memory", memory, "memory limit (default 512m)");
  app.add_option("--timeout", o.startup_timeout_s, "seconds to wait for readiness (default 60)");
  app.add_option("cmd", o.cmd, "command for the image (after --)");
  app.add_flag("--json", as_json, "print JSON");
  if (int rc = parse(app, argc, argv); rc >= 0) return rc;
  if (!memory.empty()) o.memory_bytes = parse_bytes(memory, "--memory");
  Context ctx;
  auto s = ctx.manager().add_service(id, o);
  if (as_json) {
    print_json({{"name", s.name}, {"image", s.image}, {"port", s.port}, {"url", s.url}, {"container_id", s.container_id}});
  } else {
    std::cout << (s.url.empty() ? s.name : s.url) << "\n";
  }
  return 0;
}

int session_stats_main(int argc, char** argv) {
  CLI::App app{"Show what a session's sandbox and its services use now: CPU, memory, processes, network, disk.", "session stats"};
  std::string id;
  bool as_json = false;
  app.add_option("id", id, "session id or name")->required();
  app.add_flag("--json", as_json, "print JSON");
  if (int rc = parse(app, argc, argv); rc >= 0) return rc;
  Context ctx;
  auto all = ctx.manager().stats(id);
  if (as_json) {
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& u : all) arr.push_back(sandbox::to_json(u));
    print_json({{"sandboxes", arr}});
    return 0;
  }
  std::printf("%-28s %-8s %7s %21s %9s %21s %21s\n", "NAME", "KIND", "CPU %", "MEMORY / LIMIT", "PIDS", "NET RX / TX", "DISK R / W");
  for (const auto& u : all)
    std::printf("%-28s %-8s %7.1f %10s / %-8s %4lld/%-4lld %10s / %-8s %10s / %-8s\n", u.name.substr(0, 28).c_str(), u.kind.c_str(),
                u.use.cpu_percent, format_bytes(u.use.memory_bytes).c_str(), format_bytes(u.use.memory_limit_bytes).c_str(),
                static_cast<long long>(u.use.pids), static_cast<long long>(u.use.pids_limit), format_bytes(u.use.net_rx_bytes).c_str(),
                format_bytes(u.use.net_tx_bytes).c_str(), format_bytes(u.use.disk_read_bytes).c_str(),
                format_bytes(u.use.disk_write_bytes).c_str());
  return 0;
}
}  // namespace orch::cli
