#include <algorithm>
#include <filesystem>
#include <set>

#include "core/error.hpp"
#include "core/sandbox/figures.hpp"
#include "core/sandbox/limits.hpp"
#include "core/sandbox/run.hpp"
#include "core/templates/packages.hpp"
#include "core/util/random.hpp"
#include "core/util/shown.hpp"
#include "core/util/suggest.hpp"
#include "core/util/tar.hpp"
#include "core/util/units.hpp"

namespace orch::sandbox {

namespace {

std::string extension_of(const std::string& name) {
  auto dot = name.rfind('.');
  auto slash = name.rfind('/');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) return "";
  return name.substr(dot);
}

// A name for a file in /workspace: relative, no "..", and no empty or "." part (those name a directory).
bool is_file_name(const std::string& p) {
  if (!tar::is_safe_relative(p) || p.size() > 1024) return false;
  for (size_t start = 0;;) {
    size_t slash = p.find('/', start);
    std::string part = p.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    if (part.empty() || part == "." || part.size() > 255) return false;
    if (slash == std::string::npos) return true;
    start = slash + 1;
  }
}

// A tool image's own entrypoint and command with the caller's environment: nothing is unpacked,
// so the image needs no shell; it keeps its working directory.
void plan_image_command(RunPlan& p, const RunOptions& o) {
  if (!o.code.empty() || !o.files.empty() || o.readonly_workspace || o.capture_workspace || o.collect_out)
    throw Error(ErrorKind::BadInput, "a run of an image's own command takes no code, files or workspace options");
  if (o.image.size() > 256 || o.image.find_first_of(" \t\r\n") != std::string::npos)
    throw Error(ErrorKind::BadInput, "image name '" + shown(o.image, 100) + "' is not an image reference");
  p.image_command = true;
  p.spec.image = o.image;
  p.spec.workdir.clear();
  p.spec.labels["orch.image"] = o.image;
  p.files.clear();
}

// Input files unpack into one tree: two with one name, or a file that another's path needs as a
// directory ("d" and "d/e"), would lose one of them, silently or with tar's error as the run's.
void check_file_names(const std::vector<FileInput>& files, const std::string& program) {
  std::set<std::string> names;
  for (const auto& f : files) {
    if (names.insert(f.path).second) continue;
    throw Error::bad_field("files", f.path == program ? "hold one named '" + program + "', the program's own name: name it otherwise"
                                                      : "name '" + shown(f.path) + "' twice");
  }
  for (const auto& n : names) {
    auto next = names.upper_bound(n + "/");
    if (next != names.end() && next->rfind(n + "/", 0) == 0)
      throw Error::bad_field("files", "name '" + shown(n) + "' as a file and as the directory of '" + shown(*next) + "'");
  }
}

}  // namespace

void check_run_options(const RunOptions& o) {
  if (o.memory_bytes) check_memory(*o.memory_bytes);
  if (o.cpus) check_cpus(*o.cpus);
  if (o.pids) check_pids(*o.pids);
  if (o.timeout_s) check_timeout(*o.timeout_s);
  if (o.network) check_network(*o.network, false);
  check_output_limit(o.output_cap);
  for (const auto& kv : o.env) check_env(kv);
  check_args(o.args, o.env);
}

RunPlan plan_run(const templates::Store& store, const RunOptions& o) {
  RunPlan p;
  std::string lang = o.language;
  if (lang.empty() && !o.code_name.empty()) {
    std::string ext = extension_of(o.code_name);
    if (o.template_override || !o.template_name.empty()) {
      const auto& t = o.template_override ? *o.template_override : store.get(o.template_name);
      if (const auto* l = t.language_for_extension(ext)) lang = l->name;
    }
    if (lang.empty() && !ext.empty()) lang = store.language_for_extension(ext).value_or("");
  }
  if (o.template_override) {
    p.tmpl = o.template_override;
  } else if (!o.template_name.empty()) {
    p.tmpl = &store.get(o.template_name);
  } else if (!lang.empty()) {
    p.tmpl = store.for_language(lang);
    if (!p.tmpl) {
      std::vector<std::string> langs;
      for (const auto* t : store.all())
        for (const auto& l : t->languages) langs.push_back(l.name);
      throw Error(ErrorKind::NotFound, "no template offers language '" + lang + "'" + did_you_mean(lang, langs));
    }
  } else {
    p.tmpl = store.find("python");
    if (!p.tmpl) throw Error(ErrorKind::BadInput, "no language given: use -l LANG or -t TEMPLATE");
  }
  if (lang.empty()) lang = p.tmpl->default_language;
  p.lang = p.tmpl->language(lang);
  if (!p.lang) {
    std::string offered;
    for (const auto& l : p.tmpl->languages) offered += (offered.empty() ? "" : ", ") + l.name;
    throw Error(ErrorKind::BadInput, "template '" + p.tmpl->name + "' has no language '" + lang + "' (it offers " + offered + ")");
  }

  check_run_options(o);
  p.run_id = "r-" + random_hex(12);
  std::string net = o.network.value_or(p.tmpl->network);
  if (net != "none") p.guard = engine::Egress{net == "lan"};
  std::optional<std::string> engine_net = net == "none" ? "none" : "bridge";
  SandboxRequest req{"run", p.run_id, o.memory_bytes, o.cpus, o.pids, engine_net, o.runtime, o.workspace_size, o.env, o.labels};
  p.spec = sandbox_spec(*p.tmpl, req);
  p.spec.lan = net == "lan";
  p.extra_env = o.env;
  p.timeout_s = o.timeout_s.value_or(p.tmpl->limits.timeout_s);
  check_timeout(p.timeout_s);

  for (const auto& f : o.files) {
    if (!is_file_name(f.path))
      throw Error(ErrorKind::BadInput, "file name '" + shown(f.path) +
                                           "' must be a relative path inside /workspace naming a file (no '..', '.' or empty parts)");
  }
  p.files = o.files;
  p.args = o.args;
  p.command = o.command;
  p.stdin_data = o.stdin_data;
  p.stdin_fd = o.stdin_fd;
  p.collect_out = o.collect_out;
  p.output_cap = o.output_cap;
  if (!o.image.empty()) {
    plan_image_command(p, o);
    return p;
  }
  if (o.command.empty() || !o.code.empty()) p.files.push_back(FileInput{p.lang->file, o.code, 0644});
  check_file_names(p.files, p.lang->file);
  p.readonly_workspace = o.readonly_workspace;
  p.capture_workspace = o.capture_workspace && !o.readonly_workspace;
  if (p.readonly_workspace)
    for (auto& m : p.spec.scratch)
      if (m.path == "/workspace") m.owner = "0:0";  // root's, mode 0755: readable, not writable
  add_figure_capture(p, o);
  return p;
}

