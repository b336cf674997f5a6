#include "core/pricing/store.hpp"

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>

#include "core/error.hpp"
#include "core/util/hash.hpp"

namespace orch::pricing {

namespace fs = std::filesystem;

namespace {

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

nlohmann::json snapshot_json(const Snapshot& s) {
  nlohmann::json offers = nlohmann::json::array();
  for (const auto& o : s.offers) offers.push_back(to_json(o));
  return {{"version", 1},        {"kind", s.kind},           {"origin", s.origin},  {"format", s.format},
          {"provider_hint", s.provider_hint}, {"fetched_at", s.fetched_at}, {"offers", offers}};
}

nlohmann::json point_json(const HistoryPoint& p) {
  auto opt = [](const std::optional<double>& v) { return v ? nlohmann::json(*v) : nlohmann::json(nullptr); };
  return {{"at", p.at}, {"provider", p.provider}, {"gpu", p.gpu_model}, {"currency", p.currency},
          {"min_per_gpu", opt(p.min_per_gpu)}, {"min_spot_per_gpu", opt(p.min_spot_per_gpu)}, {"offers", p.offers}};
}

}  // namespace

std::string Snapshot::id() const {
  if (kind == "live") return "live-" + origin;
  return "import-" + stable_hash_hex(origin + "|" + provider_hint);
}

Store Store::open_default() {
  const char* xdg = std::getenv("XDG_CACHE_HOME");
  const char* home = std::getenv("HOME");
  fs::path base;
  if (xdg && *xdg == '/') base = xdg;
  else if (home && *home) base = fs::path(home) / ".cache";
  else throw Error(ErrorKind::Infrastructure, "cannot find a cache directory: set XDG_CACHE_HOME or HOME");
  return Store(base / "orch" / "pricing");
}

std::vector<Snapshot> Store::load_all(std::vector<std::string>* warnings) const {
  std::vector<Snapshot> out;
  std::error_code ec;
  fs::path dir = dir_ / "snapshots";
  if (!fs::is_directory(dir, ec)) return out;
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.path().extension() == ".json") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    auto j = nlohmann::json::parse(slurp(f), nullptr, false);
    try {
      if (j.is_discarded() || !j.is_object()) throw Error(ErrorKind::Infrastructure, "not JSON");
      Snapshot s;
      s.kind = j.value("kind", "");
      s.origin = j.value("origin", "");
      s.format = j.value("format", "");
      s.provider_hint = j.value("provider_hint", "");
      s.fetched_at = j.value("fetched_at", int64_t{0});
      for (const auto& o : j.value("offers", nlohmann::json::array())) s.offers.push_back(offer_from_json(o));
      out.push_back(std::move(s));
    } catch (const std::exception& e) {
      if (warnings) warnings->push_back("ignoring damaged cache file " + f.string() + " (" + e.what() + "); refresh to rewrite it");
    }
  }
  return out;
}

void Store::write_atomic(const fs::path& path, const std::string& data) {
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  if (ec) throw Error(ErrorKind::Infrastructure, "cannot create " + path.parent_path().string() + ": " + ec.message());
  fs::path tmp = path;
  tmp += ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << data;
    if (!out) throw Error(ErrorKind::Infrastructure, "cannot write " + tmp.string() + " (disk full or read-only?)");
  }
  fs::rename(tmp, path, ec);
  if (ec) throw Error(ErrorKind::Infrastructure, "cannot replace " + path.string() + ": " + ec.message());
}

void Store::save(const Snapshot& s) {
  write_atomic(dir_ / "snapshots" / (s.id() + ".json"), snapshot_json(s).dump());
  std::ofstream log(dir_ / "history.jsonl", std::ios::app);
  for (const auto& p : history_points(s)) log << point_json(p).dump() << "\n";
}

std::vector<HistoryPoint> Store::history() const {
  std::vector<HistoryPoint> out;
  std::ifstream in(dir_ / "history.jsonl");
  std::string line;
  while (std::getline(in, line)) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object()) continue;  // a torn last line from an interrupted write
    HistoryPoint p;
    p.at = j.value("at", int64_t{0});
    p.provider = j.value("provider", "");
    p.gpu_model = j.value("gpu", "");
    p.currency = j.value("currency", "USD");
    if (j.contains("min_per_gpu") && j["min_per_gpu"].is_number()) p.min_per_gpu = j["min_per_gpu"].get<double>();
    if (j.contains("min_spot_per_gpu") && j["min_spot_per_gpu"].is_number())
      p.min_spot_per_gpu = j["min_spot_per_gpu"].get<double>();
    p.offers = j.value("offers", size_t{0});
    out.push_back(p);
  }
  return out;
}

nlohmann::json Store::read_state(const std::string& name) const {
  auto j = nlohmann::json::parse(slurp(dir_ / "state" / (name + ".json")), nullptr, false);
  return j.is_discarded() ? nlohmann::json::object() : j;
}

void Store::write_state(const std::string& name, const nlohmann::json& j) {
  write_atomic(dir_ / "state" / (name + ".json"), j.dump());
}

std::vector<HistoryPoint> history_points(const Snapshot& s) {
  std::map<std::tuple<std::string, std::string, std::string>, HistoryPoint> by;
  for (const auto& o : s.offers) {
    if (o.gpu_model.empty() || o.gpu_count <= 0) continue;
    auto& p = by[{o.provider, o.gpu_model, o.currency}];
    p.at = s.fetched_at;
    p.provider = o.provider;
    p.gpu_model = o.gpu_model;
    p.currency = o.currency;
    ++p.offers;
    if (o.on_demand) {
      double v = *o.on_demand / o.gpu_count;
      if (!p.min_per_gpu || v < *p.min_per_gpu) p.min_per_gpu = v;
    }
    if (o.spot) {
      double v = *o.spot / o.gpu_count;
      if (!p.min_spot_per_gpu || v < *p.min_spot_per_gpu) p.min_spot_per_gpu = v;
    }
  }
  std::vector<HistoryPoint> out;
  for (auto& [k, p] : by) out.push_back(p);
  return out;
}

}  // namespace orch::pricing
