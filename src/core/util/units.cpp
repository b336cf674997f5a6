#include "core/util/units.hpp"

#include <cctype>
#include <cmath>
#include <cstdlib>

#include "core/error.hpp"

namespace orch {

namespace {
[[noreturn]] void bad(std::string_view text, std::string_view what, std::string_view example) {
  throw Error(ErrorKind::BadInput, std::string(what) + ": '" + std::string(text) + "' is not valid (example: " +
                                       std::string(example) + ")");
}
}  // namespace

int64_t parse_bytes(std::string_view text, std::string_view what) {
  std::string s(text);
  if (s.empty()) bad(text, what, "256m");
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  if (end == s.c_str() || v < 0 || !std::isfinite(v)) bad(text, what, "256m");
  std::string unit(end);
  for (auto& c : unit) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (!unit.empty() && unit.back() == 'b') unit.pop_back();
  if (unit.size() == 2 && unit[1] == 'i') unit.pop_back();
  double mult = 1;
  if (unit.empty()) mult = 1;
  else if (unit == "k") mult = 1024.0;
  else if (unit == "m") mult = 1024.0 * 1024;
  else if (unit == "g") mult = 1024.0 * 1024 * 1024;
  else if (unit == "t") mult = 1024.0 * 1024 * 1024 * 1024;
  else bad(text, what, "256m");
  double bytes = v * mult;
  if (bytes > 9.0e18) bad(text, what, "256m");
  return static_cast<int64_t>(bytes);
}

double parse_seconds(std::string_view text, std::string_view what) {
  std::string s(text);
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  if (s.empty() || end == s.c_str() || v < 0 || !std::isfinite(v)) bad(text, what, "30 or 5m");
  std::string unit(end);
  if (unit.empty() || unit == "s") return v;
  if (unit == "ms") return v / 1000;
  if (unit == "m") return v * 60;
  if (unit == "h") return v * 3600;
  if (unit == "d") return v * 86400;
  bad(text, what, "30 or 5m");
}

std::string format_bytes(int64_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes);
  int i = 0;
  while (v >= 1024 && i < 4) {
    v /= 1024;
    ++i;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, i == 0 ? "%.0f %s" : "%.1f %s", v, units[i]);
  return buf;
}

}  // namespace orch
