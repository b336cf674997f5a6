#include <algorithm>
#include <filesystem>

#include "core/error.hpp"
#include "core/sandbox/limits.hpp"
#include "core/sandbox/run.hpp"
#include "core/util/random.hpp"
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

}  // namespace

void check_run_options(const RunOptions& o) {
  if (o.memory_bytes) check_memory(*o.memory_bytes);
  if (o.cpus) check_cpus(*o.cpus);
  if (o.pids) check_pids(*o.pids);
  if (o.timeout_s) check_timeout(*o.timeout_s);
  if (o.network) check_network(*o.network, false);
  check_output_limit(o.output_cap);
  for (const auto& kv : o.env) check_env(kv);
}

RunPlan plan_run(const templates::Store& store, const RunOptions& o) {
  RunPlan p;
  std::string lang = o.language;
  if (lang.empty() && !o.code_name.empty()) {
    std::string ext = extension_of(o.code_name);
    if (!o.template_name.empty()) {
      if (const auto* l = store.get(o.template_name).language_for_extension(ext)) lang = l->name;
    }
    if (lang.empty() && !ext.empty()) lang = store.language_for_extension(ext).value_or("");
  }
  if (!o.template_name.empty()) {
    p.tmpl = &store.get(o.template_name);
  } else if (!lang.empty()) {
    p.tmpl = store.for_language(lang);
    if (!p.tmpl) {
      std::vector<std::string> langs;
      for (const auto& t : store.all())
        for (const auto& l : t.languages) langs.push_back(l.name);
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
  p.extra_env = o.env;
  p.timeout_s = o.timeout_s.value_or(p.tmpl->limits.timeout_s);
  check_timeout(p.timeout_s);

  for (const auto& f : o.files) {
    if (!is_file_name(f.path))
      throw Error(ErrorKind::BadInput, "file name '" + f.path.substr(0, 200) + "' must be a relative path inside /workspace naming a file (no '..', '.' or empty parts)");
  }
  p.files = o.files;
  if (o.command.empty() || !o.code.empty()) p.files.push_back(FileInput{p.lang->file, o.code, 0644});
  p.args = o.args;
  p.command = o.command;
  p.stdin_data = o.stdin_data;
  p.stdin_fd = o.stdin_fd;
  p.collect_out = o.collect_out;
  p.output_cap = o.output_cap;
  return p;
}

std::vector<std::string> boot_command(size_t tar_size, const std::vector<std::string>& program, const std::string& marker) {
  // $1 is the marker (empty without --out); the program's argv follows. Files go smallest first, so
  // a file past the size cap costs only the larger ones after it; tar's exit status follows the
  // archive, since tar skips what it cannot read (a path past PATH_MAX) and goes on.
  std::string script =
      "m=$1; shift; "
      "dd bs=65536 count=" + std::to_string(tar_size) + " iflag=count_bytes,fullblock 2>/dev/null"
      " | tar -x -o -m -C /workspace -f - || { echo 'orch: could not unpack the input files' >&2; exit 125; }; ";
  std::string tar_status = "printf '" + std::string(kTarStatusTag) + "%d\\036' $?; ";
  if (marker.empty()) {
    script += "exec \"$@\"";
  } else {
    script +=
        "mkdir -p /workspace/out; \"$@\"; rc=$?; printf %s \"$m\"; "
        "cd /workspace/out 2>/dev/null && { if find . -maxdepth 0 -printf '' 2>/dev/null; then "
        "find . -mindepth 1 ! -type d -printf '%s %p\\0' 2>/dev/null | sort -zn | cut -z -d' ' -f2- | "
        "tar -c -f - --null --no-recursion -T - 2>/dev/null; else tar -c -f - . 2>/dev/null; fi; " +
        tar_status + "}; exit $rc";
  }
  std::vector<std::string> cmd = {"/bin/sh", "-c", script, "orch-boot", marker};
  cmd.insert(cmd.end(), program.begin(), program.end());
  return cmd;
}

}  // namespace orch::sandbox
