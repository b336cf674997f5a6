#include "core/pricing/watch.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <set>

#include "core/error.hpp"
#include "core/util/hash.hpp"

namespace orch::pricing {

namespace {

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += s + ",";
  return out;
}

std::string fmt(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.10g", v);
  return buf;
}

}  // namespace

std::string WatchSpec::state_name() const {
  const auto& f = filter;
  std::string sig = f.gpu + "|" + fmt(f.min_gpus) + "|" + fmt(f.gpus) + "|" + fmt(f.min_vcpus) + "|" +
                    fmt(f.min_memory_gib) + "|" + join(f.providers) + "|" + join(f.regions) + "|" +
                    (f.spot ? "spot" : "od") + "|" + f.currency + "|" + fmt(below);
  return "watch-" + stable_hash_hex(sig);
}

nlohmann::json WatchSpec::to_json() const {
  return {{"gpu", filter.gpu},         {"below", below},           {"spot", filter.spot},
          {"providers", filter.providers}, {"regions", filter.regions}, {"currency", filter.currency},
          {"gpus", filter.gpus},       {"min_gpus", filter.min_gpus}};
}

void record_check(nlohmann::json& state, const WatchSpec& spec, const std::vector<Match>& crossed, int64_t now) {
  state["watch"] = spec.to_json();
  state["checked_at"] = now;
  nlohmann::json recent = state.contains("recent") && state["recent"].is_array() ? state["recent"] : nlohmann::json::array();
  for (const auto& m : crossed)
    recent.push_back({{"at", now}, {"provider", m.offer.provider}, {"instance_type", m.offer.instance_type},
                      {"region", m.offer.region}, {"gpu", m.offer.gpu_model}, {"price", m.price},
                      {"currency", m.offer.currency}});
  constexpr size_t kKeep = 50;
  if (recent.size() > kKeep) recent.erase(recent.begin(), recent.begin() + static_cast<long>(recent.size() - kKeep));
  state["recent"] = recent;
}

std::vector<nlohmann::json> watch_states(const Store& store) {
  std::vector<std::filesystem::path> files;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(store.dir() / "state", ec))
    if (e.path().filename().string().rfind("watch-", 0) == 0 && e.path().extension() == ".json") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  std::vector<nlohmann::json> out;
  for (const auto& f : files) {
    auto j = store.read_state(f.stem().string());
    if (j.is_object() && j.contains("watch") && j["watch"].is_object()) out.push_back(std::move(j));
  }
  return out;
}

std::vector<Match> detect_crossings(const std::vector<Match>& current, double below, nlohmann::json& state) {
  std::set<std::string> before;
  if (state.is_object() && state.contains("below") && state["below"].is_array())
    for (const auto& k : state["below"])
      if (k.is_string()) before.insert(k.get<std::string>());
  std::vector<Match> crossed;
  nlohmann::json now_below = nlohmann::json::array();
  std::set<std::string> seen;
  for (const auto& m : current) {
    if (m.price >= below) continue;
    auto key = m.offer.key();
    if (!seen.insert(key).second) continue;  // the same offer from two sources fires once
    now_below.push_back(key);
    if (!before.count(key)) crossed.push_back(m);
  }
  if (!state.is_object()) state = nlohmann::json::object();
  state["below"] = now_below;
  return crossed;
}

int run_hook(const std::string& command, const Match& m, double threshold, bool spot) {
  int fds[2];
  if (::pipe(fds) != 0) throw Error(ErrorKind::Infrastructure, "cannot create a pipe for the --exec command");
  std::string input = to_json(m).dump() + "\n";
  std::vector<std::pair<std::string, std::string>> env = {
      {"ORCH_PRICE_PROVIDER", m.offer.provider},     {"ORCH_PRICE_INSTANCE", m.offer.instance_type},
      {"ORCH_PRICE_REGION", m.offer.region},         {"ORCH_PRICE_PRICE", fmt(m.price)},
      {"ORCH_PRICE_CURRENCY", m.offer.currency},     {"ORCH_PRICE_GPU", m.offer.gpu_model},
      {"ORCH_PRICE_GPU_COUNT", fmt(m.offer.gpu_count)}, {"ORCH_PRICE_SPOT", spot ? "1" : "0"},
      {"ORCH_PRICE_THRESHOLD", fmt(threshold)},
  };
  std::fflush(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) throw Error(ErrorKind::Infrastructure, "cannot start the --exec command (fork failed)");
  if (pid == 0) {
    ::dup2(fds[0], 0);
    ::close(fds[0]);
    ::close(fds[1]);
    for (const auto& [k, v] : env) ::setenv(k.c_str(), v.c_str(), 1);
    std::signal(SIGPIPE, SIG_DFL);
    ::execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(fds[0]);
  // A command that never reads stdin must not kill orch with SIGPIPE.
  auto old = std::signal(SIGPIPE, SIG_IGN);
  const char* p = input.data();
  size_t left = input.size();
  while (left > 0) {
    ssize_t n = ::write(fds[1], p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    p += n;
    left -= static_cast<size_t>(n);
  }
  ::close(fds[1]);
  std::signal(SIGPIPE, old);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 125;
}

}  // namespace orch::pricing
