// OVHcloud's public cloud order catalog: instance flavours are addons "<flavor>.consumption" priced per hour.
#include "core/error.hpp"
#include "core/pricing/gpu_names.hpp"
#include "core/pricing/providers.hpp"
#include "core/util/url.hpp"

namespace orch::pricing {

namespace {

bool is_hourly(const nlohmann::json& pricing) {
  if (!pricing.contains("capacities") || !pricing["capacities"].is_array()) return false;
  for (const auto& c : pricing["capacities"])
    if (c == "consumption") return true;
  return false;
}

std::vector<std::string> regions_of(const nlohmann::json& addon) {
  std::vector<std::string> out;
  if (!addon.contains("configurations") || !addon["configurations"].is_array()) return out;
  for (const auto& c : addon["configurations"]) {
    if (c.value("name", "") != "region" || !c.contains("values") || !c["values"].is_array()) continue;
    for (const auto& v : c["values"])
      if (v.is_string()) out.push_back(v.get<std::string>());
  }
  return out;
}

}  // namespace

std::vector<Offer> fetch_ovh(const FetchContext& ctx) {
  std::string subsidiary = ctx.setting("SUBSIDIARY", "FR");
  std::string url = ctx.base_url + "/order/catalog/public/cloud?ovhSubsidiary=" + percent_encode(subsidiary);
  auto j = parse_json_body(ctx.provider, url, ctx.http->get(url));
  std::string currency = "EUR";
  if (j.contains("locale") && j["locale"].is_object()) currency = j["locale"].value("currencyCode", currency);
  std::vector<Offer> out;
  for (const auto& a : json_list(ctx.provider, j, "addons")) {
    std::string code = a.value("planCode", "");
    const std::string suffix = ".consumption";
    if (code.size() <= suffix.size() || code.compare(code.size() - suffix.size(), suffix.size(), suffix) != 0) continue;
    auto blobs = a.value("blobs", nlohmann::json::object());
    auto tech = blobs.is_object() ? blobs.value("technical", nlohmann::json::object()) : nlohmann::json::object();
    // Only compute flavours carry a CPU in their technical blob; other hourly addons (storage, IPs) do not.
    if (!tech.is_object() || !tech.contains("cpu")) continue;
    std::optional<double> hourly;
    for (const auto& p : a.value("pricings", nlohmann::json::array()))
      if (is_hourly(p))
        if (auto v = json_num(p, "price"); v && (!hourly || *v < *hourly)) hourly = *v;
    if (!hourly) continue;
    Offer o;
    o.provider = ctx.provider;
    o.instance_type = tech.value("name", code.substr(0, code.size() - suffix.size()));
    // The catalog states prices in hundred-millionths of the currency unit.
    o.on_demand = *hourly / 1e8;
    o.currency = currency;
    o.vcpus = json_num(tech["cpu"], "cores").value_or(0);
    if (tech.contains("memory")) o.memory_gib = known_size(json_num(tech["memory"], "size"));
    if (tech.contains("gpu") && tech["gpu"].is_object()) {
      o.gpu_model = canonical_gpu(tech["gpu"].value("model", ""));
      o.gpu_count = json_num(tech["gpu"], "number").value_or(1);
    }
    o.source = redact_url(url);
    o.fetched_at = ctx.now;
    auto regions = regions_of(a);
    if (regions.empty()) regions.push_back("global");
    for (const auto& r : regions) {
      o.region = r;
      out.push_back(o);
    }
  }
  return out;
}

}  // namespace orch::pricing
