#include "core/engine/docker_changes.hpp"

#include <chrono>

namespace orch::engine {

using nlohmann::json;

namespace {

// Only what changes a listing: execs, attaches and health checks are container events too.
const json kFilters = {
    {"type", {"container", "volume"}},
    {"event", {"create", "start", "restart", "die", "stop", "kill", "pause", "unpause", "rename", "update", "destroy"}},
};

}  // namespace

ChangeFeed::ChangeFeed(docker::Client& client, std::function<void(const EngineChange&)> on_change, std::function<void()> reset)
    : client_(client), on_change_(std::move(on_change)), reset_(std::move(reset)), thread_([this] { loop(); }) {}

ChangeFeed::~ChangeFeed() {
  stop_ = true;
  thread_.join();
}

void ChangeFeed::loop() {
  while (!stop_) {
    try {
      follow_once();
    } catch (const std::exception&) {  // the engine is away or restarting: listings go to it meanwhile
    }
    live_ = false;
    reset_();
    for (int i = 0; i < 10 && !stop_; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

void ChangeFeed::follow_once() {
  docker::ResponseHead head;
  auto conn = client_.events(kFilters, head);
  if (head.status != 200) return;
  reset_();  // whatever happened while no stream was open
  live_ = true;
  bool chunked = head.header("Transfer-Encoding").find("chunked") != std::string::npos;
  docker::ChunkedDecoder decoder;
  std::string pending;
  auto take = [&](std::string_view data) {
    pending.append(data);
    for (size_t nl; (nl = pending.find('\n')) != std::string::npos; pending.erase(0, nl + 1)) line(std::string_view(pending).substr(0, nl));
    return pending.size() < (1 << 20);
  };
  char buf[8192];
  while (!stop_) {
    long got = conn->read_some(buf, sizeof buf, docker::Clock::now() + std::chrono::milliseconds(200));
    if (got == 0) return;  // the engine closed the stream
    if (got < 0) continue;
    std::string_view data(buf, static_cast<size_t>(got));
    bool ok = chunked ? decoder.feed(data, take) : take(data);
    if (!ok || decoder.done() || decoder.stopped()) return;
  }
}

void ChangeFeed::line(std::string_view json_line) {
  json e = json::parse(json_line, nullptr, false);
  if (!e.is_object()) return;
  EngineChange c;
  c.volume = e.value("Type", "") == "volume";
  const json actor = e.value("Actor", json::object());
  c.id = actor.value("ID", "");
  const json attributes = actor.value("Attributes", json::object());
  for (const auto& [k, v] : attributes.items())
    if (v.is_string()) c.attributes[k] = v.get<std::string>();
  on_change_(c);
}

}  // namespace orch::engine
