#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/pricing/store.hpp"

namespace orch::pricing {

enum class SortKey { Price, PricePerGpu };

// What `orch pricing ls`, `cheapest`, `watch` and GET /v1/pricing select. Every field is optional.
struct Filter {
  std::string gpu;                      // model as users write it: "H100", "a100-80gb"
  double min_gpus = 0;                  // at least this many GPUs
  double gpus = 0;                      // exactly this many GPUs (0 = any)
  double min_vcpus = 0;
  double min_memory_gib = 0;
  std::vector<std::string> providers;   // any of these
  std::vector<std::string> regions;     // any of these; '*' matches any run of characters
  bool spot = false;                    // price by the spot price (offers without one drop out)
  std::optional<double> max_price;      // hourly, in `currency`
  SortKey sort = SortKey::Price;
  size_t limit = 0;                     // 0 = all
  std::string currency = "USD";         // "any" keeps every currency
};

// Builds a Filter from string pairs (query parameters, or the CLI's flags). Keys: gpu, min_gpus, gpus, vcpus,
// memory, provider, region, spot, max_price, sort (price|price-per-gpu), limit, currency. Lists are
// comma-separated and keys may repeat. Throws orch::Error(BadInput) naming the key for anything unknown or invalid.
Filter parse_filter(const std::vector<std::pair<std::string, std::string>>& params);

struct Match {
  Offer offer;
  double price = 0;                     // the price the filter ranks by (on-demand or spot)
  std::optional<double> price_per_gpu;  // when the offer has GPUs
  int64_t age_s = 0;                    // how old the price is
};

struct SourceAge {
  std::string id, kind, origin;
  int64_t fetched_at = 0;
  int64_t age_s = 0;
  bool stale = false;
  size_t offers = 0;
};

struct QueryResult {
  std::vector<Match> matches;
  std::vector<SourceAge> sources;      // every cached source, with its age
  std::vector<std::string> warnings;   // stale data, damaged cache files, nothing cached yet, undecided filters
  size_t total = 0;                    // matches before `limit`
  size_t spot_only_left_out = 0;       // would match but have only a spot price (the query ranks on-demand)
  size_t attachments_left_out = 0;     // would match but are only part of a machine (a GPU without its host)
  size_t undecided = 0;                // kept although a filter could not be checked (memory or vCPUs unknown)
};

// Why an offer that passes every other filter is still left out, or kept without being checked.
enum class Verdict { Match, NoMatch, SpotOnly, Attachment };

// Age beyond which cached prices are called stale: ORCH_PRICING_MAX_AGE ("24h" by default).
int64_t max_age_s();

QueryResult query(const std::vector<Snapshot>& snapshots, const Filter& f, int64_t now);
// The same over the cache; the server's GET /v1/pricing calls this.
QueryResult query(const Store& store, const Filter& f, int64_t now);
// `undecided` (when given) is set when a --memory or --vcpus filter was passed because the offer does not say.
Verdict judge(const Offer& o, const Filter& f, bool* undecided = nullptr);

nlohmann::json to_json(const Match& m);
nlohmann::json to_json(const QueryResult& r);

}  // namespace orch::pricing
