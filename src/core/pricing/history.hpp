#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/pricing/store.hpp"

namespace orch::pricing {

// How the cheapest price of one GPU moved at one provider, one point per refresh.
struct Series {
  std::string provider;
  std::string currency;
  std::vector<std::pair<int64_t, double>> points;  // (time, cheapest price per GPU), oldest first
};

// Groups history points matching `gpu` (same matching as --gpu) by provider; the value at each refresh is
// the lowest per-GPU price among the matching models. Spot prices when `spot`.
std::vector<Series> price_series(const std::vector<HistoryPoint>& points, const std::string& gpu,
                                 const std::vector<std::string>& providers, bool spot);

// "▁▃▅█": one block per value, scaled between the series' own minimum and maximum.
std::string sparkline(const std::vector<double>& values);

nlohmann::json to_json(const Series& s);

}  // namespace orch::pricing
