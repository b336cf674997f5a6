#pragma once
#include <string>
#include <vector>

#include "core/pricing/query.hpp"

namespace orch::pricing {

// A watch is a filter and a threshold; its state (which offers were already below) lives in the store,
// so crossings are detected across separate `--once` runs as well as within one long run.
struct WatchSpec {
  Filter filter;
  double below = 0;
  std::string state_name() const;  // the same for the same filter and threshold
};

// Offers that are below the threshold now and were not at the last check. Updates `state`
// ({"below": [offer keys]}) to what is below now, so an offer that rises and falls again fires again.
std::vector<Match> detect_crossings(const std::vector<Match>& current, double below, nlohmann::json& state);

// Runs `/bin/sh -c command` with the offer in ORCH_PRICE_* variables and as JSON on stdin; returns its exit
// status (or 128 + signal).
int run_hook(const std::string& command, const Match& m, double threshold, bool spot);

}  // namespace orch::pricing