std::vector<std::string> RunPlan::collect() const {
  std::vector<std::string> c;
  if (capture_workspace) c.push_back("workspace");
  else if (collect_out && !readonly_workspace) c.push_back("workspace/out");
  if (capture_figures) c.push_back(kFigureDir + 1);
  return c;
}

std::vector<std::string> boot_command(size_t tar_size, const std::vector<std::string>& program, const std::string& marker,
                                      const std::vector<std::string>& collect, bool wait_for_go, size_t out_cap) {
  // $1 is the marker (empty when nothing is collected); the program's argv follows. The boot steps
  // find their tools on the image's usual PATH and run tar without TAR_OPTIONS, whatever the run's
  // environment says (PATH=/nope failed with "tar: not found"); the program gets its PATH back.
  std::string script = "m=$1; shift; p=$PATH; PATH=" + std::string(kBootPath) + "; ";
  if (wait_for_go) {
    script += "dd bs=1 count=1 of=/dev/null 2>/dev/null; ";
  } else {
    script += "dd bs=65536 count=" + std::to_string(tar_size) +
              " iflag=count_bytes,fullblock 2>/dev/null"
              " | TAR_OPTIONS= tar -x -o -m -C /workspace -f - || { echo 'orch: could not unpack the input files' >&2; exit 125; }; ";
  }
  if (marker.empty()) {
    script += "PATH=$p; exec \"$@\"";
  } else {
    // The collected paths are archived from / without following links, smallest files first, as
    // many as fit under the size cap (sizes as ls says them, plus room for tar's headers): the
    // files past it are named after the archive (at most 100 names) rather than streamed for the
    // host to drop (a sparse 1 TiB file took a quick run to its timeout). tar's exit status comes
    // last, since tar skips what it cannot read (a path past PATH_MAX) and goes on.
    std::string paths;
    for (const auto& c : collect) paths += " " + c;
    bool out = std::find(collect.begin(), collect.end(), "workspace/out") != collect.end();
    size_t room = out_cap > (2u << 20) ? out_cap - (1u << 20) : out_cap / 2;
    std::string listed = "L() { find" + paths +
                         " -mindepth 1 ! -type d -printf '%s %p\\0' 2>/dev/null | sort -zn | awk -v RS='\\0' -v ORS='\\0' -v k=$1 -v c=" +
                         std::to_string(room) +
                         " '{ i = index($0, \" \"); p = substr($0, i + 1); t += substr($0, 1, i - 1) + 1536 + length(p); "
                         "if ((t <= c) == k) print p }'; }; ";
    std::string status = "printf '" + std::string(kTarStatusTag) + "%d\\036' ";
    script += std::string(out ? "mkdir -p /workspace/out; " : "") + "PATH=$p; \"$@\"; rc=$?; PATH=" + kBootPath +
              "; export TAR_OPTIONS=; printf %s \"$m\"; cd / && { " + "if find . -maxdepth 0 -printf '' 2>/dev/null; then " + listed +
              "L 1 | tar -c -f - --null --no-recursion -T - 2>/dev/null; s=$?; printf '" + std::string(kTooBigTag) +
              "'; L 0 | head -z -n 100; " + status + "$s; else tar -c -f -" + paths + " 2>/dev/null; " + status + "$?; fi; }; exit $rc";
  }
  std::vector<std::string> cmd = {"/bin/sh", "-c", script, "orch-boot", marker};
  cmd.insert(cmd.end(), program.begin(), program.end());
  return cmd;
}

void resolve_packages(engine::Engine& engine, const templates::Store& store, RunOptions& o,
                      const std::function<void(const std::string&)>& on_line) {
  if (o.with.empty()) return;
  auto packages = templates::parse_packages(o.with);
  if (!o.image.empty()) throw Error(ErrorKind::BadInput, "packages go into templates, not into a tool image");
  RunOptions base = o;
  base.with.clear();
  o.template_override = &templates::with_packages(engine, *plan_run(store, base).tmpl, packages, on_line);
}

}  // namespace orch::sandbox
