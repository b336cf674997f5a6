#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <set>

#include "core/docker/mux.hpp"
#include "core/error.hpp"
#include "core/sandbox/capture.hpp"
#include "core/sandbox/run.hpp"
#include "core/util/base64.hpp"
#include "core/util/host_dir.hpp"
#include "core/util/random.hpp"
#include "core/util/tar.hpp"
#include "core/util/url.hpp"

namespace orch::sandbox {

namespace {

using Clock = std::chrono::steady_clock;
using docker::StreamId;

int64_t ms_since(Clock::time_point t0) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count();
}

// Feeds the container's stdin without ever blocking the output side: the input tar and given stdin
// first, then the caller's stdin fd until EOF, then a half-close.
class StdinPump {
 public:
  StdinPump(int sock, std::string pending, int src_fd) : sock_(sock), pending_(std::move(pending)), src_(src_fd) {}
  bool wants_write() const { return !closed_ && off_ < pending_.size(); }
  bool wants_source() const { return !closed_ && off_ >= pending_.size() && src_ >= 0; }
  int source() const { return src_; }
  void on_writable() {
    while (off_ < pending_.size()) {
      ssize_t n = ::send(sock_, pending_.data() + off_, pending_.size() - off_, MSG_DONTWAIT | MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EAGAIN || errno == EINTR) return;
        close();  // the container stopped reading stdin; that's its business
        return;
      }
      off_ += static_cast<size_t>(n);
    }
    pending_.clear();
    off_ = 0;
    if (src_ < 0) close();
  }
  void on_source_readable() {
    char buf[65536];
    ssize_t n = ::read(src_, buf, sizeof buf);
    if (n > 0) {
      pending_.assign(buf, static_cast<size_t>(n));
      on_writable();
    } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
      src_ = -1;
      if (off_ >= pending_.size()) close();
    }
  }
  void close() {
    if (!closed_) ::shutdown(sock_, SHUT_WR);
    closed_ = true;
  }

 private:
  int sock_;
  std::string pending_;
  size_t off_ = 0;
  int src_;
  bool closed_ = false;
};

}  // namespace

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

// True when the engine ended the container with a signal (a restart stops every container; so does
// `docker stop`), not the program: signals sent inside a sandbox leave no engine event. An engine
// that cannot answer right after the run ended is going away, which counts too.
bool stopped_by_engine(docker::Client& client, const std::string& id, int64_t since) {
  try {
    auto now = std::chrono::system_clock::now().time_since_epoch();
    auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(now).count();
    std::string until = std::to_string(ns / 1000000000) + "." + std::to_string(1000000000 + ns % 1000000000).substr(1);
    nlohmann::json filters = {{"container", {id}}, {"event", {"kill", "stop"}}};
    auto r = client.call("GET", "/events?since=" + std::to_string(since) + "&until=" + until + "&filters=" + percent_encode(filters.dump()),
                         "", "application/json", std::chrono::seconds(5));
    return r.status != 200 || r.body.find("\"Action\"") != std::string::npos;
  } catch (const std::exception&) {
    return true;
  }
}

// Reads the archive of /workspace/out into `res`: regular files become artifacts, and every entry
// that is not saved (a link, a device, an unsafe or clashing name, past the size cap) is reported.
void read_artifacts(const std::string& tar_bytes, bool cut_at_cap, size_t cap, RunResult& res) {
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
  }
}
}  // namespace

void require_runtime(docker::Client& client, const std::string& runtime) {
  if (runtime.empty()) return;
  nlohmann::json runtimes = client.info().value("Runtimes", nlohmann::json::object());
  if (runtimes.contains(runtime)) return;
  std::string have;
  for (const auto& [rt, _] : runtimes.items()) have += (have.empty() ? "" : ", ") + rt;
  throw Error(ErrorKind::BadInput, "runtime '" + runtime + "' is not available on this engine (it has: " + have +
                                       "); install gVisor ('apt-get install runsc') and register it in /etc/docker/daemon.json as 'runsc'");
}

Started start_container(docker::Client& client, const Spec& spec, const std::string& name) {
  retry_pending_removals(client);
  std::string id;
  try {
    id = client.create_container(create_body(spec), name);
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::BadInput || std::string(e.what()).find("nknown runtime") == std::string::npos) throw;
    require_runtime(client, spec.runtime);
    throw;
  }
  Started st{id, std::make_unique<ContainerGuard>(client, id), {}, nullptr};
  st.stream = client.attach(id, true);
  st.waiter = std::make_unique<docker::PendingWait>(client.wait_next_exit(id));
  client.start(id);
  return st;
}

