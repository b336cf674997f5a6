#include <doctest/doctest.h>

#include "core/util/time.hpp"

TEST_CASE("time: ISO 8601 both ways, with the engine's nanoseconds and a bare date") {
  CHECK(orch::format_iso_time(0) == "1970-01-01T00:00:00Z");
  CHECK(orch::parse_iso_time("2026-12-01T17:47:01.123456789Z") == int64_t{1796147221});
  CHECK(orch::format_iso_time(1796147221) == "2026-12-01T17:47:01Z");
  CHECK(orch::parse_iso_time("2026-12-01") == int64_t{1796083200});
  CHECK_FALSE(orch::parse_iso_time("").has_value());
  CHECK_FALSE(orch::parse_iso_time("yesterday").has_value());
}
