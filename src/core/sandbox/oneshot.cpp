#include <algorithm>
#include <set>

#include "core/error.hpp"
#include "core/sandbox/run.hpp"
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

}  // namespace

void read_artifacts(std::string_view tar_bytes, bool cut_at_cap, size_t cap, RunResult& res) {
  int tar_status = cut_at_cap ? -1 : take_tar_status(tar_bytes);
  auto clean = [](std::string p) {
    while (p.rfind("./", 0) == 0) p = p.substr(2);
    return p;
  };
  auto skip = [&](const std::string& path, const std::string& why) { res.artifacts_skipped.push_back({path, why}); };
  tar::Prefix archive = tar::read_prefix(tar_bytes);
  std::set<std::string> files, dirs;
  for (const auto& e : archive.entries) {
    std::string path = clean(e.path);
    if (e.type == tar::EntryType::Dir) continue;  // directories are made for the files in them
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
      std::string target = clean(e.link);
      auto it = std::find_if(res.artifacts.begin(), res.artifacts.end(), [&](const Artifact& a) { return a.path == target; });
      if (it == res.artifacts.end()) {
        skip(path, "a hard link to a file outside /workspace/out");
        continue;
      }
      data = it->data;
    }
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
    res.artifacts.push_back(Artifact{path, std::move(data)});
  }
  if (!archive.error.empty() || cut_at_cap) {
    res.artifacts_truncated = true;
    std::string why = cut_at_cap ? "past the " + std::to_string(cap >> 20) + " MiB limit for all files in /workspace/out"
                                 : "the archive of /workspace/out ended early (" + archive.error + ")";
    skip(clean(archive.cut), why + (archive.cut.empty() ? "" : "; files after it were not copied"));
  } else if (tar_status > 0) {
    res.artifacts_truncated = true;
    skip("", "tar in the sandbox could not archive every file in /workspace/out (exit " + std::to_string(tar_status) +
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
  std::vector<std::string> program;
  if (!plan.command.empty()) {
    program = plan.command;
  } else {
    for (const auto& a : plan.lang->run) program.push_back(a == "{file}" ? plan.lang->file : a);
    program.insert(program.end(), plan.args.begin(), plan.args.end());
  }
  engine::SandboxSpec spec = plan.spec;
  spec.argv = boot_command(input_size, program, marker);
  return spec;
}

std::string out_marker(const RunPlan& plan) { return plan.collect_out ? "\x1eORCH-OUT-" + random_hex(32) + "\x1e" : ""; }

RunResult run_oneshot(engine::Engine& engine, const RunPlan& plan, Observer& observer) {
  std::string input = build_input_tar(plan.files);
  std::string marker = out_marker(plan);
  Started st = start_sandbox(engine, oneshot_spec(plan, input.size(), marker));
  // The boot shell waits for its input before anything of the program's runs: the guard goes first.
  if (plan.guard) engine.guard_network(st.id, *plan.guard);
  return drive(engine, st, input + plan.stdin_data, plan, marker, observer);
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
