#include "core/pricing/providers.hpp"

#include <cctype>
#include <cstdlib>

#include "core/error.hpp"
#include "core/pricing/http.hpp"
#include "core/util/suggest.hpp"

namespace orch::pricing {

namespace {

std::string env_upper(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = std::isalnum(static_cast<unsigned char>(c)) ? static_cast<char>(std::toupper(c)) : '_';
  return out;
}

}  // namespace

const std::vector<Provider>& providers() {
  static const std::vector<Provider> table = {
      {"aws", "Amazon Web Services", Access::Public, "https://pricing.us-east-1.amazonaws.com", "", fetch_aws,
       "public bulk offer files (on-demand, Linux, shared tenancy) per region and the public spot price feed"},
      {"azure", "Microsoft Azure", Access::Public, "https://prices.azure.com/api/retail/prices", "", fetch_azure,
       "Azure Retail Prices API (Linux consumption and spot meters)"},
      {"gcp", "Google Cloud", Access::None, "", "", nullptr,
       "no fetcher: the Cloud Billing Catalog needs an API key and prices cores, memory and GPUs separately; "
       "import SkyPilot's catalogs/v*/gcp/vms.csv instead"},
      {"digitalocean", "DigitalOcean", Access::Token, "https://api.digitalocean.com/v2", "DIGITALOCEAN_TOKEN",
       fetch_digitalocean, "/v2/sizes (needs DIGITALOCEAN_TOKEN)"},
      {"linode", "Linode (Akamai)", Access::Public, "https://api.linode.com/v4", "", fetch_linode,
       "/v4/linode/types with per-region prices"},
      {"vultr", "Vultr", Access::Public, "https://api.vultr.com/v2", "VULTR_API_KEY", fetch_vultr,
       "/v2/plans (public; VULTR_API_KEY is sent when set)"},
      {"ovh", "OVHcloud", Access::Public, "https://api.ovh.com/1.0", "", fetch_ovh,
       "public cloud order catalog (subsidiary from ORCH_PRICING_OVH_SUBSIDIARY, default FR, priced in EUR)"},
      {"hetzner", "Hetzner Cloud", Access::Token, "https://api.hetzner.cloud/v1", "HCLOUD_TOKEN", fetch_hetzner,
       "/v1/pricing and /v1/server_types (needs HCLOUD_TOKEN; prices in EUR, net of VAT)"},
      {"oracle", "Oracle Cloud", Access::Public, "https://apexapps.oracle.com/pls/apex/cetools/api/v1", "",
       fetch_oracle,
       "public price list (/products/, pay-as-you-go; ORCH_PRICING_ORACLE_CURRENCY, default USD): GPU shapes as "
       "GPUs x the per-GPU price, flexible CPU shapes composed at 1-8 OCPUs with 16 GB each; global prices, region "
       "'global'"},
      {"ibm", "IBM Cloud", Access::None, "", "", nullptr,
       "no fetcher: no public per-profile price list for VPC instances; import a catalog instead"},
      {"lambda", "Lambda", Access::Token, "https://cloud.lambdalabs.com/api/v1", "LAMBDA_API_KEY", fetch_lambda,
       "/instance-types (needs LAMBDA_API_KEY)"},
      {"runpod", "RunPod", Access::Token, "https://api.runpod.io/graphql", "RUNPOD_API_KEY", fetch_runpod,
       "GraphQL gpuTypes, per-GPU secure and community cloud prices (needs RUNPOD_API_KEY)"},
      {"vast", "Vast.ai", Access::Public, "https://console.vast.ai/api/v0", "VAST_API_KEY", fetch_vast,
       "marketplace offers from /bundles (public; VAST_API_KEY is sent when set)"},
  };
  return table;
}

const Provider& find_provider(std::string_view name) {
  std::vector<std::string> names;
  for (const auto& p : providers()) {
    if (name == p.name) return p;
    names.push_back(p.name);
  }
  throw Error(ErrorKind::NotFound, "unknown provider '" + std::string(name) + "'" +
                                       did_you_mean(std::string(name), names) +
                                       " ('orch pricing providers' lists them)");
}

std::string url_env_name(std::string_view provider) { return "ORCH_PRICING_" + env_upper(provider) + "_URL"; }

std::string base_url_for(const Provider& p) {
  const char* v = std::getenv(url_env_name(p.name).c_str());
  std::string url = v && *v ? v : p.default_url;
  while (url.size() > 1 && url.back() == '/') url.pop_back();
  return url;
}

std::string FetchContext::setting(const std::string& name, const std::string& fallback) const {
  const char* v = std::getenv(("ORCH_PRICING_" + env_upper(provider) + "_" + env_upper(name)).c_str());
  return v && *v ? v : fallback;
}

nlohmann::json parse_json_body(const std::string& provider, const std::string& url, const std::string& body) {
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_discarded()) {
    std::string excerpt = body.substr(0, 80);
    for (auto& c : excerpt)
      if (c == '\n' || c == '\r') c = ' ';
    throw Error(ErrorKind::Unavailable, provider + ": " + redact_url(url) + " did not answer JSON (starts with '" +
                                            excerpt + "'); is the URL right?");
  }
  return j;
}

std::optional<double> json_num(const nlohmann::json& obj, const char* key) {
  if (!obj.is_object()) return std::nullopt;
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return std::nullopt;
  if (it->is_number()) return it->get<double>();
  if (it->is_string()) return parse_number(it->get<std::string>());
  return std::nullopt;
}

const nlohmann::json& json_list(const std::string& provider, const nlohmann::json& obj, const char* key) {
  if (!obj.is_object() || !obj.contains(key) || !obj.at(key).is_array())
    throw Error(ErrorKind::Unavailable, provider + ": the answer has no '" + key + "' list (has the API changed?)");
  return obj.at(key);
}

Offer FetchContext::base_offer(const std::string& url) const {
  Offer o;
  o.provider = provider;
  o.source = redact_url(url);
  o.fetched_at = now;
  return o;
}

}  // namespace orch::pricing
