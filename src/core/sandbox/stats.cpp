#include "core/sandbox/stats.hpp"

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <optional>
#include <thread>

#include "core/error.hpp"
#include "core/sandbox/spec.hpp"

namespace orch::sandbox {

using nlohmann::json;

namespace {
constexpr size_t kParallel = 8;

std::string label(const engine::Labels& l, const char* key) {
  auto it = l.find(key);
  return it == l.end() ? "" : it->second;
}
}  // namespace

// A sandbox gone or stopped since the listing is left out, and so is one the engine cannot sample
// (such as gVisor's on cgroup v1) unless no sample succeeded: then the engine itself is failing
// and its first error is thrown.
std::vector<Usage> read_usage(engine::Engine& engine, const std::vector<engine::SandboxInfo>& sandboxes) {
  std::vector<std::optional<Usage>> out(sandboxes.size());
  std::atomic<size_t> next{0};
  std::atomic<size_t> sampled{0};
  std::mutex failed_mu;
  std::exception_ptr failed;  // the first failure
  bool fatal = false;         // a failure that is not the engine's answer about one sandbox
  auto note_failure = [&](std::exception_ptr e, bool not_about_one) {
    std::lock_guard<std::mutex> lock(failed_mu);
    if (!failed || (not_about_one && !fatal)) failed = std::move(e);
    fatal = fatal || not_about_one;
  };
  auto worker = [&] {
    for (size_t i; (i = next++) < sandboxes.size();) {
      const auto& s = sandboxes[i];
      if (s.state != engine::State::Running) continue;
      try {
        out[i] = Usage{s.id.substr(0, 12),
                       s.name,
                       label(s.labels, kLabelKind),
                       label(s.labels, kLabelId),
                       label(s.labels, kLabelOwner),
                       engine::state_name(s.state),
                       engine.usage(s.id)};
        ++sampled;
      } catch (const Error& e) {
        if (e.kind() == ErrorKind::NotFound || e.kind() == ErrorKind::Conflict) continue;  // gone or stopped
        note_failure(std::current_exception(), false);
      } catch (...) {
        note_failure(std::current_exception(), true);
      }
    }
  };
  {
    std::vector<std::jthread> threads;  // joined on every way out, a failed thread start too
    for (size_t t = 0; t < std::min(kParallel, sandboxes.size()); ++t) threads.emplace_back(worker);
  }
  if (failed && (fatal || sampled == 0)) std::rethrow_exception(failed);
  std::vector<Usage> result;
  for (auto& u : out)
    if (u) result.push_back(std::move(*u));
  return result;
}

json to_json(const Usage& u) {
  const auto& r = u.use;
  return {{"container_id", u.container_id},
          {"name", u.name},
          {"kind", u.kind},
          {"id", u.id},
          {"owner", u.owner},
          {"state", u.state},
          {"cpu", {{"percent", r.cpu_percent}, {"total_ns", r.cpu_total_ns}}},
          {"memory", {{"bytes", r.memory_bytes}, {"limit_bytes", r.memory_limit_bytes}}},
          {"pids", {{"current", r.pids}, {"limit", r.pids_limit}}},
          {"network", {{"rx_bytes", r.net_rx_bytes}, {"tx_bytes", r.net_tx_bytes}}},
          {"disk", {{"read_bytes", r.disk_read_bytes}, {"write_bytes", r.disk_write_bytes}}}};
}

Usage usage_from_json(const json& j) {
  auto part = [&](const char* k) { return j.value(k, json::object()); };
  Usage u{j.value("container_id", ""),
          j.value("name", ""),
          j.value("kind", ""),
          j.value("id", ""),
          j.value("owner", ""),
          j.value("state", ""),
          {}};
  u.use.cpu_percent = part("cpu").value("percent", 0.0);
  u.use.cpu_total_ns = part("cpu").value("total_ns", uint64_t{0});
  u.use.memory_bytes = part("memory").value("bytes", int64_t{0});
  u.use.memory_limit_bytes = part("memory").value("limit_bytes", int64_t{0});
  u.use.pids = part("pids").value("current", int64_t{0});
  u.use.pids_limit = part("pids").value("limit", int64_t{0});
  u.use.net_rx_bytes = part("network").value("rx_bytes", int64_t{0});
  u.use.net_tx_bytes = part("network").value("tx_bytes", int64_t{0});
  u.use.disk_read_bytes = part("disk").value("read_bytes", int64_t{0});
  u.use.disk_write_bytes = part("disk").value("write_bytes", int64_t{0});
  return u;
}

}  // namespace orch::sandbox
