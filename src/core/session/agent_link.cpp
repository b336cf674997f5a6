#include "core/session/agent_link.hpp"

#include "core/error.hpp"
#include "core/session/container_exec.hpp"

namespace orch::session {

using nlohmann::json;

namespace {
constexpr size_t kStreamCap = size_t{8} << 20;  // queued output per reader before the agent's reader waits
}

bool ProcessStream::next(std::vector<ProcessEvent>& out, Clock::time_point until) {
  std::unique_lock<std::mutex> lock(mu_);
  if (taken_end_) return false;
  cv_.wait_until(lock, until, [this] { return !q_.empty(); });
  while (!q_.empty()) {
    bytes_ -= q_.front().data.size();
    if (q_.front().fd == 0) taken_end_ = true;
    out.push_back(std::move(q_.front()));
    q_.pop_front();
  }
  cv_.notify_all();
  return true;
}

void ProcessStream::cancel() {
  cancelled_ = true;
  std::lock_guard<std::mutex> lock(mu_);
  cv_.notify_all();
}

void ProcessStream::push(ProcessEvent&& e, const std::atomic<bool>& closing) {
  std::unique_lock<std::mutex> lock(mu_);
  if (ended_) return;
  while (bytes_ >= kStreamCap && !cancelled_ && !closing) cv_.wait_for(lock, std::chrono::milliseconds(100));
  if (cancelled_ || (closing && bytes_ >= kStreamCap)) return;
  if (e.fd == 0) ended_ = true;
  bytes_ += e.data.size();
  q_.push_back(std::move(e));
  cv_.notify_all();
}

AgentLink::AgentLink(engine::Engine& engine, const std::string& container, const std::vector<std::string>& cmd, const std::string& user,
                     const std::string& workdir, const std::vector<std::string>& env)
    : user_(user) {
  engine::ExecSpec o;
  o.argv = cmd;
  o.user = user;
  o.workdir = workdir;
  o.env = env;
  process_ = start_exec(engine, container, o);
  auto pending = std::make_shared<Pending>();
  pending_[0] = pending;  // the hello event answers id 0
  thread_ = std::thread([this] { reader(); });
  std::unique_lock<std::mutex> lock(mu_);
  // No destructor runs for a constructor that throws: the reader must be stopped here first.
  auto give_up = [&](const std::string& why) {
    if (lock.owns_lock()) lock.unlock();
    closing_ = true;
    thread_.join();
    throw Error(ErrorKind::Infrastructure, why);
  };
  if (!cv_.wait_for(lock, std::chrono::seconds(30), [&] { return pending->done || dead_; }) || !pending->done)
    give_up("the sandbox agent did not start: " + (death_.empty() ? std::string("it did not answer within 30 s") : death_));
  pending_.erase(0);
  if (pending->reply.head.value("version", 0) != agent::kProtocolVersion)
    give_up("the sandbox agent speaks another protocol version (is the orch binary being replaced?)");
}

AgentLink::~AgentLink() {
  closing_ = true;  // the reader looks at it between slices of reading
  if (thread_.joinable()) thread_.join();
}

void AgentLink::reader() {
  std::string err;
  FrameParser parser;
  std::string pending;
  auto sink = [&](engine::StreamKind kind, std::string_view d) {
    if (kind == engine::StreamKind::Stdout) pending.append(d);
    else if (err.size() < 4096) err.append(d.substr(0, 4096 - err.size()));
  };
  try {
    while (!closing_) {
      long n = process_->stream().read(sink, Clock::now() + std::chrono::milliseconds(200));
      if (n < 0) continue;
      if (n == 0) break;
      if (pending.empty()) continue;
      std::string chunk = std::move(pending);
      pending.clear();
      parser.feed(chunk, [this](Frame&& f) { on_message(agent::decode(std::move(f))); });
    }
  } catch (const std::exception& e) {
    err = e.what();
  }
  fail_all(err.empty() ? "the sandbox agent ended (the sandbox stopped or was removed)" : "the sandbox agent ended: " + err);
}

void AgentLink::on_message(agent::Message&& m) {
  if (m.type == "out" || m.type == "exit") {
    int pid = m.head.value("pid", 0);
    std::vector<std::shared_ptr<ProcessStream>> subs;
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = subs_.find(pid);
      if (it != subs_.end()) {
        std::erase_if(it->second, [](const auto& sub) { return sub->cancelled(); });
        subs = it->second;
      }
      if (m.type == "exit") {
        subs_.erase(pid);
        running_.erase(pid);
      }
    }
    ProcessEvent e;
    if (m.type == "out") {
      e.fd = m.head.value("fd", 1);
      e.data = std::move(m.body);
    } else {
      e.exit_code = m.head.value("exit_code", -1);
      e.timed_out = m.head.value("timed_out", false);
      e.status = m.head.value("status", "");
      e.error = m.head.value("error", "");
    }
    for (auto& s : subs) {
      ProcessEvent copy = e;
      s->push(std::move(copy), closing_);
    }
    return;
  }
  int64_t id = m.type == "hello" ? 0 : m.head.value("id", int64_t{-1});
  std::lock_guard<std::mutex> lock(mu_);
  auto it = pending_.find(id);
  if (it == pending_.end()) return;
  auto p = it->second;
  if (p->stream && m.type == "ok") {
    int pid = m.head.value("pid", 0);
    subs_[pid].push_back(p->stream);
    running_[pid] = true;
  }
  p->reply = std::move(m);
  p->done = true;
  cv_.notify_all();
}

