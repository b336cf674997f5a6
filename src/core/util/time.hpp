#pragma once
#include <cstdint>
#include <optional>
#include <string>

namespace orch {

// "2026-12-01T17:47:01Z" for a unix time (UTC).
std::string format_iso_time(int64_t unix_seconds);
// The unix time of an ISO 8601 / RFC 3339 UTC time ("2026-12-01T17:47:01.123456789Z"; a date alone
// is midnight); fractions are dropped. nullopt when the text is not one.
std::optional<int64_t> parse_iso_time(const std::string& text);

}  // namespace orch
