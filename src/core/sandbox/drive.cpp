// drive(): a started sandbox's life from the first byte of stdin to its result, in four phases:
// route output (caps, observer, markers), pump stdin and read every stream until the end,
// find the exit code, and say how the run ended.
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <thread>

#include "core/error.hpp"
#include "core/sandbox/capture.hpp"
#include "core/sandbox/run.hpp"
#include "core/util/random.hpp"

namespace orch::sandbox {

namespace {

using Clock = std::chrono::steady_clock;
using engine::StreamKind;

// Feeds the sandbox's stdin without ever blocking the output side: the input tar and given stdin
// first, then the caller's stdin fd until EOF, then closes stdin.
class StdinPump {
 public:
  StdinPump(engine::Stream& stream, std::string pending, int src_fd) : stream_(stream), pending_(std::move(pending)), src_(src_fd) {}
  bool wants_write() const { return !closed_ && off_ < pending_.size(); }
  bool wants_source() const { return !closed_ && off_ >= pending_.size() && src_ >= 0; }
  int source() const { return src_; }
  void on_writable() {
    while (off_ < pending_.size()) {
      long n = stream_.write_some(std::string_view(pending_).substr(off_));
      if (n < 0) {
        close();  // the sandbox stopped reading stdin; that's its business
        return;
      }
      if (n == 0) return;
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
    if (!closed_) stream_.close_stdin();
    closed_ = true;
  }

 private:
  engine::Stream& stream_;
  std::string pending_;
  size_t off_ = 0;
  int src_;
  bool closed_ = false;
};

// Where output goes: the per-stream caps and the observer, past the markers that split --out files
// off stdout or end a warm runner's report.
class OutputRouter {
 public:
  OutputRouter(const RunPlan& plan, const std::string& marker, const std::string& end_token, Observer& observer)
      : out_(plan.output_cap),
        err_(plan.output_cap),
        observer_(observer),
        split_(!marker.empty()),
        ends_(!end_token.empty()),
        splitter_(marker, plan.out_cap, [this](std::string_view d) { emit(StreamKind::Stdout, d); }),
        end_out_("\x1eORCH-END-" + end_token + " ", 16, [this](std::string_view d) { emit(StreamKind::Stdout, d); }),
        end_err_("\x1eORCH-END-" + end_token + " ", 16, [this](std::string_view d) { emit(StreamKind::Stderr, d); }) {}

  void feed(StreamKind kind, std::string_view d) {
    if (kind == StreamKind::Stdout) {
      if (split_) splitter_.feed(d);
      else if (ends_) end_out_.feed(d);
      else emit(kind, d);
    } else {
      if (ends_) end_err_.feed(d);
      else emit(kind, d);
    }
  }
  // Both streams carried the runner's end mark with its exit code.
  bool reported() const { return ends_ && ended(end_out_) && ended(end_err_); }
  std::optional<int64_t> reported_code() const {
    if (!reported()) return std::nullopt;
    return std::strtol(end_out_.trailer().c_str(), nullptr, 10);
  }
  void finish() {
    if (split_) splitter_.finish();
    if (ends_ && !reported()) {
      end_out_.finish();
      end_err_.finish();
    }
  }
  void fill(RunResult& r) {
    r.stdout_data = std::move(out_.data);
    r.stderr_data = std::move(err_.data);
    r.stdout_truncated = out_.truncated;
    r.stderr_truncated = err_.truncated;
  }
  // The --out archive behind the marker, when the program got that far.
  const MarkerSplitter* out_files() const { return split_ && splitter_.found() ? &splitter_ : nullptr; }

 private:
  static bool ended(const MarkerSplitter& m) { return m.found() && !m.trailer().empty() && m.trailer().back() == '\x1e'; }
  void emit(StreamKind kind, std::string_view d) {
    auto kept = (kind == StreamKind::Stdout ? out_ : err_).append(d);
    if (!kept.empty()) observer_.on_output(kind == StreamKind::Stderr, kept);
  }

