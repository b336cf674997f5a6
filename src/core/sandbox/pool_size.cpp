#include "core/sandbox/pool_size.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>

#include "core/error.hpp"

namespace orch::sandbox {

namespace {

bool parse_count(const std::string& s, int& out) {
  if (s.empty() || s.size() > 3 || s.find_first_not_of("0123456789") != std::string::npos) return false;
  out = std::stoi(s);
  return out <= kPoolCeiling;
}

PoolSize parse_size(const std::string& item, const std::string& value, const std::string& flag) {
  auto bad = [&] {
    return Error(ErrorKind::BadInput, flag + ": '" + item + "' is not TEMPLATE=N, TEMPLATE=auto or TEMPLATE=MIN-MAX (counts from 0 to " +
                                          std::to_string(kPoolCeiling) + ")");
  };
  if (value == "auto") return {1, kAutoCeiling};
  PoolSize s;
  auto dash = value.find('-');
  if (dash == std::string::npos) {
    if (!parse_count(value, s.floor)) throw bad();
    s.ceiling = s.floor;
    return s;
  }
  if (!parse_count(value.substr(0, dash), s.floor) || !parse_count(value.substr(dash + 1), s.ceiling) || s.ceiling < s.floor) throw bad();
  return s;
}

}  // namespace

std::map<std::string, PoolSize> parse_pool_sizes(const std::vector<std::string>& specs, const std::string& flag) {
  std::map<std::string, PoolSize> out;
  for (const auto& spec : specs) {
    size_t start = 0;
    while (start < spec.size()) {
      size_t comma = spec.find(',', start);
      std::string item = spec.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      auto eq = item.find('=');
      if (eq == std::string::npos || eq == 0) parse_size(item, "", flag);  // throws
      std::string name = item.substr(0, eq);
      if (out.count(name)) throw Error(ErrorKind::BadInput, flag + ": '" + name + "' is given more than once");
      out[name] = parse_size(item, item.substr(eq + 1), flag);
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  }
  return out;
}

double Demand::Ewma::at_time(Clock::time_point now) const {
  if (value == 0) return 0;
  double dt = std::chrono::duration<double>(now - at).count();
  return value * std::exp(-std::max(dt, 0.0) / tau_s);
}

void Demand::Ewma::add(Clock::time_point now) {
  value = at_time(now) + 1.0 / tau_s;
  at = now;
}

void Demand::on_arrival(Clock::time_point now) {
  fast_.add(now);
  slow_.add(now);
}

void Demand::on_prepared(double seconds) {
  prep_s_ = measured_ ? 0.8 * prep_s_ + 0.2 * seconds : seconds;
  measured_ = true;
}

double Demand::rate(Clock::time_point now) const { return std::max(fast_.at_time(now), slow_.at_time(now)); }

int Demand::stock(const PoolSize& size, Clock::time_point now) const {
  if (!size.adaptive()) return size.floor;
  double m = in_pipeline(now);
  int want = m < 0.01 ? 0 : static_cast<int>(std::ceil(m + 3 * std::sqrt(m)));
  return std::clamp(want, size.floor, size.ceiling);
}

int Demand::refill_concurrency(Clock::time_point now) const { return static_cast<int>(std::ceil(in_pipeline(now))) + 1; }

int64_t default_pool_memory() {
  long pages = ::sysconf(_SC_PHYS_PAGES), page = ::sysconf(_SC_PAGE_SIZE);
  if (pages <= 0 || page <= 0) return 4LL << 30;
  return static_cast<int64_t>(pages) * page / 4;
}

}  // namespace orch::sandbox