void AgentLink::fail_all(const std::string& why) {
  std::map<int, std::vector<std::shared_ptr<ProcessStream>>> subs;
  {
    std::lock_guard<std::mutex> lock(mu_);
    death_ = why;
    dead_ = true;
    subs.swap(subs_);
    running_.clear();
    cv_.notify_all();
  }
  for (auto& [pid, list] : subs) {
    for (auto& s : list) {
      ProcessEvent e;
      e.lost = true;
      e.error = why;
      s->push(std::move(e), closing_);
    }
  }
}

agent::Message AgentLink::roundtrip(const std::string& type, json head, std::string_view body, const std::shared_ptr<Pending>& p,
                                    std::chrono::milliseconds timeout) {
  int64_t id;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (dead_) throw Error(ErrorKind::Unavailable, death_);
    id = next_id_++;
    pending_[id] = p;
  }
  head["id"] = id;
  try {
    std::lock_guard<std::mutex> w(write_mu_);
    process_->stream().write(agent::encode(type, head, body));
  } catch (const Error&) {
    std::lock_guard<std::mutex> lock(mu_);
    pending_.erase(id);
    throw Error(ErrorKind::Unavailable, "the sandbox agent is gone");
  }
  std::unique_lock<std::mutex> lock(mu_);
  bool answered = cv_.wait_for(lock, timeout, [&] { return p->done || dead_; });
  pending_.erase(id);
  if (!p->done) {
    if (!answered) throw Error(ErrorKind::Timeout, "the sandbox agent did not answer '" + type + "' in time");
    throw Error(ErrorKind::Unavailable, death_);
  }
  if (p->reply.type == "fail")
    throw agent::Failure(p->reply.head.value("code", "internal"), p->reply.head.value("message", "the sandbox agent refused"));
  return std::move(p->reply);
}

json AgentLink::call(const std::string& type, json head, std::string_view body, std::string* reply_body,
                     std::chrono::milliseconds timeout) {
  auto m = roundtrip(type, std::move(head), body, std::make_shared<Pending>(), timeout);
  if (reply_body) *reply_body = std::move(m.body);
  return std::move(m.head);
}

std::shared_ptr<ProcessStream> AgentLink::start(const json& request) {
  // The stream rides on the pending call, so the reader subscribes it before it reads the first output.
  auto p = std::make_shared<Pending>();
  p->stream = std::make_shared<ProcessStream>(0);
  auto m = roundtrip("start", request, {}, p, std::chrono::seconds(60));
  p->stream->pid_ = m.head.value("pid", 0);
  return p->stream;
}

std::shared_ptr<ProcessStream> AgentLink::attach(int pid) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!running_.count(pid)) return nullptr;
  auto s = std::make_shared<ProcessStream>(pid);
  subs_[pid].push_back(s);
  return s;
}

bool AgentLink::has(int pid) {
  std::lock_guard<std::mutex> lock(mu_);
  return running_.count(pid) > 0;
}

}  // namespace orch::session
