// DockerEngine's extras: resource use from the stats API, and images by label, with their ports.
#include <algorithm>
#include <cctype>

#include "core/engine/docker_engine.hpp"
#include "core/error.hpp"
#include "core/util/url.hpp"

namespace orch::engine {

using nlohmann::json;

namespace {

int64_t num(const json& j, std::initializer_list<const char*> path) {
  const json* at = &j;
  for (const char* k : path) {
    if (!at->is_object() || !at->contains(k)) return 0;
    at = &(*at)[k];
  }
  return at->is_number() ? at->get<int64_t>() : 0;
}

ImageInfo image_info(const json& j) {
  ImageInfo i;
  i.id = j.value("Id", "");
  for (const auto& t : j.value("RepoTags", json::array()))
    if (t.is_string()) i.tags.push_back(t.get<std::string>());
  json labels = j.contains("Config") ? j["Config"].value("Labels", json()) : j.value("Labels", json());
  if (labels.is_object())
    for (const auto& [k, v] : labels.items())
      if (v.is_string()) i.labels[k] = v.get<std::string>();
  json ports = j.contains("Config") ? j["Config"].value("ExposedPorts", json()) : json();
  if (ports.is_object())
    for (const auto& [spec, _] : ports.items())
      if (int p = std::atoi(spec.c_str()); p > 0) i.ports.push_back(p);
  std::sort(i.ports.begin(), i.ports.end());
  return i;
}

}  // namespace

ResourceUse usage_from_docker_stats(const json& s) {
  ResourceUse u;
  u.cpu_total_ns = static_cast<uint64_t>(num(s, {"cpu_stats", "cpu_usage", "total_usage"}));
  int64_t before = num(s, {"precpu_stats", "cpu_usage", "total_usage"});
  int64_t cpu_delta = num(s, {"cpu_stats", "cpu_usage", "total_usage"}) - before;
  int64_t sys_delta = num(s, {"cpu_stats", "system_cpu_usage"}) - num(s, {"precpu_stats", "system_cpu_usage"});
  int64_t cpus = num(s, {"cpu_stats", "online_cpus"});
  if (cpu_delta > 0 && sys_delta > 0 && before > 0)
    u.cpu_percent =
        static_cast<double>(cpu_delta) / static_cast<double>(sys_delta) * static_cast<double>(std::max<int64_t>(cpus, 1)) * 100.0;
  // The page cache is reclaimable: cgroup v1 reports it as total_inactive_file, v2 as inactive_file.
  int64_t cache = num(s, {"memory_stats", "stats", "total_inactive_file"});
  if (cache == 0) cache = num(s, {"memory_stats", "stats", "inactive_file"});
  u.memory_bytes = std::max<int64_t>(0, num(s, {"memory_stats", "usage"}) - cache);
  u.memory_limit_bytes = num(s, {"memory_stats", "limit"});
  u.pids = num(s, {"pids_stats", "current"});
  u.pids_limit = num(s, {"pids_stats", "limit"});
  if (s.contains("networks") && s["networks"].is_object())
    for (const auto& [_, n] : s["networks"].items()) {
      u.net_rx_bytes += num(n, {"rx_bytes"});
      u.net_tx_bytes += num(n, {"tx_bytes"});
    }
  const json io = s.value("blkio_stats", json::object()).value("io_service_bytes_recursive", json());
  if (io.is_array())
    for (const auto& e : io) {
      std::string op = e.value("op", "");
      std::transform(op.begin(), op.end(), op.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      if (op == "read") u.disk_read_bytes += num(e, {"value"});
      if (op == "write") u.disk_write_bytes += num(e, {"value"});
    }
  return u;
}

ResourceUse DockerEngine::usage(const std::string& id) { return usage_from_docker_stats(client_.stats(id)); }

std::optional<ImageInfo> DockerEngine::image(const std::string& ref) {
  auto j = client_.inspect_image(ref);
  if (!j) return std::nullopt;
  return image_info(*j);
}

std::vector<ImageInfo> DockerEngine::images(const Labels& match) {
  json filters = {{"label", json::array()}};
  for (const auto& [k, v] : match) filters["label"].push_back(k + "=" + v);
  auto r = client_.call("GET", "/images/json?filters=" + percent_encode(filters.dump()));
  if (r.status != 200) throw Error(ErrorKind::Infrastructure, "list images: HTTP " + std::to_string(r.status));
  std::vector<ImageInfo> out;
  json arr = json::parse(r.body, nullptr, false);
  if (arr.is_array())
    for (const auto& j : arr) out.push_back(image_info(j));
  return out;
}

bool DockerEngine::remove_image(const std::string& ref) {
  // Without force: an image a container still uses stays (409).
  auto r = client_.call("DELETE", "/images/" + percent_encode(ref));
  if (r.status == 200 || r.status == 404) return true;
  if (r.status == 409) return false;
  throw Error(ErrorKind::Infrastructure, "remove image " + ref + ": HTTP " + std::to_string(r.status));
}

}  // namespace orch::engine
