#include "core/pricing/history.hpp"

#include <algorithm>

#include "core/pricing/gpu_names.hpp"

namespace orch::pricing {

std::vector<Series> price_series(const std::vector<HistoryPoint>& points, const std::string& gpu,
                                 const std::vector<std::string>& providers, bool spot) {
  std::map<std::pair<std::string, std::string>, std::map<int64_t, double>> by;  // (provider, currency) -> at -> min
  for (const auto& p : points) {
    if (!gpu.empty() && !gpu_matches(p.gpu_model, gpu)) continue;
    if (!providers.empty() && std::find(providers.begin(), providers.end(), p.provider) == providers.end()) continue;
    auto v = spot ? p.min_spot_per_gpu : p.min_per_gpu;
    if (!v) continue;
    auto& slot = by[{p.provider, p.currency}];
    auto it = slot.find(p.at);
    if (it == slot.end() || *v < it->second) slot[p.at] = *v;
  }
  std::vector<Series> out;
  for (auto& [k, pts] : by) {
    Series s{k.first, k.second, {}};
    for (auto& [at, v] : pts) s.points.push_back({at, v});
    out.push_back(std::move(s));
  }
  return out;
}

std::string sparkline(const std::vector<double>& values) {
  static const char* kBlocks[] = {"▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};
  if (values.empty()) return "";
  auto [lo, hi] = std::minmax_element(values.begin(), values.end());
  std::string out;
  for (double v : values) {
    int i = *hi > *lo ? static_cast<int>((v - *lo) / (*hi - *lo) * 7 + 0.5) : 3;
    out += kBlocks[std::clamp(i, 0, 7)];
  }
  return out;
}

nlohmann::json to_json(const Series& s) {
  nlohmann::json pts = nlohmann::json::array();
  for (const auto& [at, v] : s.points) pts.push_back({{"at", format_iso_time(at)}, {"price_per_gpu", v}});
  return {{"provider", s.provider}, {"currency", s.currency}, {"points", pts}};
}

}  // namespace orch::pricing
