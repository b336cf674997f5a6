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
  nlohmann::json to_json() const;   // what is watched, kept in the state for `orch pricing top`
};

// Offers that are below the threshold now and were not at the last check. Updates `state`
// ({"below": [offer keys]}) to what is below now, so an offer that rises and falls again fires again.
std::vector<Match> detect_crossings(const std::vector<Match>& current, double below, nlohmann::json& state);

// Labels the state with the watch and when it was checked, and appends the crossings (newest last, the
// last 50 kept), so views of the store can show thresholds and recent crossings.
void record_check(nlohmann::json& state, const WatchSpec& spec, const std::vector<Match>& crossed, int64_t now);

// Every watch's state in the store that record_check labelled, in file-name order.
std::vector<nlohmann::json> watch_states(const Store& store);

// Runs `/bin/sh -c command` with the offer in ORCH_PRICE_* variables and as JSON on stdin; returns its exit
// status (or 128 + signal).
int run_hook(const std::string& command, const Match& m, double threshold, bool spot);

}  // namespace orch::pricing
