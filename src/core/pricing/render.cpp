#include "core/pricing/render.hpp"

#include <algorithm>
#include <cstdio>

namespace orch::pricing {

namespace {

// Display width: count UTF-8 code points, not bytes, so charts and names line up.
size_t width(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

std::string cell_num(double v, const char* fmt = "%g") {
  char buf[64];
  std::snprintf(buf, sizeof buf, fmt, v);
  return buf;
}

std::string money(const std::optional<double>& v, const std::string& currency) {
  if (!v) return "-";
  return format_price(*v) + (currency == "USD" ? "" : " " + currency);
}

std::string gpus(const Offer& o) {
  if (o.gpu_model.empty() || o.gpu_count <= 0) return "-";
  return cell_num(o.gpu_count) + "x " + o.gpu_model;
}

}  // namespace

std::string format_table(const std::vector<std::vector<std::string>>& rows, const std::vector<size_t>& right) {
  std::vector<size_t> widths;
  for (const auto& r : rows)
    for (size_t i = 0; i < r.size(); ++i) {
      if (widths.size() <= i) widths.push_back(0);
      widths[i] = std::max(widths[i], width(r[i]));
    }
  std::string out;
  for (const auto& r : rows) {
    std::string line;
    for (size_t i = 0; i < r.size(); ++i) {
      std::string pad(widths[i] - width(r[i]), ' ');
      bool is_right = std::find(right.begin(), right.end(), i) != right.end();
      line += is_right ? pad + r[i] : r[i] + (i + 1 < r.size() ? pad : "");
      if (i + 1 < r.size()) line += "  ";
    }
    out += line + "\n";
  }
  return out;
}

std::string offers_table(const QueryResult& r, bool spot) {
  std::vector<std::vector<std::string>> rows = {
      {"PROVIDER", "INSTANCE", "GPUS", "VCPUS", "MEM_GIB", "REGION", "ON_DEMAND/H", "SPOT/H",
       spot ? "SPOT/GPU/H" : "PER_GPU/H", "AGE"}};
  for (const auto& m : r.matches) {
    const auto& o = m.offer;
    rows.push_back({o.provider, o.instance_type, gpus(o), o.vcpus > 0 ? cell_num(o.vcpus) : "?",
                    o.memory_gib ? cell_num(*o.memory_gib, "%.1f") : "?", o.region, money(o.on_demand, o.currency),
                    money(o.spot, o.currency), money(m.price_per_gpu, o.currency), format_age(m.age_s)});
  }
  return format_table(rows, {3, 4, 6, 7, 8, 9});
}

std::string describe_offer(const Match& m, bool spot) {
  const auto& o = m.offer;
  std::string line = o.provider + " " + o.instance_type + " in " + o.region + ": ";
  if (o.gpu_count > 0) line += gpus(o) + ", ";
  if (o.vcpus > 0) line += cell_num(o.vcpus) + " vCPUs, ";
  if (o.memory_gib) line += cell_num(*o.memory_gib, "%.1f") + " GiB, ";
  line += format_price(m.price) + " " + o.currency + "/h " + (spot ? "spot" : "on-demand");
  if (m.price_per_gpu) line += " (" + format_price(*m.price_per_gpu) + " per GPU)";
  line += ", price " + format_age(m.age_s) + " old";
  return line;
}

std::string sources_summary(const QueryResult& r) {
  std::string out;
  for (const auto& s : r.sources) {
    std::string name = s.kind == "live" ? s.origin : s.origin.substr(s.origin.find_last_of('/') + 1);
    out += (out.empty() ? "" : ", ") + name + " " + format_age(s.age_s) + (s.stale ? " (stale)" : "");
  }
  return out.empty() ? "none" : out;
}

}  // namespace orch::pricing