RunResult run_oneshot(docker::Client& client, const RunPlan& plan, Observer& observer) {
  std::string input = build_input_tar(plan.files);
  std::string marker = plan.collect_out ? "\x1eORCH-OUT-" + random_hex(32) + "\x1e" : "";
  std::vector<std::string> program;
  if (!plan.command.empty()) {
    program = plan.command;
  } else {
    for (const auto& a : plan.lang->run) program.push_back(a == "{file}" ? plan.lang->file : a);
    program.insert(program.end(), plan.args.begin(), plan.args.end());
  }
  Spec spec = plan.spec;
  spec.cmd = boot_command(input.size(), program, marker);
  Started st = start_container(client, spec, "orch-" + plan.run_id);
  return drive(client, st, input + plan.stdin_data, plan, marker, observer);
}

RunResult drive(docker::Client& client, Started& st, std::string input, const RunPlan& plan, const std::string& marker,
                Observer& observer, const std::string& end_token) {
  RunResult res;
  res.run_id = plan.run_id;
  const std::string& id = st.id;
  auto started = Clock::now();
  int64_t started_unix = unix_now() - 1;
  auto deadline = started + std::chrono::milliseconds(static_cast<int64_t>(plan.timeout_s * 1000));

  CappedBuffer out(plan.output_cap), err(plan.output_cap);
  auto emit_stdout = [&](std::string_view d) {
    auto kept = out.append(d);
    if (!kept.empty()) observer.on_output(false, kept);
  };
  auto emit_stderr = [&](std::string_view d) {
    auto kept = err.append(d);
    if (!kept.empty()) observer.on_output(true, kept);
  };
  MarkerSplitter splitter(marker, plan.out_cap, emit_stdout);
  bool split = !marker.empty();
  std::string end_marker = "\x1eORCH-END-" + end_token + " ";
  MarkerSplitter end_out(end_marker, 16, emit_stdout), end_err(end_marker, 16, emit_stderr);
  bool ends = !end_token.empty();
  auto ended = [](const MarkerSplitter& m) { return m.found() && !m.trailer().empty() && m.trailer().back() == '\x1e'; };
  auto on_stdout = [&](std::string_view d) {
    if (split) splitter.feed(d);
    else if (ends) end_out.feed(d);
    else emit_stdout(d);
  };
  auto on_stderr = [&](std::string_view d) {
    if (ends) end_err.feed(d);
    else emit_stderr(d);
  };
  docker::Demuxer demux([&](StreamId s, std::string_view d) {
    if (s == StreamId::Stderr) on_stderr(d);
    else if (s == StreamId::Stdout) on_stdout(d);
  });
  // Streams read until their end: the attach stream, and a warm runner's direct output if it has one.
  struct Source {
    docker::Conn* conn;
    int kind;  // 0 attach (multiplexed), 1 stdout, 2 stderr
  };
  std::vector<Source> sources = {{st.stream.conn.get(), 0}};
  if (st.out && st.err) sources.insert(sources.end(), {{st.out.get(), 1}, {st.err.get(), 2}});

  int sock = st.stream.conn->fd();
  StdinPump pump(sock, std::move(input), plan.stdin_fd);
  pump.on_writable();
  bool timed_out = false, cancelled = false;
  Clock::time_point drain_deadline = Clock::time_point::max();
  char buf[65536];
  while (!sources.empty()) {
    auto now = Clock::now();
    if (!timed_out && !cancelled) {
      if (now >= deadline) timed_out = true;
      else if (observer.cancelled()) cancelled = true;
      if (timed_out || cancelled) {
        client.kill(id, "KILL");
        pump.close();
        drain_deadline = now + std::chrono::seconds(5);
      }
    }
    if (now >= drain_deadline) break;
    pollfd fds[4];
    nfds_t n = 0;
    for (const auto& src : sources)
      fds[n++] = {src.conn->fd(), static_cast<short>(POLLIN | (src.kind == 0 && pump.wants_write() ? POLLOUT : 0)), 0};
    nfds_t pump_at = n;
    if (pump.wants_source()) fds[n++] = {pump.source(), POLLIN, 0};
    auto until = std::min(timed_out || cancelled ? drain_deadline : deadline, now + std::chrono::milliseconds(100));
    int wait_ms = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(until - now).count());
    int r = ::poll(fds, n, std::max(wait_ms, 0));
    if (r < 0 && errno != EINTR) throw Error(ErrorKind::Infrastructure, "poll failed while running");
    if (r <= 0) continue;
    if (n > pump_at && (fds[pump_at].revents & (POLLIN | POLLHUP | POLLERR))) pump.on_source_readable();
    for (nfds_t i = pump_at; i-- > 0;) {
      if ((fds[i].revents & POLLOUT) && sources[i].kind == 0) pump.on_writable();
      if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      long got = sources[i].conn->read_some(buf, sizeof buf, Clock::now());
      std::string_view data(buf, got > 0 ? static_cast<size_t>(got) : 0);
      if (got == 0) {
        // The container stopped: its direct output ends with it, so it gets a little while to drain.
        if (sources[i].kind == 0 && sources.size() > 1) drain_deadline = std::min(drain_deadline, Clock::now() + std::chrono::seconds(2));
        sources.erase(sources.begin() + static_cast<long>(i));
      } else if (sources[i].kind == 1) {
        on_stdout(data);
      } else if (sources[i].kind == 2) {
        on_stderr(data);
      } else if (got > 0 && !demux.feed(data)) {
        throw Error(ErrorKind::Infrastructure, "the engine sent a malformed output stream");
      }
    }
    if (ends && !timed_out && !cancelled && ended(end_out) && ended(end_err)) break;
  }
  if (split) splitter.finish();
  bool reported = ends && ended(end_out) && ended(end_err);
  if (ends && !reported) {
    end_out.finish();
    end_err.finish();
  }

  int64_t code = -1;
  if (reported) {
    code = std::strtol(end_out.trailer().c_str(), nullptr, 10);
  } else {
    try {
      code = st.waiter->result(std::chrono::seconds(timed_out || cancelled ? 10 : 30));
    } catch (const Error&) {
      if (!timed_out && !cancelled) throw;
    }
  }
  res.duration_ms = ms_since(started);
  res.exit_code = static_cast<int>(code);
  res.stdout_data = std::move(out.data);
  res.stderr_data = std::move(err.data);
  res.stdout_truncated = out.truncated;
  res.stderr_truncated = err.truncated;
  if (timed_out) {
    res.status = "timeout";
  } else if (cancelled) {
    res.status = "killed";
  } else if (code == 137 && client.inspect(id)["State"].value("OOMKilled", false)) {
    res.status = "oom";
  } else if (code > 128 && code < 160 && stopped_by_engine(client, id, started_unix)) {
    throw Error(ErrorKind::Infrastructure, "the Docker engine stopped the sandbox (signal " + std::to_string(code - 128) +
                                               ") before the program ended: was it restarted?");
  } else {
    res.status = code == 0 ? "ok" : "error";
  }
  if (split && splitter.found()) read_artifacts(splitter.trailer(), splitter.trailer_truncated(), plan.out_cap, res);
  return res;
}

