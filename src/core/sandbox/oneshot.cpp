#include <algorithm>
#include <chrono>
#include <map>
#include <set>

#include "core/error.hpp"
#include "core/sandbox/figures.hpp"
#include "core/sandbox/run.hpp"
#include "core/session/container_exec.hpp"
#include "core/util/host_dir.hpp"
#include "core/util/random.hpp"
#include "core/util/tar.hpp"

namespace orch::sandbox {

std::string build_input_tar(const std::vector<FileInput>& files, tar::Writer w) {
  for (const auto& f : files) {
    // Parent directories first, so nested paths unpack with sane modes.
    for (size_t slash = f.path.find('/'); slash != std::string::npos; slash = f.path.find('/', slash + 1))
      w.add_dir(f.path.substr(0, slash), 0755);
    w.add_file(f.path, f.data, f.mode);
  }
  return w.finish();
}

namespace {

constexpr size_t kMaxArtifactPath = 2048;

}  // namespace

namespace {

// Splits tar's exit status (boot_command's suffix) off the archive; -1 when it is not there.
int take_tar_status(std::string_view& bytes) {
  if (bytes.size() < kTarStatusTag.size() + 2 || bytes.back() != '\x1e') return -1;
  size_t tag = bytes.rfind(kTarStatusTag);
  if (tag == std::string_view::npos) return -1;
  std::string_view digits = bytes.substr(tag + kTarStatusTag.size(), bytes.size() - 1 - tag - kTarStatusTag.size());
  if (digits.empty() || digits.size() > 3 || digits.find_first_not_of("0123456789") != std::string_view::npos) return -1;
  bytes = bytes.substr(0, tag);
  return std::stoi(std::string(digits));
}

// Splits the names of the files left out for the size cap (boot_command's list between the
// archive and tar's status) off the archive.
std::vector<std::string> take_too_big(std::string_view& bytes) {
  std::vector<std::string> names;
  size_t tag = bytes.rfind(kTooBigTag);
  if (tag == std::string_view::npos) return names;
  std::string_view list = bytes.substr(tag + kTooBigTag.size());
  bytes = bytes.substr(0, tag);
  for (size_t end = list.find('\0'); end != std::string_view::npos; end = list.find('\0')) {
    names.emplace_back(list.substr(0, end));
    list.remove_prefix(end + 1);
  }
  return names;
}

}  // namespace

void read_artifacts(std::string_view tar_bytes, bool cut_at_cap, const RunPlan& plan, RunResult& res) {
  int tar_status = cut_at_cap ? -1 : take_tar_status(tar_bytes);
  std::vector<std::string> too_big = tar_status < 0 ? std::vector<std::string>{} : take_too_big(tar_bytes);
  std::map<std::string, std::string> inputs;
  for (const auto& f : plan.files) inputs[f.path] = f.data;
  const std::string figures = std::string(kFigureDir + 1) + "/";
  const std::string root = plan.capture_workspace ? "workspace/" : "workspace/out/";
  // The archive's paths start with what was collected (workspace/out/, workspace/, the figures'
  // directory); an artifact's path is what follows. Anything else is not an artifact.
  auto place = [&](std::string p, std::string& mime) -> std::optional<std::string> {
    while (p.rfind("./", 0) == 0) p = p.substr(2);
    if (plan.capture_figures && p.rfind(figures, 0) == 0) {
      std::string name = p.substr(figures.size());
      mime = "image/png";
      if (name.find('/') != std::string::npos || name.size() < 5 || name.substr(name.size() - 4) != ".png") return std::nullopt;
      return name;
    }
    if (p.rfind(root, 0) != 0) return std::nullopt;
    std::string rel = p.substr(root.size());
    if (plan.capture_workspace && (rel == ".orch" || rel.rfind(".orch/", 0) == 0)) return std::nullopt;
    return rel;
  };
  auto skip = [&](const std::string& path, const std::string& why) { res.artifacts_skipped.push_back({path, why}); };
  tar::Prefix archive = tar::read_prefix(tar_bytes);
  std::set<std::string> files, dirs;
  std::map<std::string, size_t> by_raw;  // archive path -> index in artifacts, for hard links
  std::vector<Artifact> figures_found;
  for (const auto& e : archive.entries) {
    std::string mime;
    auto placed = place(e.path, mime);
    if (!placed || placed->empty() || e.type == tar::EntryType::Dir) continue;  // directories are made for the files in them
    const std::string& path = *placed;
    if (auto why = unsafe_host_path_reason(path); !why.empty()) {
      skip(path, why);
      continue;
    }
    if (path.size() > kMaxArtifactPath) {
      skip(path.substr(0, 200) + "...", "path longer than " + std::to_string(kMaxArtifactPath) + " bytes");
      continue;
    }
    if (e.type == tar::EntryType::Symlink) {
      skip(path, "a symbolic link");
      continue;
    }
    if (e.type != tar::EntryType::File && e.type != tar::EntryType::Hardlink) {
      skip(path, "not a regular file");
      continue;
    }
    std::string data(e.data);
    if (e.type == tar::EntryType::Hardlink) {
      // A hard link to a file already in the archive is a copy of it; anything else is dropped.
      auto it = by_raw.find(e.link);
      if (it == by_raw.end()) {
        skip(path, "a hard link to a file that is not returned");
        continue;
      }
      data = res.artifacts[it->second].data;
    }
    // A captured workspace returns what the run made or changed, not the files it was given.
    if (plan.capture_workspace && mime.empty() && inputs.count(path) && inputs[path] == data) continue;
    if (files.count(path)) {
      skip(path, "a second entry with the same name");
      continue;
    }
    if (dirs.count(path)) {
      skip(path, "a directory of that name holds other files");
      continue;
    }
    std::string clash;
    for (size_t slash = path.find('/'); slash != std::string::npos && clash.empty(); slash = path.find('/', slash + 1))
      if (files.count(path.substr(0, slash))) clash = path.substr(0, slash);
    if (!clash.empty()) {
      skip(path, "'" + clash + "' is a file, not a directory");
      continue;
    }
    for (size_t slash = path.find('/'); slash != std::string::npos; slash = path.find('/', slash + 1)) dirs.insert(path.substr(0, slash));
    files.insert(path);
    if (!mime.empty()) {
      figures_found.push_back(Artifact{path, std::move(data), mime});
      continue;
    }
    by_raw[e.path] = res.artifacts.size();
    res.artifacts.push_back(Artifact{path, std::move(data), mime});
  }
  // Figures come in the order the program made them (figure-2 before figure-10), after the files.
  auto number = [](const Artifact& a) { return std::strtol(a.path.c_str() + a.path.find('-') + 1, nullptr, 10); };
  std::sort(figures_found.begin(), figures_found.end(), [&](const Artifact& a, const Artifact& b) { return number(a) < number(b); });
  for (auto& f : figures_found) res.artifacts.push_back(std::move(f));
  const std::string past_cap = "past the " + std::to_string(plan.out_cap >> 20) + " MiB limit for all files returned";
  for (const auto& name : too_big) {
    std::string mime;
    skip(place(name, mime).value_or(name), past_cap);
    res.artifacts_truncated = true;
  }
  if (!archive.error.empty() || cut_at_cap) {
    res.artifacts_truncated = true;
    std::string why = cut_at_cap ? past_cap : "the archive of the returned files ended early (" + archive.error + ")";
    std::string mime;
    skip(place(archive.cut, mime).value_or(archive.cut), why + (archive.cut.empty() ? "" : "; files after it were not copied"));
  } else if (tar_status > 0) {
    res.artifacts_truncated = true;
    skip("", "tar in the sandbox could not archive every file returned (exit " + std::to_string(tar_status) +
                 "): a path longer than the sandbox's PATH_MAX or a file it could not read");
  }
}

void require_runtime(engine::Engine& engine, const std::string& runtime) {
  if (runtime.empty()) return;
  auto runtimes = engine.info().runtimes;
  if (std::find(runtimes.begin(), runtimes.end(), runtime) != runtimes.end()) return;
  std::string have;
  for (const auto& rt : runtimes) have += (have.empty() ? "" : ", ") + rt;
  throw Error(ErrorKind::BadInput, "runtime '" + runtime + "' is not available on this engine (it has: " + have +
                                       "); install gVisor ('apt-get install runsc') and register it in /etc/docker/daemon.json as 'runsc'");
}

Started start_sandbox(engine::Engine& engine, const engine::SandboxSpec& spec) {
  retry_pending_removals(engine);
  Started st;
  try {
    st.id = engine.create(spec);
  } catch (const Error& e) {
    if (e.reason() == Reason::UnknownRuntime) require_runtime(engine, spec.runtime);
    throw;
  }
  st.guard = std::make_unique<ContainerGuard>(engine, st.id);
  st.stream = engine.attach(st.id, true);
  st.waiter = engine.wait_exit(st.id);
  engine.start(st.id);
  return st;
}

engine::SandboxSpec oneshot_spec(const RunPlan& plan, size_t input_size, const std::string& marker) {
  engine::SandboxSpec spec = plan.spec;
  if (plan.image_command) {
    spec.argv = plan.command;  // empty: the image's own
    return spec;
  }
  std::vector<std::string> program;
  if (!plan.command.empty()) {
    program = plan.command;
  } else {
    for (const auto& a : plan.lang->run) program.push_back(a == "{file}" ? plan.lang->file : a);
    program.insert(program.end(), plan.args.begin(), plan.args.end());
  }
  spec.argv = boot_command(input_size, program, marker, plan.collect(), plan.readonly_workspace, plan.out_cap);
  return spec;
}

std::string out_marker(const RunPlan& plan) { return plan.collect().empty() ? "" : "\x1eORCH-OUT-" + random_hex(32) + "\x1e"; }

namespace {

// Unpacks the input files as root (without capabilities) into the root-owned workspace the
// program can read but not write; the program waits for one byte on stdin until then.
void unpack_as_root(engine::Engine& engine, const std::string& id, const std::string& tar) {
  engine::ExecSpec x;
  x.argv = {"tar", "-x", "-o", "-m", "-C", "/workspace", "-f", "-"};
  x.user = "0:0";
  auto res = session::exec_capture(engine, id, x, tar, 4096, std::chrono::seconds(60));
  if (res.exit_code != 0)
    throw Error(ErrorKind::Infrastructure, "could not unpack the input files into the read-only workspace: " + res.err);
}

}  // namespace

RunResult run_oneshot(engine::Engine& engine, const RunPlan& plan, Observer& observer) {
  std::string input = plan.image_command ? "" : build_input_tar(plan.files);
  std::string marker = plan.image_command ? "" : out_marker(plan);
  // The boot shell waits for its input (a read-only workspace: for one byte, once the files are
  // unpacked as root) before anything of the program's runs: the guard goes first either way.
  Started st = start_sandbox(engine, oneshot_spec(plan, plan.readonly_workspace ? 0 : input.size(), marker));
  if (plan.guard) engine.guard_network(st.id, *plan.guard);
  if (!plan.readonly_workspace) return drive(engine, st, input + plan.stdin_data, plan, marker, observer);
  unpack_as_root(engine, st.id, input);
  return drive(engine, st, "\n" + plan.stdin_data, plan, marker, observer);
}

namespace {
constexpr std::pair<RunStatus, const char*> kStatusNames[] = {
    {RunStatus::Ok, "ok"}, {RunStatus::Error, "error"}, {RunStatus::Timeout, "timeout"}, {RunStatus::Oom, "oom"}, {RunStatus::Cancelled, "killed"}};
}  // namespace

const char* status_name(RunStatus s) {
  for (const auto& [status, name] : kStatusNames)
    if (status == s) return name;
  return "error";
}

std::optional<RunStatus> parse_status(const std::string& word) {
  for (const auto& [status, name] : kStatusNames)
    if (word == name) return status;
  return std::nullopt;
}

int exit_code_for(const RunResult& r) {
  switch (r.status) {
    case RunStatus::Timeout: return 124;
    case RunStatus::Oom: return 137;
    case RunStatus::Cancelled: return 130;
    case RunStatus::Ok:
    case RunStatus::Error: break;
  }
  return r.exit_code < 0 ? 125 : r.exit_code;
}

bool valid_utf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (size_t k = 1; k < n; ++k)
      if ((static_cast<unsigned char>(s[i + k]) >> 6) != 2) return false;
    i += n;
  }
  return true;
}

}  // namespace orch::sandbox
