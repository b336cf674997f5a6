#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/pricing/store.hpp"

namespace orch::pricing {

struct SourceResult {
  std::string source;  // provider name, or the imported file or URL
  enum class Status { Ok, Failed, Skipped } status = Status::Ok;
  size_t offers = 0;
  std::string message;  // why it failed or was skipped
  std::optional<ErrorKind> kind;
  double seconds = 0;
};

struct RefreshOptions {
  std::vector<std::string> providers;  // empty: every provider with a usable source and, if needed, a token
  std::vector<std::string> regions;    // limits per-region sources
  double timeout_s = 30;
  std::function<void(const std::string& source, const std::string& line)> progress;
};

// Fetches each provider in turn and saves what it got. One provider failing (unreachable, garbage, timeout)
// never stops the others: its error is in its result, and its previous snapshot stays in the cache.
// Named providers that cannot be fetched (no source, no token) fail; unnamed ones are skipped.
std::vector<SourceResult> refresh(Store& store, const RefreshOptions& opt, int64_t now);

// Re-reads every imported catalog from where it came from (watch does this on each interval).
std::vector<SourceResult> reimport(Store& store, const RefreshOptions& opt, int64_t now);

nlohmann::json to_json(const SourceResult& r);
const char* status_name(SourceResult::Status s);

}  // namespace orch::pricing