int exit_code_for(const RunResult& r) {
  if (r.status == "timeout") return 124;
  if (r.status == "oom") return 137;
  if (r.status == "killed") return 130;
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

nlohmann::json to_json(const RunResult& r, bool include_artifact_data) {
  nlohmann::json arts = nlohmann::json::array();
  for (const auto& a : r.artifacts) {
    nlohmann::json j = {{"path", a.path}, {"size", a.data.size()}};
    if (include_artifact_data) j["content_base64"] = base64_encode(a.data);
    arts.push_back(j);
  }
  nlohmann::json skipped = nlohmann::json::array();
  for (const auto& a : r.artifacts_skipped) skipped.push_back({{"path", a.path}, {"reason", a.reason}});
  nlohmann::json j = {{"run_id", r.run_id},
          {"status", r.status},
          {"exit_code", exit_code_for(r)},
          {"stdout", r.stdout_data},
          {"stderr", r.stderr_data},
          {"stdout_truncated", r.stdout_truncated},
          {"stderr_truncated", r.stderr_truncated},
          {"duration_ms", r.duration_ms},
          {"artifacts", arts},
          {"artifacts_skipped", skipped},
          {"artifacts_truncated", r.artifacts_truncated}};
  add_exact_output(j, r.stdout_data, r.stderr_data);
  return j;
}

void add_exact_output(nlohmann::json& j, const std::string& stdout_data, const std::string& stderr_data) {
  for (auto [name, data] : {std::pair{"stdout", &stdout_data}, std::pair{"stderr", &stderr_data}}) {
    bool binary = !valid_utf8(*data);
    j[std::string(name) + "_binary"] = binary;
    if (binary) j[std::string(name) + "_base64"] = base64_encode(*data);
  }
}

}  // namespace orch::sandbox
