// Oracle Cloud's public price list (the Cost Estimator's API): it prices parts, not shapes. A GPU part is a price
// per GPU-hour that Oracle's price list says includes the shape's OCPUs and memory, so a shape costs its GPU count
// times that price. A flexible CPU shape is billed per OCPU-hour plus per GB-hour, so a few standard sizes are
// composed from its two parts. Prices are the same in every region, so every offer is in region "global".
#include <cctype>
#include <map>

#include "core/error.hpp"
#include "core/pricing/gpu_names.hpp"
#include "core/pricing/providers.hpp"
#include "core/util/url.hpp"

namespace orch::pricing {

namespace {

// Price-list part (display name) -> a shape it prices; the shape's GPUs, vCPUs and memory are in machines.cpp.
const std::pair<const char*, const char*> kGpuParts[] = {
    {"Compute - GPU Standard - A100", "BM.GPU4.8"},
    {"Compute - GPU Standard - A100 - v2", "BM.GPU.A100-v2.8"},
    {"Compute - GPU Standard - H100", "BM.GPU.H100.8"},
    {"Compute - GPU Standard - A10", "VM.GPU.A10.1"},
    {"Compute - GPU Standard - A10", "VM.GPU.A10.2"},
    {"Compute - GPU Standard - A10", "BM.GPU.A10.4"},
    {"Compute - GPU Standard - V100", "VM.GPU3.1"},
    {"Compute - GPU Standard - V100", "BM.GPU3.8"},
};

struct FlexFamily {
  const char* shape;
  const char* ocpu_part;
  const char* memory_part;
  double vcpus_per_ocpu;  // an x86 OCPU is one core with two threads; an Ampere OCPU is one single-threaded core
};

const FlexFamily kFlexFamilies[] = {
    {"VM.Standard.E4.Flex", "Compute - Standard - E4 - OCPU", "Compute - Standard - E4 - Memory", 2},
    {"VM.Standard.E5.Flex", "Compute - Standard - E5 - OCPU", "Compute - Standard - E5 - Memory", 2},
    {"VM.Standard3.Flex", "Compute - Standard - X9 - OCPU", "Compute - Standard - X9 - Memory", 2},
    {"VM.Standard.A1.Flex", "Compute - Ampere A1 - OCPU", "Compute - Ampere A1 - Memory", 1},
};

// The sizes listed for each flexible shape: 16 GB per OCPU, the ratio of Oracle's fixed Standard shapes.
const double kFlexOcpus[] = {1, 2, 4, 8};
constexpr double kFlexGbPerOcpu = 16;

struct Part {
  std::string number;
  std::string metric;  // lower case: "gpu per hour", "ocpu per hour", "gigabyte per hour"
  double price = 0;
};

// Lower case, runs of spaces folded, en and em dashes as '-': display names are matched, not part numbers.
std::string fold(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == 0xE2 && i + 2 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0x80 &&
        (static_cast<unsigned char>(s[i + 2]) == 0x93 || static_cast<unsigned char>(s[i + 2]) == 0x94)) {
      out += '-';
      i += 2;
    } else if (std::isspace(c)) {
      if (!out.empty() && out.back() != ' ') out += ' ';
    } else {
      out += static_cast<char>(std::tolower(c));
    }
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

bool has(const std::string& text, const char* word) { return text.find(word) != std::string::npos; }

// The pay-as-you-go rate in `currency`. Parts with a free allowance list tiers; the one with the highest rangeMin
// is what each further unit costs. Zero (a free-tier-only part) or no rate at all gives nullopt.
std::optional<double> payg_price(const nlohmann::json& item, const std::string& currency) {
  auto locs = item.value("currencyCodeLocalizations", nlohmann::json::array());
  if (!locs.is_array()) return std::nullopt;
  for (const auto& loc : locs) {
    if (!loc.is_object() || loc.value("currencyCode", "") != currency) continue;
    auto prices = loc.value("prices", nlohmann::json::array());
    if (!prices.is_array()) return std::nullopt;
    std::optional<double> best, best_from;
    for (const auto& p : prices) {
      if (!p.is_object() || p.value("model", "") != "PAY_AS_YOU_GO") continue;
      auto value = json_num(p, "value");
      double from = json_num(p, "rangeMin").value_or(0);
      if (value && (!best_from || from > *best_from)) {
        best = value;
        best_from = from;
      }
    }
    if (best && *best > 0) return best;
    return std::nullopt;
  }
  return std::nullopt;
}

// The next page: the "next" link when the answer has one, else offset + count while hasMore is true.
std::string next_page(const std::string& first_url, const std::string& url, const nlohmann::json& j, size_t items) {
  if (j.contains("links") && j["links"].is_array())
    for (const auto& l : j["links"])
      if (l.is_object() && l.value("rel", "") == "next" && l.contains("href") && l["href"].is_string())
        return resolve_url(url, l["href"].get<std::string>());
  if (!j.contains("hasMore") || j["hasMore"] != true || items == 0) return "";
  long long offset = static_cast<long long>(json_num(j, "offset").value_or(0)) + static_cast<long long>(items);
  return first_url + "&offset=" + std::to_string(offset) + "&limit=" + std::to_string(items);
}

Offer base_offer(const FetchContext& ctx, const std::string& currency) {
  Offer o;
  o.provider = ctx.provider;
  o.region = "global";
  o.currency = currency;
  o.fetched_at = ctx.now;
  return o;
}

// 8 -> "8", 0.5 -> "0.5": for shape names and sources.
std::string trim_number(double v) {
  std::string s = std::to_string(v);
  s.erase(s.find_last_not_of('0') + 1);
  if (s.back() == '.') s.pop_back();
  return s;
}

}  // namespace

std::vector<Offer> fetch_oracle(const FetchContext& ctx) {
  std::string currency = ctx.setting("CURRENCY", "USD");
  const std::string first_url = ctx.base_url + "/products/?currencyCode=" + percent_encode(currency);
  const std::string source = redact_url(first_url);
  std::map<std::string, Part> parts;  // folded display name -> part
  std::string url = first_url;
  int page = 0;
  for (; page < kMaxPages && !url.empty(); ++page) {
    auto j = parse_json_body(ctx.provider, url, ctx.http->get(url));
    const auto& items = json_list(ctx.provider, j, "items");
    for (const auto& it : items) {
      if (!it.is_object()) continue;
      auto price = payg_price(it, currency);
      if (!price) continue;
      parts[fold(it.value("displayName", ""))] = {it.value("partNumber", ""), fold(it.value("metricName", "")), *price};
    }
    url = next_page(first_url, url, j, items.size());
    ctx.report("page " + std::to_string(page + 1) + ", " + std::to_string(parts.size()) + " priced parts");
  }
  if (!url.empty())
    throw Error(ErrorKind::Unavailable, "oracle: paging did not end after " + std::to_string(page) + " pages");

  std::vector<Offer> out;
  for (const auto& [display, shape] : kGpuParts) {
    auto it = parts.find(fold(display));
    const auto* m = known_machine("oracle", shape);
    if (it == parts.end() || !m || !has(it->second.metric, "gpu") || !has(it->second.metric, "hour")) continue;
    Offer o = base_offer(ctx, currency);
    o.instance_type = shape;
    o.gpu_model = m->gpu_model;
    o.gpu_count = m->gpu_count;
    o.vcpus = m->vcpus;
    o.memory_gib = m->memory_gib;
    o.on_demand = it->second.price * m->gpu_count;
    o.source = source + " (part " + it->second.number + ": " + trim_number(m->gpu_count) +
               " GPUs x the per-GPU-hour price, CPUs and memory included)";
    out.push_back(o);
  }
  for (const auto& f : kFlexFamilies) {
    auto cpu = parts.find(fold(f.ocpu_part));
    auto mem = parts.find(fold(f.memory_part));
    if (cpu == parts.end() || mem == parts.end()) continue;
    if (!has(cpu->second.metric, "ocpu") || !has(cpu->second.metric, "hour")) continue;
    if (!has(mem->second.metric, "gigabyte") || !has(mem->second.metric, "hour")) continue;
    for (double ocpus : kFlexOcpus) {
      double gb = ocpus * kFlexGbPerOcpu;
      Offer o = base_offer(ctx, currency);
      o.instance_type = std::string(f.shape) + "-" + trim_number(ocpus) + "ocpu-" + trim_number(gb) + "gb";
      o.vcpus = ocpus * f.vcpus_per_ocpu;
      o.memory_gib = gb;
      o.on_demand = ocpus * cpu->second.price + gb * mem->second.price;
      o.source = source + " (composed: " + trim_number(ocpus) + " OCPU x part " + cpu->second.number + " + " +
                 trim_number(gb) + " GB x part " + mem->second.number + ")";
      out.push_back(o);
    }
  }
  return out;
}

}  // namespace orch::pricing
