// Azure Retail Prices API: one page of meters at a time, linked by NextPageLink.
#include <map>

#include "core/error.hpp"
#include "core/pricing/gpu_names.hpp"
#include "core/pricing/providers.hpp"
#include "core/util/url.hpp"

namespace orch::pricing {

namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// "Standard_D4s_v5" -> 4: Azure's size names carry the vCPU count after the family letters; a
// constrained-core size ("Standard_E16-4s_v3") keeps the parent's memory but only the count after the dash.
double vcpus_from_sku(const std::string& sku) {
  auto at = sku.find('_');
  if (at == std::string::npos) return 0;
  size_t i = at + 1;
  while (i < sku.size() && std::isalpha(static_cast<unsigned char>(sku[i]))) ++i;
  auto digits = [&](size_t from) {
    size_t to = from;
    while (to < sku.size() && std::isdigit(static_cast<unsigned char>(sku[to]))) ++to;
    return to;
  };
  size_t j = digits(i);
  if (j == i) return 0;
  if (j < sku.size() && sku[j] == '-') {
    size_t k = digits(j + 1);
    if (k > j + 1) return std::stod(sku.substr(j + 1, k - j - 1));
  }
  return std::stod(sku.substr(i, j - i));
}

std::string filter_for(const std::vector<std::string>& regions) {
  std::string f = "serviceName eq 'Virtual Machines' and priceType eq 'Consumption'";
  if (regions.empty()) return f;
  std::string any;
  for (const auto& r : regions) any += (any.empty() ? "" : " or ") + ("armRegionName eq '" + r + "'");
  return f + " and (" + any + ")";
}

}  // namespace

std::vector<Offer> fetch_azure(const FetchContext& ctx) {
  std::map<std::string, Offer> by_key;
  std::string url = ctx.base_url + "?$filter=" + percent_encode(filter_for(ctx.regions));
  int page = 0;
  for (; page < kMaxPages && !url.empty(); ++page) {
    auto j = parse_json_body(ctx.provider, url, ctx.http->get(url));
    for (const auto& it : json_list(ctx.provider, j, "Items")) {
      std::string product = it.value("productName", "");
      std::string sku_name = it.value("skuName", "");
      std::string type = it.value("type", "Consumption");
      auto price = json_num(it, "unitPrice");
      if (!price || type != "Consumption" || it.value("unitOfMeasure", "1 Hour") != "1 Hour") continue;
      if (product.find("Windows") != std::string::npos || ends_with(sku_name, " Low Priority")) continue;
      bool spot = ends_with(sku_name, " Spot");
      Offer o;
      o.provider = ctx.provider;
      o.instance_type = it.value("armSkuName", "");
      o.region = it.value("armRegionName", "");
      if (o.instance_type.empty() || o.region.empty()) continue;
      auto [pos, fresh] = by_key.try_emplace(o.instance_type + "|" + o.region, o);
      Offer& rec = pos->second;
      if (fresh) {
        rec.currency = it.value("currencyCode", "USD");
        rec.source = redact_url(ctx.base_url);
        rec.fetched_at = ctx.now;
        if (const auto* m = known_machine("azure", rec.instance_type)) {
          rec.gpu_model = m->gpu_model;
          rec.gpu_count = m->gpu_count;
          rec.vcpus = m->vcpus;
          rec.memory_gib = m->memory_gib;
        } else {
          rec.vcpus = vcpus_from_sku(rec.instance_type);
        }
      }
      // Several meters can price one size in one region (e.g. by generation); the lowest is what one pays.
      auto& slot = spot ? rec.spot : rec.on_demand;
      if (!slot || *price < *slot) slot = *price;
    }
    std::string next = j.contains("NextPageLink") && j["NextPageLink"].is_string() ? j["NextPageLink"] : "";
    url = next.empty() ? "" : resolve_url(url, next);
    ctx.report("page " + std::to_string(page + 1) + ", " + std::to_string(by_key.size()) + " sizes");
  }
  if (!url.empty()) throw Error(ErrorKind::Unavailable, "azure: paging did not end after " + std::to_string(page) + " pages");
  std::vector<Offer> out;
  for (auto& [k, o] : by_key) out.push_back(std::move(o));
  return out;
}

}  // namespace orch::pricing
