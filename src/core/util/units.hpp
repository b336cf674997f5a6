#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace orch {

// "256m", "1g", "512k", "1048576" -> bytes; throws orch::Error(BadInput) naming `what`.
int64_t parse_bytes(std::string_view text, std::string_view what);
// "30", "2.5", "10s", "5m", "1h" -> seconds.
double parse_seconds(std::string_view text, std::string_view what);
std::string format_bytes(int64_t bytes);

}  // namespace orch
