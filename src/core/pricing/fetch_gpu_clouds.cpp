// Fetchers for the GPU clouds: Lambda, RunPod, Vast.ai.
#include "core/error.hpp"
#include "core/pricing/gpu_names.hpp"
#include "core/pricing/providers.hpp"
#include "core/util/url.hpp"

namespace orch::pricing {

namespace {

// "gpu_8x_a100_80gb_sxm4" -> "A100-80GB-SXM4": the type name is the only place Lambda names the model plainly.
std::string lambda_gpu(const std::string& name) {
  auto x = name.find("x_");
  if (name.rfind("gpu_", 0) != 0 || x == std::string::npos) return "";
  return canonical_gpu(name.substr(x + 2));
}

}  // namespace

std::vector<Offer> fetch_lambda(const FetchContext& ctx) {
  std::string url = ctx.base_url + "/instance-types";
  auto j = parse_json_body(ctx.provider, url, ctx.http->get(url, {{"Authorization", "Bearer " + ctx.token}}));
  if (!j.contains("data") || !j["data"].is_object())
    throw Error(ErrorKind::Unavailable, "lambda: the answer has no 'data' object (has the API changed?)");
  std::vector<Offer> out;
  for (const auto& [name, entry] : j["data"].items()) {
    if (!entry.contains("instance_type")) continue;
    const auto& it = entry["instance_type"];
    auto cents = json_num(it, "price_cents_per_hour");
    if (!cents) continue;
    Offer o = ctx.base_offer(url);
    o.instance_type = it.value("name", name);
    o.on_demand = *cents / 100.0;
    if (it.contains("specs")) {
      o.vcpus = json_num(it["specs"], "vcpus").value_or(0);
      o.memory_gib = known_size(json_num(it["specs"], "memory_gib"));
      o.gpu_count = json_num(it["specs"], "gpus").value_or(0);
    }
    if (o.gpu_count > 0) o.gpu_model = lambda_gpu(o.instance_type);
    // Lambda lists only regions with capacity right now; a type with none is still priced.
    bool any = false;
    if (entry.contains("regions_with_capacity_available") && entry["regions_with_capacity_available"].is_array()) {
      for (const auto& r : entry["regions_with_capacity_available"]) {
        o.region = r.is_object() ? r.value("name", "") : r.is_string() ? r.get<std::string>() : "";
        if (o.region.empty()) continue;
        out.push_back(o);
        any = true;
      }
    }
    if (!any) {
      o.region = "no-capacity";
      out.push_back(o);
    }
  }
  return out;
}

std::vector<Offer> fetch_runpod(const FetchContext& ctx) {
  const std::string query =
      R"({"query":"query GpuTypes { gpuTypes { id displayName memoryInGb securePrice communityPrice )"
      R"(secureSpotPrice communitySpotPrice } }"})";
  auto body = ctx.http->post(ctx.base_url, query, "application/json", {{"Authorization", "Bearer " + ctx.token}});
  auto j = parse_json_body(ctx.provider, ctx.base_url, body);
  if (j.contains("errors") && j["errors"].is_array() && !j["errors"].empty())
    throw Error(ErrorKind::Unavailable, "runpod: the API answered an error: " +
                                            j["errors"][0].value("message", j["errors"][0].dump()));
  if (!j.contains("data") || !j["data"].is_object())
    throw Error(ErrorKind::Unavailable, "runpod: the answer has no 'data' object (has the API changed?)");
  std::vector<Offer> out;
  for (const auto& g : json_list(ctx.provider, j["data"], "gpuTypes")) {
    Offer o = ctx.base_offer(ctx.base_url);
    o.instance_type = g.value("id", "");
    o.gpu_model = canonical_gpu(g.value("displayName", o.instance_type));
    o.gpu_count = 1;
    // RunPod prices one GPU in each of its two clouds; they show up as two "regions".
    for (const auto& [tier, od_key, spot_key] :
         {std::tuple{"secure-cloud", "securePrice", "secureSpotPrice"},
          std::tuple{"community-cloud", "communityPrice", "communitySpotPrice"}}) {
      auto od = json_num(g, od_key);
      auto spot = json_num(g, spot_key);
      if (od && *od <= 0) od.reset();
      if (spot && *spot <= 0) spot.reset();
      if (!od && !spot) continue;
      o.region = tier;
      o.on_demand = od;
      o.spot = spot;
      out.push_back(o);
    }
  }
  return out;
}

std::vector<Offer> fetch_vast(const FetchContext& ctx) {
  std::string q = ctx.setting("QUERY", R"({"rentable":{"eq":true},"limit":5000})");
  std::string url = ctx.base_url + "/bundles/?q=" + percent_encode(q);
  HttpHeaders headers;
  if (!ctx.token.empty()) headers.push_back({"Authorization", "Bearer " + ctx.token});
  auto j = parse_json_body(ctx.provider, url, ctx.http->get(url, headers));
  std::vector<Offer> out;
  for (const auto& b : json_list(ctx.provider, j, "offers")) {
    auto price = json_num(b, "dph_total");
    if (!price) continue;
    Offer o = ctx.base_offer(url);
    o.instance_type = "offer-" + std::to_string(static_cast<long long>(json_num(b, "id").value_or(0)));
    o.gpu_model = canonical_gpu(b.value("gpu_name", ""));
    o.gpu_count = json_num(b, "num_gpus").value_or(0);
    o.vcpus = json_num(b, "cpu_cores_effective").value_or(0);
    o.memory_gib = known_size(json_num(b, "cpu_ram"), 1 / 1024.0);
    o.region = b.contains("geolocation") && b["geolocation"].is_string() ? b["geolocation"].get<std::string>() : "";
    o.on_demand = *price;
    // min_bid is the lowest price an interruptible (spot-like) rental can bid.
    if (auto bid = json_num(b, "min_bid"); bid && *bid > 0) o.spot = *bid;
    out.push_back(o);
  }
  return out;
}

}  // namespace orch::pricing
