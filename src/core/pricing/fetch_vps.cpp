// Fetchers for the VPS clouds whose APIs list plans with prices: Linode, Vultr, DigitalOcean, Hetzner.
#include <cmath>
#include <map>

#include "core/error.hpp"
#include "core/pricing/gpu_names.hpp"
#include "core/pricing/providers.hpp"
#include "core/util/url.hpp"

namespace orch::pricing {

namespace {

HttpHeaders bearer(const std::string& token) {
  if (token.empty()) return {};
  return {{"Authorization", "Bearer " + token}};
}

// Linode names GPUs only in the type id and label.
std::string linode_gpu(const std::string& id, const std::string& label) {
  if (id.find("rtx6000") != std::string::npos) return "RTX6000";
  if (id.find("rtx4000") != std::string::npos) return "RTX4000-ADA";
  for (const char* model : {"RTX", "A100", "H100", "L40S", "A40"}) {
    auto at = label.find(model);
    if (at != std::string::npos) return canonical_gpu(label.substr(at, label.find(' ', at) - at));
  }
  return "UNKNOWN";
}

// Full-card memory for Vultr's GPU types, to turn a plan's VRAM share into a GPU count.
double vultr_card_vram(const std::string& model) {
  static const std::pair<const char*, double> kCards[] = {
      {"A100", 80}, {"H100", 80}, {"L40S", 48}, {"A40", 48}, {"A16", 16}, {"GH200", 96}, {"MI300X", 192}, {"L40", 48},
  };
  for (const auto& [m, v] : kCards)
    if (model == m) return v;
  return 0;
}

}  // namespace

std::vector<Offer> fetch_linode(const FetchContext& ctx) {
  std::vector<Offer> out;
  int page = 1, pages = 1;
  do {
    std::string url = ctx.base_url + "/linode/types?page=" + std::to_string(page) + "&page_size=500";
    auto j = parse_json_body(ctx.provider, url, ctx.http->get(url, bearer(ctx.token)));
    for (const auto& t : json_list(ctx.provider, j, "data")) {
      auto hourly = json_num(t.value("price", nlohmann::json::object()), "hourly");
      if (!hourly) continue;
      Offer o = ctx.base_offer(url);
      o.instance_type = t.value("id", "");
      o.vcpus = json_num(t, "vcpus").value_or(0);
      o.memory_gib = known_size(json_num(t, "memory"), 1 / 1024.0);
      o.gpu_count = json_num(t, "gpus").value_or(0);
      if (o.gpu_count > 0) o.gpu_model = linode_gpu(o.instance_type, t.value("label", ""));
      // The base price holds in every region without its own entry in region_prices.
      o.region = "global";
      o.on_demand = *hourly;
      out.push_back(o);
      if (t.contains("region_prices") && t["region_prices"].is_array()) {
        for (const auto& rp : t["region_prices"]) {
          auto rh = json_num(rp, "hourly");
          if (!rh) continue;
          o.region = rp.value("id", "");
          o.on_demand = *rh;
          out.push_back(o);
        }
      }
    }
    pages = static_cast<int>(json_num(j, "pages").value_or(1));
    ctx.report("page " + std::to_string(page) + "/" + std::to_string(pages));
  } while (++page <= pages && page <= kMaxPages);
  return out;
}

std::vector<Offer> fetch_vultr(const FetchContext& ctx) {
  std::vector<Offer> out;
  std::string cursor;
  for (int page = 1; page <= kMaxPages; ++page) {
    std::string url = ctx.base_url + "/plans?type=all&per_page=500";
    if (!cursor.empty()) url += "&cursor=" + percent_encode(cursor);
    auto j = parse_json_body(ctx.provider, url, ctx.http->get(url, bearer(ctx.token)));
    for (const auto& p : json_list(ctx.provider, j, "plans")) {
      Offer o = ctx.base_offer(url);
      o.instance_type = p.value("id", "");
      o.vcpus = json_num(p, "vcpu_count").value_or(0);
      o.memory_gib = known_size(json_num(p, "ram"), 1 / 1024.0);
      // Vultr states a monthly price; newer answers also carry hourly_cost, which wins.
      auto hourly = json_num(p, "hourly_cost");
      auto monthly = json_num(p, "monthly_cost");
      if (!hourly && monthly) hourly = *monthly / 730.0;
      if (!hourly) continue;
      o.on_demand = *hourly;
      if (p.contains("gpu_type") && p["gpu_type"].is_string() && !p["gpu_type"].get<std::string>().empty()) {
        o.gpu_model = canonical_gpu(p["gpu_type"].get<std::string>());
        double card = vultr_card_vram(o.gpu_model);
        double vram = json_num(p, "gpu_vram_gb").value_or(0);
        o.gpu_count = card > 0 && vram > 0 ? std::round(vram / card * 100) / 100 : 1;
      }
      if (!p.contains("locations") || !p["locations"].is_array() || p["locations"].empty()) continue;
      for (const auto& loc : p["locations"]) {
        if (!loc.is_string()) continue;
        o.region = loc.get<std::string>();
        out.push_back(o);
      }
    }
    ctx.report("page " + std::to_string(page));
    cursor.clear();
    if (j.contains("meta") && j["meta"].is_object()) {
      auto links = j["meta"].value("links", nlohmann::json::object());
      if (links.is_object() && links.contains("next") && links["next"].is_string()) cursor = links["next"];
    }
    if (cursor.empty()) break;
  }
  return out;
}

std::vector<Offer> fetch_digitalocean(const FetchContext& ctx) {
  std::vector<Offer> out;
  std::string url = ctx.base_url + "/sizes?per_page=200";
  for (int page = 1; page <= kMaxPages && !url.empty(); ++page) {
    auto j = parse_json_body(ctx.provider, url, ctx.http->get(url, bearer(ctx.token)));
    for (const auto& s : json_list(ctx.provider, j, "sizes")) {
      auto hourly = json_num(s, "price_hourly");
      if (!hourly || (s.contains("available") && s["available"] == false)) continue;
      Offer o = ctx.base_offer(url);
      o.instance_type = s.value("slug", "");
      o.vcpus = json_num(s, "vcpus").value_or(0);
      o.memory_gib = known_size(json_num(s, "memory"), 1 / 1024.0);
      o.on_demand = *hourly;
      if (s.contains("gpu_info") && s["gpu_info"].is_object()) {
        o.gpu_count = json_num(s["gpu_info"], "count").value_or(0);
        o.gpu_model = canonical_gpu(s["gpu_info"].value("model", ""));
      }
      if (!s.contains("regions") || !s["regions"].is_array()) continue;
      for (const auto& r : s["regions"]) {
        if (!r.is_string()) continue;
        o.region = r.get<std::string>();
        out.push_back(o);
      }
    }
    ctx.report("page " + std::to_string(page));
    std::string next;
    if (j.contains("links") && j["links"].is_object()) {
      auto pages = j["links"].value("pages", nlohmann::json::object());
      if (pages.is_object() && pages.contains("next") && pages["next"].is_string()) next = pages["next"];
    }
    url = next.empty() ? "" : resolve_url(url, next);
  }
  return out;
}

std::vector<Offer> fetch_hetzner(const FetchContext& ctx) {
  // /pricing carries the currency and the prices; /server_types the cores and memory.
  std::string purl = ctx.base_url + "/pricing";
  auto pj = parse_json_body(ctx.provider, purl, ctx.http->get(purl, bearer(ctx.token)));
  if (!pj.contains("pricing") || !pj["pricing"].is_object())
    throw Error(ErrorKind::Unavailable, "hetzner: the answer has no 'pricing' object (has the API changed?)");
  const auto& pricing = pj["pricing"];
  std::string currency = pricing.value("currency", "EUR");

  std::map<std::string, std::pair<double, double>> specs;  // name -> cores, memory GB
  for (int page = 1; page <= kMaxPages; ++page) {
    std::string url = ctx.base_url + "/server_types?per_page=50&page=" + std::to_string(page);
    auto j = parse_json_body(ctx.provider, url, ctx.http->get(url, bearer(ctx.token)));
    for (const auto& st : json_list(ctx.provider, j, "server_types"))
      specs[st.value("name", "")] = {json_num(st, "cores").value_or(0), json_num(st, "memory").value_or(0)};
    ctx.report("server types page " + std::to_string(page));
    nlohmann::json next;
    if (j.contains("meta") && j["meta"].is_object() && j["meta"].contains("pagination"))
      next = j["meta"]["pagination"].value("next_page", nlohmann::json());
    if (!next.is_number()) break;
    page = next.get<int>() - 1;
  }

  std::vector<Offer> out;
  for (const auto& st : json_list(ctx.provider, pricing, "server_types")) {
    Offer o = ctx.base_offer(purl);
    o.instance_type = st.value("name", "");
    o.currency = currency;
    if (auto it = specs.find(o.instance_type); it != specs.end()) {
      o.vcpus = it->second.first;
      o.memory_gib = known_size(it->second.second);
    }
    if (!st.contains("prices") || !st["prices"].is_array()) continue;
    for (const auto& p : st["prices"]) {
      auto net = p.contains("price_hourly") ? json_num(p["price_hourly"], "net") : std::nullopt;
      if (!net) continue;
      o.region = p.value("location", "");
      o.on_demand = *net;
      out.push_back(o);
    }
  }
  return out;
}

}  // namespace orch::pricing