  CappedBuffer out_, err_;
  Observer& observer_;
  bool split_, ends_;
  MarkerSplitter splitter_, end_out_, end_err_;
};

enum class Ending { Finished, TimedOut, Cancelled };

// Writes stdin and reads the attach stream (and a warm runner's direct streams) until they end,
// the runner reports, the deadline passes, or the caller gives up; a sandbox that has to be
// stopped is killed and drained for a few seconds.
Ending pump(engine::Engine& engine, Started& st, StdinPump& stdin_pump, OutputRouter& router, Clock::time_point deadline,
            Observer& observer) {
  struct Source {
    engine::Stream* stream;
    bool carries_stdin;  // the attach stream: it ends when the sandbox stops
  };
  std::vector<Source> sources = {{st.stream.get(), true}};
  if (st.out && st.err) sources.insert(sources.end(), {{st.out.get(), false}, {st.err.get(), false}});
  auto sink = [&router](StreamKind k, std::string_view d) { router.feed(k, d); };
  Ending ending = Ending::Finished;
  Clock::time_point drain_deadline = Clock::time_point::max();
  stdin_pump.on_writable();
  while (!sources.empty()) {
    auto now = Clock::now();
    if (ending == Ending::Finished) {
      if (now >= deadline) ending = Ending::TimedOut;
      else if (observer.cancelled()) ending = Ending::Cancelled;
      if (ending != Ending::Finished) {
        engine.kill(st.id);
        stdin_pump.close();
        drain_deadline = now + std::chrono::seconds(5);
      }
    }
    if (now >= drain_deadline) break;
    pollfd fds[4];
    nfds_t n = 0;
    bool buffered = false;
    for (const auto& src : sources) {
      short events = static_cast<short>(POLLIN | (src.carries_stdin && stdin_pump.wants_write() ? POLLOUT : 0));
      fds[n++] = {src.stream->poll_fd(), events, 0};
      buffered = buffered || src.stream->buffered();
    }
    nfds_t pump_at = n;
    if (stdin_pump.wants_source()) fds[n++] = {stdin_pump.source(), POLLIN, 0};
    auto until = std::min(ending != Ending::Finished ? drain_deadline : deadline, now + std::chrono::milliseconds(100));
    int wait_ms = buffered ? 0 : static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(until - now).count());
    int r = ::poll(fds, n, std::max(wait_ms, 0));
    if (r < 0 && errno != EINTR) throw Error(ErrorKind::Infrastructure, "poll failed while running");
    if (r < 0 || (r == 0 && !buffered)) continue;
    if (n > pump_at && (fds[pump_at].revents & (POLLIN | POLLHUP | POLLERR))) stdin_pump.on_source_readable();
    for (nfds_t i = pump_at; i-- > 0;) {
      if ((fds[i].revents & POLLOUT) && sources[i].carries_stdin) stdin_pump.on_writable();
      if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR)) && !sources[i].stream->buffered()) continue;
      long got = sources[i].stream->read(sink, Clock::now());
      if (got != 0) continue;
      // The sandbox stopped: its direct output ends with it, so it gets a little while to drain.
      if (sources[i].carries_stdin && sources.size() > 1)
        drain_deadline = std::min(drain_deadline, Clock::now() + std::chrono::seconds(2));
      sources.erase(sources.begin() + static_cast<long>(i));
    }
    if (ending == Ending::Finished && router.reported()) break;
  }
  return ending;
}

// How a run ended, from the way the pump stopped and the exit code; throws when the engine, not
// the program, stopped the sandbox.
RunStatus classify(engine::Engine& engine, const std::string& id, Ending ending, int64_t code, int64_t started_unix) {
  if (ending == Ending::TimedOut) return RunStatus::Timeout;
  if (ending == Ending::Cancelled) return RunStatus::Cancelled;
  if (code == 137) {
    // The engine records the OOM kill apart from the exit (and later under load or gVisor), as a
    // flag and as an event; the event stays when the flag comes too late or the sandbox is gone.
    for (int i = 0; i < 6; ++i) {
      auto s = engine.inspect(id);
      if ((s && s->oom_killed) || engine.oom_reported(id, started_unix)) return RunStatus::Oom;
      if (!s || i == 5) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  }
  if (code > 128 && code < 160 && engine.stopped_by_engine(id, started_unix))
    throw Error(ErrorKind::Infrastructure, "the Docker engine stopped the sandbox (signal " + std::to_string(code - 128) +
                                               ") before the program ended: was it restarted?");
  return code == 0 ? RunStatus::Ok : RunStatus::Error;
}

}  // namespace

RunResult drive(engine::Engine& engine, Started& st, std::string input, const RunPlan& plan, const std::string& marker,
                Observer& observer, const std::string& end_token) {
  auto started = Clock::now();
  int64_t started_unix = unix_now() - 1;
  auto deadline = started + std::chrono::milliseconds(static_cast<int64_t>(plan.timeout_s * 1000));
  OutputRouter router(plan, marker, end_token, observer);
  StdinPump stdin_pump(*st.stream, std::move(input), plan.stdin_fd);
  Ending ending = pump(engine, st, stdin_pump, router, deadline, observer);
  router.finish();

  int64_t code = -1;
  if (auto reported = router.reported_code()) {
    code = *reported;
  } else {
    try {
      code = st.waiter->exit_code(std::chrono::seconds(ending != Ending::Finished ? 10 : 30));
    } catch (const Error&) {
      if (ending == Ending::Finished) throw;
    }
  }
  RunResult res;
  res.run_id = plan.run_id;
  res.duration_ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count();
  res.exit_code = static_cast<int>(code);
  router.fill(res);
  res.status = classify(engine, st.id, ending, code, started_unix);
  if (const auto* files = router.out_files()) read_artifacts(files->trailer(), files->trailer_truncated(), plan, res);
  return res;
}

}  // namespace orch::sandbox
