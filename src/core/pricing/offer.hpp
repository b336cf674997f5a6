#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/util/time.hpp"

namespace orch::pricing {

// One priced machine in one region, normalised across every provider and catalog format.
struct Offer {
  std::string provider;       // "aws", "azure", ...
  std::string instance_type;  // the provider's own name for the machine
  std::string gpu_model;      // canonical GPU name ("H100", "A100-80GB"); empty for CPU-only machines
  double gpu_count = 0;       // may be fractional (shared GPUs)
  double vcpus = 0;           // 0 when the source does not say
  std::optional<double> memory_gib;  // unset when the source does not say (never 0)
  std::string region;
  std::optional<double> on_demand;  // hourly, in `currency`
  std::optional<double> spot;       // hourly, in `currency`
  std::string currency = "USD";
  std::string source;        // URL or file the price came from
  int64_t fetched_at = 0;    // unix seconds
  // Priced alone and only usable attached to a machine priced elsewhere (a GCP GPU without its host VM):
  // never ranked against whole machines.
  bool attachment = false;

  // Identity across refreshes: the same machine in the same region.
  std::string key() const { return provider + "|" + instance_type + "|" + region; }
  std::optional<double> price(bool spot_price) const { return spot_price ? spot : on_demand; }
};

nlohmann::json to_json(const Offer& o);
Offer offer_from_json(const nlohmann::json& j);  // throws orch::Error(BadInput) on a malformed record

// orch's own CSV export: a header line then one line per offer.
extern const char* const kCsvHeader;
std::string to_csv_row(const Offer& o);
std::string to_csv(const std::vector<Offer>& offers);

// Parses numbers the way price sources write them ("1.25", " 3 ", "1,152 GiB" -> 1152).
std::optional<double> parse_number(std::string_view text);
// A size the source states, scaled (MiB -> GiB): unset when absent, zero or negative.
std::optional<double> known_size(std::optional<double> v, double scale = 1);

std::string format_price(double value);        // "2.4500", trailing precision kept for cheap CPUs
using orch::format_iso_time;
using orch::parse_iso_time;
std::string format_age(int64_t seconds);        // "5m", "3h", "2d"

}  // namespace orch::pricing
