#pragma once
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/pricing/offer.hpp"

namespace orch::pricing {

// Everything one source produced at one time: a provider's live refresh or one imported catalog.
struct Snapshot {
  std::string kind;    // "live" or "import"
  std::string origin;  // the provider name (live) or the file path or URL (import), so it can be re-read
  std::string format;  // import format ("skypilot", "orch-csv", "orch-json"); empty for live
  std::string provider_hint;  // --provider given at import time, reused when re-importing
  int64_t fetched_at = 0;
  std::vector<Offer> offers;
  size_t unpriced_rows = 0;  // rows of an imported table with no price at all, left out (not saved)

  std::string id() const;  // stable file name for this source
};

// One (provider, GPU) point of price history, appended whenever a snapshot is saved.
struct HistoryPoint {
  int64_t at = 0;
  std::string provider;
  std::string gpu_model;
  std::string currency;
  std::optional<double> min_per_gpu;       // cheapest on-demand price of one GPU
  std::optional<double> min_spot_per_gpu;  // cheapest spot price of one GPU
  size_t offers = 0;
};

// The local price cache: one JSON file per source under $XDG_CACHE_HOME/orch/pricing (or ~/.cache/...),
// a history log, and the state `watch` keeps between runs.
class Store {
 public:
  explicit Store(std::filesystem::path dir) : dir_(std::move(dir)) {}
  static Store open_default();  // throws orch::Error(Infrastructure) when no cache directory can be found

  const std::filesystem::path& dir() const { return dir_; }
  std::vector<Snapshot> load_all(std::vector<std::string>* warnings = nullptr) const;
  // Replaces the source's previous snapshot and appends its GPU prices to the history.
  void save(const Snapshot& s);
  std::vector<HistoryPoint> history() const;

  nlohmann::json read_state(const std::string& name) const;  // {} when absent
  void write_state(const std::string& name, const nlohmann::json& j);

 private:
  void write_atomic(const std::filesystem::path& path, const std::string& data);
  std::filesystem::path dir_;
};

std::vector<HistoryPoint> history_points(const Snapshot& s);

}  // namespace orch::pricing
